"""Forms of the billing pages: they read what was typed into typed values; the services decide.

Amounts and quantities are read here (hms.billing.money holds the rules both forms and
services apply). A form that does not read says so on top in the words the services
use ("The payment is not valid.") and beside each field.
"""

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms

from hms.billing.models import MONEY_DIGITS, MONEY_PLACES, QUANTITY_DIGITS, Payment, PriceListItem
from hms.billing.money import money_format, money_value, quantity_value
from hms.billing.services.invoices import AcceptedLine
from hms.core.forms import DecimalTextField, PlainTextForm
from hms.core.text import has_control_characters
from hms.core.voiding import REASON_MAX


class MoneyField(DecimalTextField):
    """An amount of money, rounded half-up to cents; refused past the limit, below zero (or at zero)."""

    def __init__(self, *, field: str, allow_zero: bool, **kwargs: Any) -> None:
        self.field_words, self.allow_zero = field, allow_zero
        super().__init__(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, rounding=True, **kwargs)

    def parse(self, value: object) -> Decimal:
        return money_value(str(value), field=self.field_words, allow_zero=self.allow_zero)


class QuantityField(DecimalTextField):
    """A quantity: more than 0, at most 2 decimals, under a million."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=QUANTITY_DIGITS, decimal_places=2, **kwargs)

    def parse(self, value: object) -> Decimal:
        return quantity_value(str(value))


class BillingForm(PlainTextForm):
    """A form whose failure is summed up on top, as the service would have said it."""

    invalid_message = "The form is not valid."

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # the labels are sentences of their own
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            self.add_error(None, self.invalid_message)
        return cleaned


class ActionForm(BillingForm):
    """No fields: carries a service's refusal of a button (issue, remove a line) to the page."""


class SettingsForm(BillingForm):
    invalid_message = "The billing settings are not valid."

    currency = forms.CharField(max_length=3, label="Currency (ISO 4217 code, like USD or BDT)")
    invoice_prefix = forms.CharField(
        max_length=10,
        required=False,
        label="Invoice number prefix (up to 10 letters or digits; numbers look like PREFIX-2025-000001)",
    )
    address = forms.CharField(
        required=False,
        label="Address printed on invoices",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 40}),
    )


class PriceItemForm(BillingForm):
    invalid_message = "The price list item is not valid."

    code = forms.CharField(max_length=32, label="Code (capital letters, digits, . - _)")
    name = forms.CharField(max_length=200, label="Name")
    category = forms.ChoiceField(choices=PriceListItem.Category.choices, label="Category")
    unit_price = MoneyField(field="unit price", allow_zero=True, label="Unit price")


class PriceItemEditForm(PriceItemForm):
    """The item's name, category and price (its code never changes)."""

    code = None  # type: ignore[assignment]


class LineAddForm(BillingForm):
    invalid_message = "The invoice line is not valid."

    item_code = forms.CharField(label="Item", widget=forms.Select)  # the service names a code not listed
    quantity = QuantityField(label="Quantity", initial=1)

    def offer(self, items: Iterable[PriceListItem]) -> None:
        """Offer these price list items in the item list."""
        self.fields["item_code"].widget.choices = [
            (item.code, f"{item.code} · {item.name} · {money_format(item.unit_price)}") for item in items
        ]


class PaymentForm(BillingForm):
    invalid_message = "The payment is not valid."

    amount = MoneyField(field="amount", allow_zero=False, label="Amount")
    method = forms.ChoiceField(choices=Payment.Method.choices, label="Method")
    reference = forms.CharField(
        max_length=100, required=False, label="Reference (card slip, transfer or claim number)"
    )


class VoidForm(BillingForm):
    invalid_message = "Give a reason for voiding."

    reason = forms.CharField(max_length=REASON_MAX, label="Reason")


class PaymentVoidForm(VoidForm):
    """A payment's void (a form of its own, so a refusal is not shown on the invoice's)."""


class TakingsDayForm(PlainTextForm):
    """`?day=yyyy-mm-dd` (blank: today in the hospital's time zone)."""

    day = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "Not a day: use yyyy-mm-dd, like 2025-01-31."},
    )

    def day_or(self, today: datetime.date) -> datetime.date:
        return self.cleaned_data.get("day") or today


class DiscountForm(BillingForm):
    """A discount on a line or on the whole invoice: 0 takes it off; a reason unless 0."""

    invalid_message = "The discount is not valid."

    amount = MoneyField(field="discount", allow_zero=True, label="Discount")
    reason = forms.CharField(max_length=REASON_MAX, required=False, label="Reason for the discount")


class LineDiscountForm(DiscountForm):
    """A line's discount (a form of its own, so a refusal shows beside that line's form)."""


class RefundForm(BillingForm):
    invalid_message = "The refund is not valid."

    amount = MoneyField(field="refund", allow_zero=False, label="Amount to give back")
    method = forms.ChoiceField(choices=Payment.Method.choices, label="Given back by")
    reason = forms.CharField(max_length=REASON_MAX, label="Reason for the refund")


class RefundVoidForm(VoidForm):
    """A refund's void (entered by mistake)."""


PROPOSAL_KEY = re.compile(r"^(lab_order|prescription)-([1-9][0-9]{0,17})\Z")


class AcceptLinesForm(BillingForm):
    """The proposed lines the cashier ticked (`accept`: "lab_order-12"), each with its price list
    item (`item-<key>`) and quantity (`qty-<key>`); read into `lines` for the service."""

    invalid_message = "The lines are not valid."

    def clean(self) -> dict[str, Any]:
        super().clean()
        lines: list[AcceptedLine] = []
        for key in self.data.getlist("accept") if hasattr(self.data, "getlist") else []:
            match = PROPOSAL_KEY.match(key)
            code = str(self.data.get(f"item-{key}", ""))
            if match is None or has_control_characters(code):
                raise forms.ValidationError("A ticked line is not one this invoice proposed.")
            try:
                quantity = quantity_value(str(self.data.get(f"qty-{key}", "1")).strip() or "1")
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from exc
            lines.append(AcceptedLine(match[1], int(match[2]), code, quantity))
        return {"lines": lines}
