"""Forms of the encounter pages: they parse input; the services decide."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.forms import BoundField

from hms.core.forms import DecimalTextField, PlainTextForm
from hms.core.ids import record_id
from hms.core.voiding import REASON_MAX
from hms.encounters.allergens import allergen_choices
from hms.encounters.models import Allergy, Diagnosis
from hms.encounters.vitals import VALUE_DIGITS, VALUE_PLACES, VITALS, Vital, vital_value_parse, vitals_refused
from hms.scheduling.models import Appointment

TEXTAREA = forms.Textarea(attrs={"rows": 4, "cols": 80})


class EncounterBackField(forms.Field):
    """The encounter page to go back to (a hidden field); what is no record id means none."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> int | None:
        return record_id(value) if value else None


class EncounterStartForm(PlainTextForm):
    reason = forms.CharField(max_length=REASON_MAX, required=False, label="Reason for the visit")
    appointment = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label="From appointment", choices=()
    )

    def __init__(
        self, *args: Any, appointments: Iterable[tuple[Appointment, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["appointment"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "None: a walk-in")] + [(a.pk, label) for a, label in appointments]


class VoidForm(PlainTextForm):
    reason = forms.CharField(max_length=REASON_MAX, label="Reason")
    encounter = EncounterBackField()


class VitalValueField(DecimalTextField):
    """A vital sign's value as typed ("72", "98.6", "37,5"), read by hms.encounters.vitals."""

    widget = forms.TextInput(attrs={"size": 8, "inputmode": "decimal"})

    def __init__(self, *, vital: Vital, **kwargs: Any) -> None:
        self.vital = vital
        super().__init__(
            max_digits=VALUE_DIGITS,
            decimal_places=VALUE_PLACES,
            rounding=True,
            required=False,
            label=vital.display,
            **kwargs,
        )

    def parse(self, value: object) -> Decimal:
        return vital_value_parse(value, label=self.vital.display)


class VitalsForm(PlainTextForm):
    """A value and a unit per vital sign that is typed (BMI is computed)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.typed = [vital for vital in VITALS.values() if not vital.computed]
        for vital in self.typed:
            self.fields[f"value_{vital.code}"] = VitalValueField(vital=vital)
            self.fields[f"unit_{vital.code}"] = forms.ChoiceField(
                choices=[(unit.ucum, unit.label) for unit in vital.input_units],
                required=False,
                label=f"{vital.display} unit",
            )

    def rows(self) -> list[tuple[Vital, BoundField, BoundField]]:
        return [(vital, self[f"value_{vital.code}"], self[f"unit_{vital.code}"]) for vital in self.typed]

    def clean(self) -> dict[str, Any] | None:
        """Sum up the values refused (each field read its number; the service converts units
        and checks the limits)."""
        cleaned = super().clean()
        refused = [vital.code for vital in self.typed if f"value_{vital.code}" in self.errors]
        if refused:
            self.add_error(None, vitals_refused(refused))
        return cleaned

    def values(self) -> dict[str, tuple[Decimal, str]]:
        data = self.cleaned_data
        return {
            vital.code: (data[f"value_{vital.code}"], data[f"unit_{vital.code}"] or vital.unit)
            for vital in self.typed
            if data.get(f"value_{vital.code}") is not None
        }

    def field_names(self) -> dict[str, str]:
        return {vital.code: f"value_{vital.code}" for vital in self.typed}


class DiagnosisForm(PlainTextForm):
    icd10_code = forms.CharField(max_length=16, label="ICD-10-CM code")
    kind = forms.ChoiceField(choices=Diagnosis.Kind.choices, initial=Diagnosis.Kind.SECONDARY)
    certainty = forms.ChoiceField(choices=Diagnosis.Certainty.choices, initial=Diagnosis.Certainty.CONFIRMED)


class AllergyForm(PlainTextForm):
    allergen_code = forms.ChoiceField(
        choices=[("", "Other: type the substance below"), *allergen_choices()],
        required=False,
        label="Allergen (drug class, medicine or other substance)",
    )
    substance = forms.CharField(
        max_length=200, required=False, label="Substance (if not on the list, or to be more exact)"
    )
    category = forms.ChoiceField(choices=Allergy.Category.choices)
    severity = forms.ChoiceField(choices=Allergy.Severity.choices)
    reaction = forms.CharField(max_length=255, required=False)
    encounter = EncounterBackField()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("allergen_code") and not data.get("substance"):
            self.add_error("substance", "Choose the allergen from the list or type the substance.")
        return data


class AllergyStatusForm(PlainTextForm):
    status = forms.ChoiceField(choices=Allergy.Status.choices)
    encounter = EncounterBackField()


class NoteForm(PlainTextForm):
    subjective = forms.CharField(required=False, widget=TEXTAREA)
    objective = forms.CharField(required=False, widget=TEXTAREA)
    assessment = forms.CharField(required=False, widget=TEXTAREA)
    plan = forms.CharField(required=False, widget=TEXTAREA)


class AmendmentForm(PlainTextForm):
    text = forms.CharField(widget=TEXTAREA, label="Amendment")
    reason = forms.CharField(max_length=REASON_MAX)
