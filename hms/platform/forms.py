"""The console's forms: a new hospital with its first administrator, and the hospital an action names."""

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator

from hms.core.forms import PlainTextForm
from hms.hospitals.models import Hospital
from hms.hospitals.validators import validate_time_zone
from hms.tenancy.codes import is_valid_hospital_code


class ConsoleSearchForm(PlainTextForm):
    q = forms.CharField(required=False, max_length=200, label="Code or name")
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Hospital.Status.choices], label="Status"
    )


class HospitalNewForm(PlainTextForm):
    code = forms.CharField(
        max_length=32,
        label="Code",
        help_text="2-32 capital letters, digits and underscores, e.g. TH001. It cannot be changed later.",
    )
    name = forms.CharField(max_length=200, label="Name")
    time_zone = forms.CharField(
        max_length=64, initial="UTC", label="Time zone", help_text="As in Asia/Dhaka or Europe/London."
    )
    # Checked as the account will be, before the hospital is made: a refused username leaves nothing.
    admin_username = forms.CharField(
        max_length=150, label="First administrator's username", validators=[UnicodeUsernameValidator()]
    )
    admin_email = forms.EmailField(label="First administrator's email")
    admin_first_name = forms.CharField(max_length=150, required=False, label="First name")
    admin_last_name = forms.CharField(max_length=150, required=False, label="Last name")

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        if not is_valid_hospital_code(code):
            raise forms.ValidationError(
                "Use 2-32 capital letters, digits and underscores, starting with a letter or digit."
            )
        return code

    def clean_time_zone(self) -> str:
        time_zone = self.cleaned_data["time_zone"].strip()
        validate_time_zone(time_zone)
        return time_zone


class HospitalActionForm(PlainTextForm):
    """The hospital a console action is for, named by its code."""

    code = forms.CharField(max_length=32)


class DatabaseRemoveForm(HospitalActionForm):
    confirm_code = forms.CharField(max_length=32, label="Type the hospital's code to confirm")
