"""Forms of the staff pages: they parse input; the services decide."""

from typing import Any

from django import forms

from hms.accounts.models import User
from hms.core.forms import PlainTextForm
from hms.core.ids import MAX_ID
from hms.staff.models import Department


class DepartmentForm(PlainTextForm):
    name = forms.CharField(max_length=100)
    code = forms.CharField(max_length=16, help_text="Short code, e.g. CARD")


class StaffMemberForm(PlainTextForm):
    """An account to put on the staff; cleaned, it also holds the `account` (a User) and the
    `department` (or None) the ids name."""

    user_id = forms.IntegerField(label="Account", min_value=1, max_value=MAX_ID)
    department_id = forms.IntegerField(required=False, label="Department", min_value=1, max_value=MAX_ID)
    specialty = forms.CharField(max_length=100, required=False, help_text="Doctors only")
    licence_number = forms.CharField(max_length=64, required=False, help_text="Doctors and nurses")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("user_id") is not None:
            data["account"] = User.objects.filter(pk=data["user_id"]).select_related("hospital").first()
            if data["account"] is None:
                self.add_error("user_id", "Choose an account of this hospital.")
        data["department"] = None
        if data.get("department_id") is not None:
            data["department"] = Department.objects.filter(pk=data["department_id"]).first()
            if data["department"] is None:
                self.add_error("department_id", "Choose a department of this hospital.")
        return data
