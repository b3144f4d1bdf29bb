"""The audit log page's filters: record numbers read as hms.core.ids reads them."""

from django import forms

from hms.core.forms import PlainTextForm
from hms.core.ids import record_id

ACTION_PREFIX_MAX = 64  # AuditEvent.action's length


class RecordNumberField(forms.CharField):
    """A record id typed by a person; empty is no filter, anything else not an id is refused."""

    default_error_messages = {"invalid": "Not a record number."}

    def to_python(self, value: object) -> int | None:  # type: ignore[override]  # an int, not a str
        text = super().to_python(value)
        if not text:
            return None
        number = record_id(text)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class AuditLogFilterForm(PlainTextForm):
    patient = RecordNumberField(required=False, label="Patient id")
    actor = RecordNumberField(required=False, label="User id")
    action = forms.CharField(
        required=False,
        label="Action starts with",
        widget=forms.TextInput(attrs={"placeholder": "e.g. patient."}),
    )

    def clean_action(self) -> str:
        # Longer than any action: cut, as no action could match more.
        return self.cleaned_data["action"][:ACTION_PREFIX_MAX]
