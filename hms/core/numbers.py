"""Numbers typed by people: one rule for reading them into a Decimal the database can hold.

`decimal_parse` is the one reader, for forms (hms.core.forms.DecimalTextField) and
services alike: text of digits with an optional decimal point (no exponent, no NaN, no
infinity), a Decimal or an int (never a float), and only values that fit the model
field's `max_digits` and `decimal_places`. It never does arithmetic before the value's size is
known to fit: `abs(Decimal("1e999999999"))` raises `decimal.Overflow`, which was a 500.
"""

import re
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from typing import TYPE_CHECKING, Any

from hms.core.exceptions import ApplicationError

if TYPE_CHECKING:
    from django.db import models

NUMBER_TEXT_MAX = 40  # longer text is no number anyone typed
# Digits and a decimal point: no exponent (nobody types 1e3 for a dose; 1e999999999 is a probe),
# no "_", no spaces. \d is any decimal digit: Decimal reads Bengali or Arabic-Indic digits too.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


class NumberError(ApplicationError, ValueError):
    """A number that cannot be kept: a refusal (400, its message under `field`) and a ValueError,
    for the parsers that speak ValueError (hms.billing.money, hms.encounters.vitals)."""


def decimal_largest(*, max_digits: int, decimal_places: int) -> Decimal:
    """The largest value a DecimalField(max_digits, decimal_places) holds: (5, 2) -> 999.99."""
    return Decimal((0, (9,) * max_digits, -decimal_places))


def decimal_parse(
    value: object,
    *,
    field: str,
    label: str,
    max_digits: int,
    decimal_places: int,
    rounding: bool = False,
) -> Decimal:
    """`value` (text, a Decimal, an int; never a float) as a Decimal with `decimal_places` places.

    NumberError, naming `field` and saying in `label`'s words ("The amount") what is wrong,
    for anything that is not a finite number, is empty, has more digits before the point
    than `max_digits - decimal_places`, or (unless `rounding`, which rounds half-up) more
    decimals than `decimal_places`.
    """
    number = _decimal(value)
    if number is None:
        if decimal_places == 0:
            raise _refusal(field, f"{label} must be a number written with digits (a whole number, like 12).")
        raise _refusal(field, f"{label} must be a number written with digits and a decimal point, like 12.5.")
    step = Decimal(1).scaleb(-decimal_places)
    largest = decimal_largest(max_digits=max_digits, decimal_places=decimal_places)
    too_large = f"{label} is too large; it can be at most {largest:,}."
    if not number:
        return Decimal(0).quantize(step)  # "-0", "0e999999999"
    if number.adjusted() >= max_digits - decimal_places:
        raise _refusal(field, too_large)
    if number.adjusted() < -decimal_places - 1:  # 1e-999999999: nothing survives at these places
        if not rounding:
            raise _refusal(field, _too_many_decimals(label, decimal_places))
        return Decimal(0).quantize(step)
    # Bounded now: at most max_digits + decimal_places + 1 digits take part.
    with localcontext(Context(prec=max_digits + decimal_places + 2)):
        kept = number.quantize(step, rounding=ROUND_HALF_UP)
    if kept != number and not rounding:
        raise _refusal(field, _too_many_decimals(label, decimal_places))
    if kept.copy_abs() > largest:  # 999.995 rounded up to 1000.00
        raise _refusal(field, too_large)
    return kept


def decimal_column_parse(
    value: object, *, column: "models.DecimalField[Any, Any]", label: str, rounding: bool = False
) -> Decimal:
    """`decimal_parse` by the digits and places of a model's DecimalField, naming it."""
    assert column.max_digits is not None and column.decimal_places is not None
    return decimal_parse(
        value,
        field=column.name,
        label=label,
        max_digits=column.max_digits,
        decimal_places=column.decimal_places,
        rounding=rounding,
    )


def _decimal(value: object) -> Decimal | None:
    """A finite Decimal read from `value` without arithmetic, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, str):  # a float among them: 0.1 is not what anyone typed
        return None
    text = value.strip()
    if len(text) > NUMBER_TEXT_MAX or not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _too_many_decimals(label: str, decimal_places: int) -> str:
    if decimal_places == 0:
        return f"{label} must be a whole number."
    return f"{label} can have at most {decimal_places} decimal{'s' if decimal_places > 1 else ''}."


def _refusal(field: str, message: str) -> NumberError:
    return NumberError(message, details={field: [message]})
