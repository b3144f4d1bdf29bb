"""Forms of the staff pages: they parse input; the services decide."""

from typing import Any

from django import forms

from hms.accounts.models import STAFF_ROLE_CHOICES, User
from hms.core.forms import PlainTextForm
from hms.core.ids import MAX_ID
from hms.staff.models import Department
from hms.tenancy.context import current_tenant


class DepartmentForm(PlainTextForm):
    name = forms.CharField(max_length=100)
    code = forms.CharField(max_length=16, help_text="Short code, e.g. CARD")


def account_of_hospital(username: str) -> User | None:
    """The account named `username` in the current hospital, or None: an account of another
    hospital is answered exactly as one that does not exist."""
    return (
        User.objects.filter(username=username.strip(), hospital__code=current_tenant().code)
        .select_related("hospital")
        .first()
    )


def _department_clean(form: forms.Form, data: dict[str, Any]) -> None:
    data["department"] = None
    if data.get("department_id") is not None:
        data["department"] = Department.objects.filter(pk=data["department_id"]).first()
        if data["department"] is None:
            form.add_error("department_id", "Choose a department of this hospital.")


class StaffMemberForm(PlainTextForm):
    """An account of this hospital to put on the staff, named by its username; cleaned, it also
    holds the `account` (a User) and the `department` (or None) the form names."""

    username = forms.CharField(label="Account (username)", max_length=150)
    department_id = forms.IntegerField(required=False, label="Department", min_value=1, max_value=MAX_ID)
    specialty = forms.CharField(max_length=100, required=False, help_text="Doctors only")
    licence_number = forms.CharField(max_length=64, required=False, help_text="Doctors and nurses")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("username"):
            data["account"] = account_of_hospital(data["username"])
            if data["account"] is None:
                self.add_error("username", f"There is no account named {data['username']} in this hospital.")
        _department_clean(self, data)
        return data


class StaffAccountForm(PlainTextForm):
    """A new staff account and its staff record, in one step; cleaned, `department` is the
    department (or None) the form names. Its user sets a password through a one-time link."""

    username = forms.CharField(max_length=150, help_text="Letters, digits and @ . + - _ only")
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=STAFF_ROLE_CHOICES)
    department_id = forms.IntegerField(required=False, label="Department", min_value=1, max_value=MAX_ID)
    specialty = forms.CharField(max_length=100, required=False, help_text="Doctors only")
    licence_number = forms.CharField(max_length=64, required=False, help_text="Doctors and nurses")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _department_clean(self, data)
        data.pop("department_id", None)
        return data
