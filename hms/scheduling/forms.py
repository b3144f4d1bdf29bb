"""Forms of the scheduling pages: they turn what was typed into dates, times, ids and minutes.

The services decide everything else (working hours, clashes, the past); their refusals
go beside these forms with hms.core.pages.form_error_show.
"""

import datetime
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from hms.core.exceptions import ApplicationError
from hms.core.forms import PlainTextForm, WholeNumberTextField
from hms.core.ids import record_id
from hms.scheduling.models import Appointment
from hms.scheduling.wallclock import date_check

TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)", re.ASCII)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
PERIOD = re.compile(r"\s*(\S+)\s*-\s*(\S+)\s*")
CHOOSE_DOCTOR = "Choose a doctor from the list."
TIME_FORMAT = "Enter a time as hh:mm (24-hour clock)."
DURATION_FORMAT = "Enter the duration in whole minutes."
CHECK_FIELDS = "Check the highlighted fields."
CHOOSE_PATIENT = "Choose the patient: search by name, MRN or phone number."
GIVE_REASON = "Give the reason for the visit."


def clock_time(text: str) -> datetime.time | None:
    """The 24-hour wall-clock time in "hh:mm" (or "h:mm"), else None."""
    match = TIME.fullmatch(text.strip())
    return datetime.time(int(match.group(1)), int(match.group(2))) if match else None


def visit_reason(required: str) -> forms.CharField:
    """The reason for the visit: one line, 255 characters at most; `required` says what to type."""
    return forms.CharField(
        max_length=255,
        widget=forms.TextInput(attrs={"maxlength": 255}),
        error_messages={"required": required},
    )


class LocalDateField(forms.Field):
    """A date typed as yyyy-mm-dd, within the years scheduling works with."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    default_error_messages = {"required": "Enter a date as yyyy-mm-dd."}

    def to_python(self, value: Any) -> datetime.date | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            date = datetime.date.fromisoformat(text) if DATE.fullmatch(text) else None
        except ValueError:
            date = None
        if date is None:
            raise ValidationError(f"{text!r} is not a date (yyyy-mm-dd).", code="invalid")
        try:
            date_check(date)
        except ApplicationError as exc:
            raise ValidationError(exc.message, code="out_of_range") from exc
        return date


class ClockTimeField(forms.Field):
    """A local wall-clock time typed as hh:mm."""

    widget = forms.TextInput(attrs={"placeholder": "09:30"})
    default_error_messages = {"required": TIME_FORMAT, "invalid": TIME_FORMAT}

    def to_python(self, value: Any) -> datetime.time | None:
        text = str(value or "").strip()
        if not text:
            return None
        time = clock_time(text)
        if time is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return time


class WholeNumberField(WholeNumberTextField):
    """A number of ASCII digits (no sign, no decimals); `message` says what to type instead."""

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        super().__init__(max_digits=12, error_messages={"required": message, "invalid": message}, **kwargs)

    @staticmethod
    def digits(text: str) -> int | None:
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None

    def parse(self, value: object) -> int:
        number = self.digits(str(value))
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class RecordIdField(WholeNumberField):
    """A record's id, as a list or the picker gives it (whether it may be used is the service's say)."""

    @staticmethod
    def digits(text: str) -> int | None:
        return record_id(text)


class DoctorField(RecordIdField):
    """A doctor's user id, as the doctor lists give it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(message=CHOOSE_DOCTOR, **kwargs)


class PeriodsField(forms.CharField):
    """Periods of a day typed as "09:00-12:00, 14:00-17:00"; empty is a day off."""

    def to_python(self, value: Any) -> list[tuple[datetime.time, datetime.time]]:  # type: ignore[override]
        periods = []
        problems = []
        for part in filter(None, (p.strip() for p in str(value or "").split(","))):
            match = PERIOD.fullmatch(part)
            start = clock_time(match.group(1)) if match else None
            end = clock_time(match.group(2)) if match else None
            if start is None or end is None:
                problems.append(f"{part!r} is not a period like 09:00-12:00.")
                continue
            periods.append((start, end))
        if problems:
            raise ValidationError(problems, code="invalid")
        return periods


