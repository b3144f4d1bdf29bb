"""Reading and rounding amounts of money and quantities: Decimal only, never float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from hms.billing.models import MONEY_DIGITS, MONEY_PLACES, QUANTITY_DIGITS

CENT = Decimal("0.01")
MONEY_LIMIT = Decimal(10) ** (MONEY_DIGITS - MONEY_PLACES)  # exclusive
QUANTITY_LIMIT = Decimal(10) ** (QUANTITY_DIGITS - 2)  # exclusive


def money_round(value: Decimal) -> Decimal:
    """`value` rounded half-up to cents (2.345 -> 2.35, -2.345 -> -2.35)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_format(value: Decimal) -> str:
    """12345.5 -> "12,345.50"."""
    return f"{money_round(value):,.2f}"


def _decimal(raw: object) -> Decimal | None:
    """A finite Decimal from a Decimal, an int or a string like "12.50"; None for anything else.

    Floats are refused: they cannot hold most amounts of money exactly.
    """
    if isinstance(raw, bool | float):
        return None
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        if not text or len(text) > 40:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    if not value.is_finite():
        return None
    return value


def money_parse(raw: object, *, field: str, allow_zero: bool) -> tuple[Decimal | None, str | None]:
    """(amount rounded half-up to cents, None) or (None, a message saying what is wrong)."""
    value = _decimal(raw)
    if value is None:
        return None, f"Enter the {field} as a number with at most 2 decimals, like 12.50."
    if abs(value) >= MONEY_LIMIT:
        return (
            None,
            f"The {field} is too large; the most this system holds is {money_format(MONEY_LIMIT - CENT)}.",
        )
    value = money_round(value)
    if value < 0 or (value == 0 and not allow_zero):
        return None, f"The {field} must be {'zero or more' if allow_zero else 'more than zero'}."
    return value, None


def quantity_parse(raw: object) -> tuple[Decimal | None, str | None]:
    """(quantity, None) or (None, a message): more than 0, at most 2 decimals, under a million."""
    value = _decimal(raw)
    if value is None:
        return None, "Enter the quantity as a number, like 1 or 2.5."
    if value <= 0:
        return None, "The quantity must be more than zero."
    if value >= QUANTITY_LIMIT:
        return None, f"The quantity must be less than {QUANTITY_LIMIT:,}."
    if value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        return None, "The quantity may have at most 2 decimals."
    return value.quantize(CENT), None


def quantity_format(value: Decimal) -> str:
    """2.00 -> "2", 2.50 -> "2.5"."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
