"""Points are Decimals with at most two places (DOMAIN.md: never binary floats)."""
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

TWO_PLACES = Decimal("0.01")
ZERO = Decimal("0")
PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]{1,12}(\.[0-9]{1,12})?")  # "96.5"; no exponents, no "NaN"
LIMIT = Decimal("100000")  # no score, deduction or bonus comes near; keeps Numeric(7, 2) safe


class PointsError(ValueError):
    """A value that is not a number of points; the message is for people."""


def parse_points(value, label: str = "分值") -> Decimal:
    """Accept a number or a string such as "96.5"; refuse floats' noise and >2 decimals."""
    if isinstance(value, bool) or value is None:
        raise PointsError(f"{label}必须是数字")
    if isinstance(value, int) and abs(value) >= LIMIT:
        raise PointsError(f"{label}超出范围")
    if isinstance(value, str) and not PLAIN_DECIMAL.fullmatch(value.strip()):
        raise PointsError(f"{label}必须是数字，最多两位小数")
    if isinstance(value, float):
        # JSON numbers arrive as floats; their shortest repr is what the client wrote.
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ArithmeticError, ValueError):
        raise PointsError(f"{label}必须是数字，最多两位小数") from None
    if not number.is_finite():
        raise PointsError(f"{label}必须是数字")
    if number.copy_abs() >= LIMIT:
        raise PointsError(f"{label}超出范围")
    if number != number.quantize(TWO_PLACES, rounding=ROUND_HALF_UP):
        raise PointsError(f"{label}最多两位小数")
    return number.quantize(TWO_PLACES) + ZERO  # + 0 turns -0 into 0


def fmt_points(value: Decimal | None) -> str | None:
    """A decimal string without trailing zeros: Decimal('96.50') → '96.5', 100 → '100'."""
    if value is None:
        return None
    text = format(Decimal(value).quantize(TWO_PLACES), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
