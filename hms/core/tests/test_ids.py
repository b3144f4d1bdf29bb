import pytest

from hms.core.ids import MAX_ID, record_id


@pytest.mark.parametrize(("value", "expected"), [(1, 1), ("42", 42), (str(MAX_ID), MAX_ID), ("007", 7)])
def test_positive_integers_are_ids(value, expected):
    assert record_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        0,
        -1,
        "0",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1.0",
        "1e3",
        "abc",
        "",
        "²",
        "١٢",
        str(MAX_ID + 1),
        "9" * 40,
        None,
        True,
        1.0,
    ],
)
def test_anything_else_is_not(value):
    assert record_id(value) is None
