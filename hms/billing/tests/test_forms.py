"""The billing forms read what was typed into Decimals, with the money rules of hms.billing.money."""

from decimal import Decimal

import pytest

from hms.billing.forms import LineAddForm, PaymentForm, PriceItemForm, TakingsDayForm

JUNK = ["abc", "1e9999", "NaN", "-5", "", "0", "Infinity", "12,50", "1" * 60, "0x10", "½", "sNaN"]


def _price(unit_price):
    return PriceItemForm({"code": "XR", "name": "X-ray", "category": "procedure", "unit_price": unit_price})


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("25.005", Decimal("25.01")),
        (" 12.5 ", Decimal("12.50")),
        ("0", Decimal("0.00")),
        ("7", Decimal("7.00")),
    ],
)
def test_a_price_is_read_and_rounded_half_up_to_cents(typed, read):
    form = _price(typed)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["unit_price"] == read and isinstance(form.cleaned_data["unit_price"], Decimal)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", "zero or more"),
        ("abc", "must be a number written with digits"),
        ("NaN", "must be a number"),
        ("Infinity", "must be a number"),
        ("1e9999", "must be a number"),
        ("10000000000", "too large"),
        ("1" * 60, "must be a number"),
        ("", "required"),
    ],
)
def test_a_bad_price_is_refused_beside_the_field_and_summed_up_on_top(typed, message):
    form = _price(typed)
    assert not form.is_valid()
    assert message in " ".join(form.errors["unit_price"])
    assert form.non_field_errors() == ["The price list item is not valid."]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", "more than zero"),
        ("0", "more than zero"),
        ("abc", "must be a number"),
        ("NaN", "must be a number"),
        ("Infinity", "must be a number"),
        ("1e9999", "must be a number"),
        ("0.001", "at most 2 decimals"),
        ("", "required"),
        ("2,5", "must be a number"),
    ],
)
def test_a_bad_quantity_is_refused(typed, message):
    form = LineAddForm({"item_code": "CONS", "quantity": typed})
    assert not form.is_valid()
    assert message in " ".join(form.errors["quantity"])
    assert form.non_field_errors() == ["The invoice line is not valid."]


def test_a_quantity_is_read_with_two_places():
    form = LineAddForm({"item_code": "CONS", "quantity": " 0.5 "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"item_code": "CONS", "quantity": Decimal("0.50")}


@pytest.mark.parametrize("typed", JUNK)
def test_junk_amounts_are_refused(typed):
    form = PaymentForm({"amount": typed, "method": "cash"})
    assert not form.is_valid() and "amount" in form.errors
    assert form.non_field_errors() == ["The payment is not valid."]


def test_an_amount_is_rounded_half_up_and_the_method_must_be_known():
    form = PaymentForm({"amount": " 36.175 ", "method": "cash", "reference": " slip 991 "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"amount": Decimal("36.18"), "method": "cash", "reference": "slip 991"}
    assert "method" in PaymentForm({"amount": "5", "method": "cheque"}).errors


@pytest.mark.parametrize(
    ("typed", "valid"), [("", True), ("2025-03-10", True), ("abc", False), ("2025-02-30", False)]
)
def test_the_takings_day(typed, valid):
    assert TakingsDayForm({"day": typed}).is_valid() is valid
