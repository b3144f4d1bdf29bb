"""The clinical profile page's form: it reads what the ADMIN typed into the values
clinical_profile_update takes; the service decides what may be saved."""

import re
from typing import Any

from django import forms

from hms.clinical.models import (
    ClinicalProfile,
    CodeSystem,
    GrowthReference,
    HeightUnit,
    LabUnits,
    TemperatureUnit,
    WeightUnit,
)
from hms.clinical.profiles import INSTALLED_CODE_SYSTEMS
from hms.core.forms import PlainTextForm

WEEKDAY_NAMES = (
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
    (7, "Sunday"),
)
LOINC_CODE = re.compile(r"\d{1,7}-\d", re.ASCII)
OVERRIDES_HELP = "One test a line: its LOINC code, then SI or CONVENTIONAL (2345-7 CONVENTIONAL)."


class CodeSystemSelect(forms.Select):
    """The code systems, those without a code set in this version shown but not choosable."""

    def create_option(
        self,
        name: str,
        value: Any,
        label: Any,
        selected: Any,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value not in INSTALLED_CODE_SYSTEMS:
            option["label"] = f"{label} (not available in this version)"
            option["attrs"]["disabled"] = True
        return option


class ClinicalProfileForm(PlainTextForm):
    country = forms.CharField(max_length=2, required=False, help_text="Its two-letter ISO code: BD, GB, US.")
    lab_units = forms.ChoiceField(choices=LabUnits.choices, label="Lab results reported in")
    lab_unit_overrides = forms.CharField(
        required=False,
        label="Tests reported otherwise",
        help_text=OVERRIDES_HELP,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    weight_unit = forms.ChoiceField(choices=WeightUnit.choices, label="Weight")
    height_unit = forms.ChoiceField(choices=HeightUnit.choices, label="Height")
    temperature_unit = forms.ChoiceField(choices=TemperatureUnit.choices, label="Temperature")
    diagnosis_code_system = forms.ChoiceField(
        choices=CodeSystem.choices, label="Diagnosis code system", widget=CodeSystemSelect
    )
    working_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAY_NAMES, coerce=int, widget=forms.CheckboxSelectMultiple, label="Working days"
    )
    growth_reference = forms.ChoiceField(choices=GrowthReference.choices, label="Growth charts")

    @staticmethod
    def initial_of(profile: ClinicalProfile) -> dict[str, Any]:
        """The form's values for the profile as it stands."""
        overrides = profile.lab_unit_overrides or {}
        return {
            "country": profile.country,
            "lab_units": profile.lab_units,
            "lab_unit_overrides": "\n".join(f"{code} {units}" for code, units in sorted(overrides.items())),
            "weight_unit": profile.weight_unit,
            "height_unit": profile.height_unit,
            "temperature_unit": profile.temperature_unit,
            "diagnosis_code_system": profile.diagnosis_code_system,
            "working_days": list(profile.working_days),
            "growth_reference": profile.growth_reference,
        }

    def clean_lab_unit_overrides(self) -> dict[str, str]:
        overrides: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["lab_unit_overrides"].splitlines(), start=1):
            words = line.replace(",", " ").replace("=", " ").split()
            if not words:
                continue
            if (
                len(words) != 2
                or not LOINC_CODE.fullmatch(words[0])
                or words[1].upper() not in LabUnits.values
            ):
                raise forms.ValidationError(f"Line {number} ({line.strip()}): {OVERRIDES_HELP}")
            if words[0] in overrides:
                raise forms.ValidationError(f"Line {number}: test {words[0]} is given twice.")
            overrides[words[0]] = words[1].upper()
        return overrides
