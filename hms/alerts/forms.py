"""Forms of the alert pages: an acknowledgement's read-back, and the ADMIN's alert settings."""

from typing import Any

from django import forms

from hms.alerts.channels import CHANNELS
from hms.core.forms import PlainTextForm, WholeNumberTextField


class AcknowledgeForm(PlainTextForm):
    # Checked by the service (it must state the value), which first checks who asks.
    read_back = forms.CharField(label="Read-back", required=False, max_length=500)


class AlertSettingsForm(PlainTextForm):
    escalation_minutes = WholeNumberTextField(
        max_digits=3,
        label="Escalate after (minutes)",
        error_messages={"required": "Enter the minutes in whole minutes."},
    )
    escalation_clinician_id = forms.TypedChoiceField(
        label="Escalation clinician", coerce=int, empty_value=None, required=False, choices=()
    )
    channels = forms.MultipleChoiceField(
        label="Also tell them by", required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args: Any, doctors: list[tuple[int, str]], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "alerts-%s")
        super().__init__(*args, **kwargs)
        choices = [("", "None: a doctor of the same department, else the administrators"), *doctors]
        self.fields["escalation_clinician_id"].choices = choices  # type: ignore[attr-defined]
        self.fields["channels"].choices = [(key, channel.label) for key, channel in CHANNELS.items()]  # type: ignore[attr-defined]
