"""Forms of the encounter pages: they parse input; the services decide."""

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.forms import BoundField
from django.utils import timezone

from hms.core.exceptions import ApplicationError
from hms.core.forms import DecimalTextField, PlainTextForm, RecordIdField
from hms.core.ids import record_id
from hms.core.voiding import REASON_MAX
from hms.encounters.allergens import allergen_choices
from hms.encounters.models import Allergy, Diagnosis, Encounter, Observation, ProblemListItem
from hms.encounters.services.observations import VitalsQualifiers
from hms.encounters.vitals import (
    VALUE_DIGITS,
    VALUE_PLACES,
    VITALS,
    Vital,
    hospital_units,
    vital_value_parse,
    vitals_refused,
)
from hms.scheduling.models import Appointment
from hms.scheduling.wallclock import hospital_zone, local_to_utc

TEXTAREA = forms.Textarea(attrs={"rows": 4, "cols": 80})


class EncounterBackField(forms.Field):
    """The encounter page to go back to (a hidden field); what is no record id means none."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> int | None:
        return record_id(value) if value else None


def _choice_or(default: str, choices: Iterable[tuple[str, str]], label: str) -> forms.TypedChoiceField:
    """A choice that is `default` when left out (an older form, a script that does not send it)."""
    return forms.TypedChoiceField(
        choices=choices, required=False, empty_value=default, initial=default, label=label
    )


class EncounterStartForm(PlainTextForm):
    encounter_class = _choice_or(Encounter.Class.AMBULATORY, Encounter.Class.choices, "Class")
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


def _unit_choices(vital: Vital, first: str) -> list[tuple[str, str]]:
    """The vital's units, the hospital's own (`first`) at the top: it is the one pre-selected."""
    units = sorted(vital.input_units, key=lambda unit: unit.ucum != first)
    return [(unit.ucum, unit.label) for unit in units]


class VitalsForm(PlainTextForm):
    """A value (and, where it has units, a unit) per vital sign that is typed (BMI is computed), the
    time the set was taken, the blood pressure's position, where the temperature was taken, and the
    confirmation of unusual values. Each unit select starts on the hospital's unit (its clinical
    profile), visibly: a nurse in the United States sees lb, in and °F first, in the UK kg, cm, °C."""

    taken_date = forms.DateField(
        required=False, label="Date taken", widget=forms.DateInput(attrs={"type": "date"})
    )
    taken_time = forms.TimeField(
        required=False, label="Time taken", widget=forms.TimeInput(attrs={"type": "time"})
    )
    body_position = forms.ChoiceField(
        choices=[("", "Not noted"), *Observation.BodyPosition.choices], required=False, label="Position"
    )
    temperature_site = forms.ChoiceField(
        choices=[("", "Not noted"), *Observation.BodySite.choices], required=False, label="Temperature taken"
    )
    confirm = forms.BooleanField(
        required=False, label="I have checked the very unusual values and they are right: record them"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = hospital_units()
        self.typed = [vital for vital in VITALS.values() if not vital.computed]
        for vital in self.typed:
            if vital.coded:
                self.fields[f"value_{vital.code}"] = forms.ChoiceField(
                    choices=[("", "Not assessed")] + [(a.code, a.text) for a in vital.answers],
                    required=False,
                    label=vital.display,
                )
                continue
            self.fields[f"value_{vital.code}"] = VitalValueField(vital=vital)
            if vital.input_units:
                first = units.get(vital.code, vital.unit)
                self.fields[f"unit_{vital.code}"] = forms.ChoiceField(
                    choices=_unit_choices(vital, first),
                    required=False,
                    initial=first,
                    label=f"{vital.display} unit",
                )
        self.taken_at: datetime.datetime | None = None

    def rows(self) -> list[tuple[Vital, BoundField, BoundField | None]]:
        """Every patient's rows; the children's early warning score's are `paediatric_rows`."""
        return self._rows(paediatric=False)

    def paediatric_rows(self) -> list[tuple[Vital, BoundField, BoundField | None]]:
        return self._rows(paediatric=True)

    def _rows(self, *, paediatric: bool) -> list[tuple[Vital, BoundField, BoundField | None]]:
        return [
            (vital, self[f"value_{vital.code}"], self[f"unit_{vital.code}"] if vital.input_units else None)
            for vital in self.typed
            if vital.paediatric == paediatric
        ]

    def clean(self) -> dict[str, Any] | None:
        """Sum up the values refused (each field read its number; the service converts units
        and checks the limits), and read the time taken in the hospital's time zone."""
        cleaned = super().clean() or {}
        refused = [vital.code for vital in self.typed if f"value_{vital.code}" in self.errors]
        if refused:
            self.add_error(None, vitals_refused(refused))
        day, time = cleaned.get("taken_date"), cleaned.get("taken_time")
        if day is not None or time is not None:
            self.taken_at = self._taken_at(day, time)
        return cleaned

    def _taken_at(self, day: datetime.date | None, time: datetime.time | None) -> datetime.datetime | None:
        zone = hospital_zone()
        if time is None:
            self.add_error("taken_time", "Give the time the values were taken.")
            return None
        day = day or timezone.localdate(timezone=zone)
        try:
            return local_to_utc(date=day, time=time, zone=zone)
        except ApplicationError as error:
            self.add_error("taken_time", error.message)
            return None

    def values(self) -> dict[str, tuple[Decimal | str, str]]:
        """{LOINC code: (value, unit)} of what was filled in; the unit as chosen (never a default)."""
        data = self.cleaned_data
        return {
            vital.code: (data[f"value_{vital.code}"], data.get(f"unit_{vital.code}") or "")
            for vital in self.typed
            if data.get(f"value_{vital.code}") not in (None, "")
        }

    def qualifiers(self) -> VitalsQualifiers:
        data = self.cleaned_data
        return VitalsQualifiers(
            taken_at=self.taken_at,
            body_position=data.get("body_position") or "",
            temperature_site=data.get("temperature_site") or "",
            confirmed=bool(data.get("confirm")),
        )

    def field_names(self) -> dict[str, str]:
        return {
            **{vital.code: f"value_{vital.code}" for vital in self.typed},
            "taken_at": "taken_time",
            "body_position": "body_position",
            "temperature_site": "temperature_site",
            "confirm": "confirm",
        }


