"""Forms of the patient pages: they parse input; the services decide."""

from typing import Any

from django import forms

from hms.core.forms import PlainTextForm
from hms.patients.dates import AGE_YEARS_MAX, birth_date_from_age, hospital_today
from hms.patients.models import Patient, PatientIdentifier
from hms.patients.selectors import patient_account_find


class PatientForm(PlainTextForm):
    """The demographics as the services take them; an age in years stands for an unknown birth
    date (an estimated date is stored, and marked so)."""

    given_name = forms.CharField(max_length=100, required=False, help_text="One name only? Leave one empty.")
    family_name = forms.CharField(max_length=100, required=False)
    birth_date = forms.DateField(
        required=False, help_text="yyyy-mm-dd", widget=forms.DateInput(attrs={"type": "date"})
    )
    age_years = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=AGE_YEARS_MAX,
        label="or, if the birth date is not known, age in years",
    )
    birth_date_estimated = forms.BooleanField(required=False, label="The birth date is estimated")
    sex = forms.ChoiceField(choices=Patient.Sex.choices, initial=Patient.Sex.UNKNOWN)
    sex_for_clinical_use = forms.ChoiceField(
        choices=Patient.ClinicalSex.choices,
        required=False,
        label="Sex for clinical use",
        help_text="Which sex's reference ranges apply, where the sex above is other or unknown (or differs).",
    )
    phone = forms.CharField(max_length=40, required=False)
    email = forms.EmailField(required=False)
    address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        age = data.pop("age_years", None)
        if self.has_error("birth_date") or self.has_error("age_years"):
            return data
        if data.get("birth_date") is None and age is None:
            self.add_error("birth_date", "Give the birth date, or the age in years if it is not known.")
        elif data.get("birth_date") is not None and age is not None:
            self.add_error("age_years", "Give the birth date or the age, not both.")
        elif age is not None:
            data["birth_date"] = birth_date_from_age(years=age, today=hospital_today())
            data["birth_date_estimated"] = True
        return data


class RegistrationForm(PatientForm):
    national_id = forms.CharField(max_length=64, required=False, label="National ID")
    insurance_number = forms.CharField(max_length=64, required=False)
    kin_name = forms.CharField(max_length=200, required=False, label="Next of kin: name")
    kin_relationship = forms.CharField(max_length=50, required=False, label="Next of kin: relationship")
    kin_phone = forms.CharField(max_length=40, required=False, label="Next of kin: phone")
    confirm_not_duplicate = forms.BooleanField(
        required=False, label="I have checked: this is not the same person as the patients listed above"
    )

    def identifiers(self) -> list[tuple[str, str]]:
        data = self.cleaned_data
        pairs = [
            (PatientIdentifier.System.NATIONAL_ID, data["national_id"]),
            (PatientIdentifier.System.INSURANCE, data["insurance_number"]),
        ]
        return [(system, value) for system, value in pairs if value.strip()]

    def next_of_kin(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        if not (data["kin_name"] or data["kin_relationship"] or data["kin_phone"]):
            return []
        return [
            {"name": data["kin_name"], "relationship": data["kin_relationship"], "phone": data["kin_phone"]}
        ]


class IdentifierForm(PlainTextForm):
    system = forms.ChoiceField(choices=PatientIdentifier.System.choices)
    value = forms.CharField(max_length=64)


class NextOfKinForm(PlainTextForm):
    name = forms.CharField(max_length=200)
    relationship = forms.CharField(max_length=50)
    phone = forms.CharField(max_length=40, required=False)


class PortalLinkForm(PlainTextForm):
    """Cleaned, it holds the account named, as the service takes it: `{"user": account}`. Only
    the patient accounts of the current hospital are found: any other name, an account of
    another hospital included, gets the same answer as one that does not exist."""

    username = forms.CharField(max_length=150, label="Patient account (username)")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "username" not in data:
            return data
        account = patient_account_find(username=data["username"])
        if account is None:
            self.add_error(
                "username", f"There is no patient account named {data['username']} in this hospital."
            )
            return data
        return {"user": account}


class PortalUnlinkForm(PlainTextForm):
    confirm = forms.BooleanField(
        label="Yes, unlink: the patient can no longer see this record when they sign in",
        error_messages={"required": "Tick the box to confirm the unlinking."},
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        return {}  # the service takes no values: the box only confirms


class DeathRecordForm(PlainTextForm):
    deceased_at = forms.DateTimeField(
        label="Date and time of death",
        help_text="The hospital's local time.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    confirm = forms.BooleanField(required=False, label="I confirm that this patient has died")


class DeathUndoForm(PlainTextForm):
    reason = forms.CharField(
        max_length=500, label="Why the recorded death is taken back", widget=forms.Textarea(attrs={"rows": 2})
    )
