"""Forms of the staff pages: they parse input; the services decide."""

from django import forms

from hms.core.ids import MAX_ID


class DepartmentForm(forms.Form):
    name = forms.CharField(max_length=100)
    code = forms.CharField(max_length=16, help_text="Short code, e.g. CARD")


class StaffMemberForm(forms.Form):
    user_id = forms.IntegerField(label="Account", min_value=1, max_value=MAX_ID)
    department_id = forms.IntegerField(required=False, label="Department", min_value=1, max_value=MAX_ID)
    specialty = forms.CharField(max_length=100, required=False, help_text="Doctors only")
    licence_number = forms.CharField(max_length=64, required=False, help_text="Doctors and nurses")
