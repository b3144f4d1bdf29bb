"""Forms of the care pages: break-the-glass, its review, and sending a walk-in to a clinician."""

from django import forms

from hms.care.models import EmergencyAccess
from hms.core.forms import PlainTextForm


class EmergencyAccessForm(PlainTextForm):
    reason = forms.ChoiceField(label="Why do you need this record?", choices=EmergencyAccess.Reason.choices)
    explanation = forms.CharField(
        label="Explain (required for Other)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EmergencyReviewForm(PlainTextForm):
    # Required by the service, which first checks who asks and that the access exists.
    note = forms.CharField(
        label="Review note", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class CareAssignForm(PlainTextForm):
    clinician_user_id = forms.TypedChoiceField(label="Clinician", coerce=int, choices=())
    reason = forms.CharField(label="Reason for the visit", max_length=255)

    def __init__(self, *args: object, clinicians: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["clinician_user_id"].choices = [("", "Choose a clinician"), *clinicians]  # type: ignore[attr-defined]
