"""The rules for amounts of money and quantities, in one place: Decimal only, never float.

Forms read text into a Decimal (hms.billing.forms); services pass every amount they are
given through `money_value`/`quantity_value`, so a caller that skips the form (a command,
the demo, later an API) meets the same rules and the same words.
"""

from decimal import ROUND_HALF_UP, Decimal

from hms.billing.models import MONEY_DIGITS, MONEY_PLACES, QUANTITY_DIGITS

CENT = Decimal("0.01")
MONEY_LIMIT = Decimal(10) ** (MONEY_DIGITS - MONEY_PLACES)  # exclusive
QUANTITY_LIMIT = Decimal(10) ** (QUANTITY_DIGITS - 2)  # exclusive
TEXT_MAX = 40  # longer text is not an amount anyone typed


def money_round(value: Decimal) -> Decimal:
    """`value` rounded half-up to cents (2.345 -> 2.35, -2.345 -> -2.35)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_format(value: Decimal) -> str:
    """12345.5 -> "12,345.50"."""
    return f"{money_round(value):,.2f}"


def quantity_format(value: Decimal) -> str:
    """2.00 -> "2", 2.50 -> "2.5"."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _finite(value: object) -> Decimal | None:
    """A finite Decimal from a Decimal or an int; None for anything else (floats, text, NaN)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return value
    return None


def money_message_invalid(field: str) -> str:
    return f"Enter the {field} as a number with at most 2 decimals, like 12.50."


def money_value(value: Decimal | int, *, field: str, allow_zero: bool) -> Decimal:
    """`value` rounded half-up to cents; ValueError (with words for the user) if no amount here can be it."""
    number = _finite(value)
    if number is None:
        raise ValueError(money_message_invalid(field))
    if abs(number) >= MONEY_LIMIT:
        raise ValueError(
            f"The {field} is too large; the most this system holds is {money_format(MONEY_LIMIT - CENT)}."
        )
    number = money_round(number)
    if number < 0 or (number == 0 and not allow_zero):
        raise ValueError(f"The {field} must be {'zero or more' if allow_zero else 'more than zero'}.")
    return number


QUANTITY_INVALID = "Enter the quantity as a number, like 1 or 2.5."


def quantity_value(value: Decimal | int) -> Decimal:
    """`value` with 2 places: more than 0, at most 2 decimals, under a million; ValueError if not."""
    number = _finite(value)
    if number is None:
        raise ValueError(QUANTITY_INVALID)
    if number <= 0:
        raise ValueError("The quantity must be more than zero.")
    if number >= QUANTITY_LIMIT:
        raise ValueError(f"The quantity must be less than {QUANTITY_LIMIT:,}.")
    if number != number.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValueError("The quantity may have at most 2 decimals.")
    return number.quantize(CENT)
