from decimal import Decimal

import pytest

from hms.alerts.readback import numbers_in, states_value


@pytest.mark.parametrize(
    ("text", "stated"),
    [
        ("K 6.9, repeat and give calcium gluconate", True),
        ("potassium 6,9 mmol/L", True),  # a decimal comma
        ("6.90", True),
        ("K 9.6", False),  # misheard
        ("69", False),
        ("K 6.8 or so", False),
        ("potassium high, will act", False),
        ("16.9", False),
        ("6.9.1", False),  # not a number as written
        ("K is 6.9.", True),  # at the end of a sentence
    ],
)
def test_a_read_back_states_the_value_only_with_its_number(text, stated):
    assert states_value(text, Decimal("6.9000")) is stated


def test_numbers_are_read_in_order():
    assert numbers_in("Na 120 then 118.5") == [Decimal(120), Decimal("118.5")]
