"""A cell of a CSV export that a spreadsheet will not run as a formula (OWASP "CSV injection").
Pure: standard library only.
"""

# OWASP "CSV injection": a cell starting with one of these may be run as a
# formula by a spreadsheet.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A cell for the CSV export that a spreadsheet will not run as a formula.

    A text starting with = + - @, a tab or a carriage return gets a leading
    apostrophe. A plain number written the way this module writes them
    ("-1.5", "-2", "33.3") stays as it is, so negative changes remain numbers.
    Only a leading minus counts as part of a number: we never write "+1", and
    a spreadsheet reads "+1..." as a formula. None is an empty cell.
    This does not quote: pass the result to csv.writer, which does.
    """
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_STARTS) and not _is_plain_number(text):
        return "'" + text
    return text


def _is_plain_number(text: str) -> bool:
    """An optional leading "-", ASCII digits, optionally "." and more digits."""
    digits = text.removeprefix("-")
    whole, dot, decimals = digits.partition(".")

    # str.isdigit() accepts other scripts' digits and superscripts: ASCII only.
    def ascii_digits(part):
        return part != "" and all("0" <= char <= "9" for char in part)

    return ascii_digits(whole) and (not dot or ascii_digits(decimals))
