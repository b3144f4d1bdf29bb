"""The audit log page's filters, in the words people know: a username, a patient's MRN, dates."""

import datetime
from typing import Any

from django import forms

from hms.core.forms import PlainTextForm

ACTION_PREFIX_MAX = 64  # AuditEvent.action's length
USERNAME_MAX = 150  # AuditEvent.actor_username's length
MRN_MAX = 32
DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class AuditLogFilterForm(PlainTextForm):
    username = forms.CharField(required=False, max_length=USERNAME_MAX, label="Username")
    mrn = forms.CharField(required=False, max_length=MRN_MAX, label="Patient MRN")
    date_from = forms.DateField(required=False, label="From", widget=DATE_INPUT, input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(required=False, label="To", widget=DATE_INPUT, input_formats=["%Y-%m-%d"])
    action = forms.CharField(
        required=False,
        label="Action starts with",
        widget=forms.TextInput(attrs={"placeholder": "e.g. patient."}),
    )

    def clean_action(self) -> str:
        # Longer than any action: cut, as no action could match more.
        return self.cleaned_data["action"][:ACTION_PREFIX_MAX]

    def clean_date_from(self) -> datetime.date | None:
        return _in_range(self.cleaned_data["date_from"])

    def clean_date_to(self) -> datetime.date | None:
        return _in_range(self.cleaned_data["date_to"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start is not None and end is not None and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data


def _in_range(day: datetime.date | None) -> datetime.date | None:
    if day is not None and not 1900 <= day.year <= 2999:
        raise forms.ValidationError("Choose a date between the years 1900 and 2999.")
    return day
