"""Forms of the orders pages: they read what people type into typed values for the services.

The services hold the clinical rules (which fields a STAT dose needs, the catalogue, the
reason rules); a form refuses only what is not a value at all ("five hundred" for a dose).
"""

from typing import Any

from django import forms
from django.db import models

from hms.core.forms import DecimalTextField, PlainTextForm, RecordIdField, WholeNumberTextField
from hms.orders.models import LabOrder, Prescription


class PlainDecimalField(DecimalTextField):
    """A number of the prescription (within its column's digits and places); None when empty."""

    def __init__(self, *, label: str, model_field: str, **kwargs: Any) -> None:
        column = Prescription._meta.get_field(model_field)
        assert isinstance(column, models.DecimalField)
        super().__init__(
            label=label, max_digits=column.max_digits, decimal_places=column.decimal_places, **kwargs
        )


def _choice(choices: Any, what: str, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=choices,
        error_messages={"invalid_choice": f"Choose {what} from the list.", "required": f"Choose {what}."},
        **kwargs,
    )


class PrescriptionForm(PlainTextForm):
    # The formulary drug picked (a hidden field the search fills in): its id, or None.
    formulary_drug = RecordIdField(invalid="Choose a drug from the formulary.", widget=forms.HiddenInput)
    # Required unless a formulary drug was picked: the service says which is missing.
    drug_name = forms.CharField(max_length=200, error_messages={"required": "Enter the drug."})
    strength = forms.CharField(max_length=40, required=False)
    drug_code = forms.CharField(max_length=64, required=False)
    free_text_reason = forms.CharField(required=False, strip=False)
    override_reason = forms.CharField(required=False, strip=False)
    dose = PlainDecimalField(
        label="The dose", model_field="dose", error_messages={"required": "Enter the dose."}
    )
    dose_unit = _choice(Prescription.DoseUnit.choices, "a dose unit")
    route = _choice(Prescription.Route.choices, "a route")
    frequency = _choice(Prescription.Frequency.choices, "a frequency")
    duration_days = WholeNumberTextField(label="The duration", max_digits=5, required=False)
    quantity = PlainDecimalField(label="The quantity", model_field="quantity", required=False)
    instructions = forms.CharField(required=False, widget=forms.Textarea)


class LabOrderForm(PlainTextForm):
    # Checked against the catalogue by the service (a LOINC code or a panel's abbreviation).
    test_code = forms.CharField(required=False)
    priority = _choice(LabOrder.Priority.choices, "routine, urgent or STAT", required=False)
    clinical_note = forms.CharField(required=False, widget=forms.Textarea)

    def clean_priority(self) -> str:
        return self.cleaned_data.get("priority") or LabOrder.Priority.ROUTINE


class ReasonForm(PlainTextForm):
    """Why a prescription is stopped or voided, or an order cancelled or voided (the service's rules)."""

    reason = forms.CharField(required=False, strip=False)


class LabResultForm(PlainTextForm):
    # The value as typed: a number or one of the test's answers, read by the service against the test.
    value = forms.CharField(required=False)
    unit = forms.CharField(required=False)
    comment = forms.CharField(required=False, widget=forms.Textarea)


class LabResultCorrectForm(LabResultForm):
    reason = forms.CharField(required=False, strip=False)
    # The order page to show a refusal on (a hidden field of the correction form).
    order_id = RecordIdField(invalid="No such lab order here.")


class LabPanelResultForm(PlainTextForm):
    """One value and unit per test of a panel (fields value_<LOINC>, unit_<LOINC>), read as typed:
    the service reads each against its test, all or nothing."""

    comment = forms.CharField(required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, codes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.codes = codes
        for code in codes:
            self.fields[f"value_{code}"] = forms.CharField(required=False, max_length=64)
            self.fields[f"unit_{code}"] = forms.CharField(required=False, max_length=32)

    def values(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {code: (data[f"value_{code}"], data[f"unit_{code}"]) for code in self.codes}
