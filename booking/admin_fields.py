"""What an admin typed, read: small parsers of typed values (text, clock times, dates, whole
numbers, tick boxes), each None when the value is not one; and AdminError, a change refused with
a message per form field.
"""
import re
from datetime import date, time

from flask_babel import lazy_gettext as _l

CHECK_FIELDS = _l("Please check the fields marked below.")


class AdminError(Exception):
    """A change that breaks a rule: `fields` holds a message per form field (422)."""

    status = 422

    def __init__(self, message, fields=None):
        super().__init__(str(message))
        self.message = str(message)
        self.fields = {key: str(value) for key, value in (fields or {}).items()}


# --- Small parsers for typed values ---------------------------------------------------------------

_CLOCK = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])(:[0-5][0-9])?$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_WHOLE = re.compile(r"^[0-9]{1,6}$")


def typed_text(value):
    return " ".join(str(value or "").split())


def typed_clock(value):
    """A local wall-clock time from "HH:MM" (browsers may add ":SS"), or None."""
    match = _CLOCK.match(str(value or "").strip())
    return time(int(match[1]), int(match[2])) if match else None


def typed_day(value):
    text = str(value or "").strip()
    if not _ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def typed_whole(value, low, high):
    text = str(value if value is not None else "").strip()
    if not _WHOLE.match(text) or not low <= int(text) <= high:
        return None
    return int(text)


def typed_flag(value):
    return value is True or str(value).lower() in ("1", "y", "yes", "on", "true")

