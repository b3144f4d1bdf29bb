"""Whether a read-back states the value: the numbers written in it, compared with the recorded one.

A read-back is what the clinician repeats of the result ("K 6.9, will repeat and give
calcium gluconate"); it must contain the recorded number, so a value misheard as 9.6 or
6.0 is caught at the moment it is written down. A decimal comma counts as a point.
"""

import re
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)?(?![.,]?\d)", re.ASCII)


def numbers_in(text: str) -> list[Decimal]:
    """Every number written in `text` with digits ("6.9", "6,9", "140"), in order."""
    found = []
    for match in _NUMBER.finditer(text):
        try:
            found.append(Decimal(match.group().replace(",", ".")))
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            continue
    return found


def states_value(text: str, value: Decimal) -> bool:
    """Whether `text` writes the number `value` (6.9 matches "6.9" and "6.90", not "69" or "6.8")."""
    return any(number == value for number in numbers_in(text))
