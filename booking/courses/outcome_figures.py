"""The figures of an outcomes report: a Count of courses, an exact Mean over n courses and a Rate
(numerator of denominator), each with its short English definition, and their display: rounded
once to one decimal from the exact value, an em dash when there is no value (conventions in
booking/courses/outcomes.py's notes). Pure: standard library only.
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

# Shown for a figure that has no value (a mean over no courses, a rate over a
# denominator of 0): an em dash, never "0.0".
NOT_EVALUABLE = "\u2014"


@dataclass(frozen=True)
class Count:
    """A number of courses, e.g. N."""

    value: int
    definition: str = ""

    def formatted(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class Mean:
    """An exact mean over `n` courses; value None when n is 0.

    `places_below_ten`: decimals shown when the mean rounds to below 10 (a rate
    in mg/kg/h: "0.84", not "0.8"); at 10 and above one decimal, as everywhere."""

    value: Fraction | None
    n: int
    definition: str = ""
    places_below_ten: int = 1

    def formatted(self) -> str:
        return format_mean(self)


@dataclass(frozen=True)
class Rate:
    """numerator of denominator courses. The counts are the figure; the
    percentage is derived from them, so it can always be checked."""

    numerator: int
    denominator: int
    definition: str = ""

    @property
    def percent(self) -> Fraction | None:
        # No courses to count over: no percentage (not 0 %).
        if self.denominator == 0:
            return None
        return Fraction(100 * self.numerator, self.denominator)

    def formatted(self) -> str:
        return format_percent(self)


def format_mean(mean: Mean) -> str:
    """The mean with one decimal ("4.3"), or an em dash when there is none. A
    mean with places_below_ten = 2 that rounds to below 10 keeps two ("0.84");
    9.996 rounds to "10.00", which is not below 10, so it shows "10.0"."""
    if mean.value is None:
        return NOT_EVALUABLE
    if mean.places_below_ten != 1:
        fine = _rounded(mean.value, mean.places_below_ten)
        if abs(Decimal(fine)) < 10:
            return fine
    return _one_decimal(mean.value)


def format_percent(rate: Rate) -> str:
    """The percentage with one decimal, from the counts (1/3 -> "33.3"), or an
    em dash when the denominator is 0. No "%" sign: the page adds it."""
    percent = rate.percent
    if percent is None:
        return NOT_EVALUABLE
    return _one_decimal(percent)


def _one_decimal(value: Fraction) -> str:
    return _rounded(value, 1)


def _rounded(value: Fraction, places: int) -> str:
    """Round the EXACT value once to `places` decimals, halves away from zero
    (what Decimal calls ROUND_HALF_UP: 12.25 -> "12.3", -1.25 -> "-1.3").

    Done in integers on the fraction's own numerator and denominator: a Decimal
    division (or a float) would round the quotient first, and quantizing that
    would round a second time.
    """
    value = Fraction(value)
    scaled = value * 10**places
    whole, remainder = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * remainder >= scaled.denominator:
        whole += 1
    signed = -whole if value < 0 else whole  # -0.04 rounds to 0: "0.0", not "-0.0"
    return str(Decimal(signed).scaleb(-places))