class DiagnosisForm(PlainTextForm):
    icd10_code = forms.CharField(max_length=16, label="Diagnosis code")
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
    type = _choice_or(Allergy.Type.ALLERGY, Allergy.Type.choices, "Allergy or intolerance")
    criticality = _choice_or(
        Allergy.Criticality.UNABLE_TO_ASSESS, Allergy.Criticality.choices, "Criticality (future risk)"
    )
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


class NoKnownAllergiesForm(PlainTextForm):
    encounter = EncounterBackField()


class ProblemForm(PlainTextForm):
    """A problem added directly: its code in the hospital's system and, where known, its onset."""

    code = forms.CharField(max_length=16, label="Code")
    onset_date = forms.DateField(
        required=False, label="Onset (if known)", widget=forms.DateInput({"type": "date"})
    )


NO_SUCH_DIAGNOSIS = "Choose one of this encounter's diagnoses."


class ProblemFromDiagnosisForm(PlainTextForm):
    diagnosis = RecordIdField(invalid=NO_SUCH_DIAGNOSIS, widget=forms.HiddenInput)
    encounter = EncounterBackField()

    def clean_diagnosis(self) -> int:
        number = self.cleaned_data.get("diagnosis")
        if number is None:
            raise forms.ValidationError(NO_SUCH_DIAGNOSIS, code="required")
        return int(number)


class ProblemStatusForm(PlainTextForm):
    status = forms.ChoiceField(choices=ProblemListItem.Status.choices)
    resolved_date = forms.DateField(
        required=False, label="Resolved on (today if empty)", widget=forms.DateInput({"type": "date"})
    )


class NoteForm(PlainTextForm):
    subjective = forms.CharField(required=False, widget=TEXTAREA)
    objective = forms.CharField(required=False, widget=TEXTAREA)
    assessment = forms.CharField(required=False, widget=TEXTAREA)
    plan = forms.CharField(required=False, widget=TEXTAREA)


class AmendmentForm(PlainTextForm):
    text = forms.CharField(widget=TEXTAREA, label="Amendment")
    reason = forms.CharField(max_length=REASON_MAX)
