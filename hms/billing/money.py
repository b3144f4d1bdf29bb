"""The rules for amounts of money and quantities, in one place: Decimal only, never float.

Forms (hms.billing.forms) and services pass every amount through `money_value` and
`quantity_value`, so a caller that skips the form (a command, the demo, later an API)
meets the same rules and the same words. Reading the number itself (no NaN, no infinity,
no 1e999999999, within the model's digits) is hms.core.numbers.decimal_parse.
"""

from decimal import ROUND_HALF_UP, Decimal

from hms.billing.models import MONEY_DIGITS, MONEY_PLACES, QUANTITY_DIGITS
from hms.core.numbers import decimal_parse

CENT = Decimal("0.01")
MONEY_LIMIT = Decimal(10) ** (MONEY_DIGITS - MONEY_PLACES)  # exclusive
QUANTITY_LIMIT = Decimal(10) ** (QUANTITY_DIGITS - 2)  # exclusive


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


def money_value(value: Decimal | int | str, *, field: str, allow_zero: bool) -> Decimal:
    """`value` rounded half-up to cents; NumberError (a ValueError, with words for the user) if no
    amount here can be it. `field` names the amount in the user's words ("unit price")."""
    number = decimal_parse(
        value,
        field=field.replace(" ", "_"),
        label=f"The {field}",
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        rounding=True,
    )
    if number < 0 or (number == 0 and not allow_zero):
        raise ValueError(f"The {field} must be {'zero or more' if allow_zero else 'more than zero'}.")
    return number


def quantity_value(value: Decimal | int | str) -> Decimal:
    """`value` with 2 places: more than 0, at most 2 decimals, under a million; ValueError if not."""
    number = decimal_parse(
        value, field="quantity", label="The quantity", max_digits=QUANTITY_DIGITS, decimal_places=2
    )
    if number <= 0:
        raise ValueError("The quantity must be more than zero.")
    return number