class SlotOrTimeForm(PlainTextForm):
    """A form whose time is typed, or chosen with a free-slot button (the button wins)."""

    time = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": "09:30"}))

    def clean_time(self) -> datetime.time:
        typed = str(self.data.get("slot") or self.data.get("time") or "")
        time = clock_time(typed)
        if time is None:
            raise ValidationError(TIME_FORMAT, code="invalid")
        return time

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if self.errors:
            self.add_error(None, CHECK_FIELDS)
        return cleaned


class DayFilterForm(PlainTextForm):
    """The day list's filter: a local date (default today) and a doctor (default all)."""

    date = LocalDateField(required=False)
    doctor = DoctorField(required=False)


class AppointmentBookForm(SlotOrTimeForm):
    """Booking: the patient chosen with the picker, doctor, local date and time, duration, reason.

    With `slots_only` (showing the doctor's free slots) only the doctor and date are read.
    """

    patient = RecordIdField(message=CHOOSE_PATIENT)
    q = forms.CharField(required=False, max_length=100)
    practitioner = DoctorField()
    date = LocalDateField()
    duration_minutes = WholeNumberField(message=DURATION_FORMAT)
    reason = visit_reason(GIVE_REASON)

    def __init__(self, *args: Any, slots_only: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "book-%s")
        super().__init__(*args, **kwargs)
        self.slots_only = slots_only
        if slots_only:
            self.fields["practitioner"].required = False
            for name in ("patient", "time", "duration_minutes", "reason"):
                self.fields[name] = forms.CharField(required=False, widget=self.fields[name].widget)

    def clean_time(self) -> Any:
        return self.cleaned_data.get("time") if self.slots_only else super().clean_time()


class AppointmentRescheduleForm(SlotOrTimeForm):
    date = LocalDateField()
    duration_minutes = WholeNumberField(message=DURATION_FORMAT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "move-%s")
        super().__init__(*args, **kwargs)


class AppointmentCancelForm(PlainTextForm):
    # Not required here: the service says why a reason is needed, beside the field.
    reason = forms.CharField(required=False)


class AppointmentStatusForm(PlainTextForm):
    status = forms.ChoiceField(
        choices=Appointment.Status.choices,
        error_messages={
            "required": "Choose a status.",
            "invalid_choice": "%(value)s is not an appointment status.",
        },
    )


class WorkingHoursFilterForm(PlainTextForm):
    practitioner = DoctorField(required=False)


class WorkingHoursForm(PlainTextForm):
    """One weekday of one doctor's hours."""

    practitioner = DoctorField()
    weekday = WholeNumberField(message="Choose a day of the week.")
    periods = PeriodsField(required=False)
    slot_minutes = WholeNumberField(message="Enter the slot length in minutes.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "hours-%s")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if self.errors:
            self.add_error(None, CHECK_FIELDS)
        return cleaned


class DepartmentDayForm(PlainTextForm):
    """The department grid's filter: a local date (default today) and a department."""

    date = LocalDateField(required=False)
    department = RecordIdField(message="Choose a department from the list.", required=False)


class PortalTimesForm(PlainTextForm):
    """The portal's booking page as a query: the doctor, the first date shown, the time chosen
    (with its length in minutes, as the list of free times gives it)."""

    doctor = DoctorField(required=False)
    date = LocalDateField(required=False)
    time = ClockTimeField(required=False)
    minutes = WholeNumberField(message=DURATION_FORMAT, required=False)


class PortalBookForm(PlainTextForm):
    """A patient's booking of one free time, with the reason for the visit (its fields are named
    as appointment_book's arguments)."""

    practitioner_user_id = DoctorField()
    local_date = LocalDateField()
    local_time = ClockTimeField()
    duration_minutes = WholeNumberField(message=DURATION_FORMAT)
    reason = visit_reason("Say briefly why you would like to see the doctor.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "portal-%s")
        super().__init__(*args, **kwargs)


class BookingRulesForm(PlainTextForm):
    """The hospital's rules for patients' own bookings (the administrator's)."""

    self_booking_enabled = forms.BooleanField(required=False)
    max_days_ahead = WholeNumberField(message="Enter the number of days in whole days.")
    cancel_notice_hours = WholeNumberField(message="Enter the notice in whole hours.")
    max_upcoming = WholeNumberField(message="Enter a whole number of appointments.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "rules-%s")
        super().__init__(*args, **kwargs)
