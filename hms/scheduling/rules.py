"""The hospital's rules for patients booking and cancelling their own appointments (the portal).

One row per hospital (PatientBookingRules, pk=1), set by its administrator; until it is
saved the model's defaults apply. The checks here are what appointment_book and
appointment_cancel add for a patient acting on their own record (scope OWN): staff are
held only to the rules every booking keeps (working hours, no double booking, not in
the past).
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db import transaction

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require, permission_scope
from hms.audit.records import audit_row
from hms.core.exceptions import ApplicationError
from hms.patients.models import Patient
from hms.scheduling.models import Appointment, PatientBookingRules, WorkingHours
from hms.scheduling.slots import day_slots
from hms.tenancy.context import current_tenant

# The ranges an administrator may choose (the table's constraints hold the same).
LIMITS = {
    "max_days_ahead": (0, 730, "Patients may book 0 to 730 days ahead."),
    "cancel_notice_hours": (0, 720, "The notice to cancel is 0 to 720 hours (30 days)."),
    "max_upcoming": (1, 50, "Allow 1 to 50 appointments still to come per patient."),
}
SWITCHED_OFF = "This hospital does not take bookings or cancellations online; please call reception."
NOT_A_FREE_TIME = "Choose one of the free times shown for this doctor."
# The statuses of an appointment still to come (a completed one is over, even if booked till later).
TO_COME = (Appointment.Status.BOOKED, Appointment.Status.ARRIVED, Appointment.Status.IN_CONSULTATION)


@dataclass(frozen=True)
class BookingWindow:
    """The dates a patient may book today: from `first` to `last` (the hospital's local dates)."""

    first: datetime.date
    last: datetime.date


def booking_rules_get() -> PatientBookingRules:
    """The current hospital's rules for patients' own bookings (the defaults until saved)."""
    return PatientBookingRules.objects.filter(pk=1).first() or PatientBookingRules(pk=1)


def booking_rules_for(*, user: User) -> tuple[PatientBookingRules, bool]:
    """The rules, for the staff who may read them (schedule view), and whether `user` may change
    them (schedule update: the administrator). NotAllowed for anyone else."""
    permission_require(user=user, resource=Resource.SCHEDULE, action=Action.VIEW)
    may_change = permission_scope(user=user, resource=Resource.SCHEDULE, action=Action.UPDATE) is not None
    return booking_rules_get(), may_change


def booking_rules_update(
    *,
    acting_user: User,
    self_booking_enabled: bool,
    max_days_ahead: int,
    cancel_notice_hours: int,
    max_upcoming: int,
    client_address: str | None = None,
) -> PatientBookingRules:
    """Save the hospital's rules for patients' own bookings (those who set working hours: ADMIN).

    Bookings already made are kept as they are; the rules apply to the next booking or
    cancellation. Audited with the values before and after.
    """
    permission_require(user=acting_user, resource=Resource.SCHEDULE, action=Action.UPDATE)
    numbers = {
        "max_days_ahead": max_days_ahead,
        "cancel_notice_hours": cancel_notice_hours,
        "max_upcoming": max_upcoming,
    }
    errors = {
        name: [message]
        for name, (low, high, message) in LIMITS.items()
        if isinstance(numbers[name], bool)
        or not isinstance(numbers[name], int)
        or not low <= numbers[name] <= high
    }
    if not isinstance(self_booking_enabled, bool):
        errors["self_booking_enabled"] = ["Say whether patients may book online."]
    if errors:
        raise ApplicationError("The booking rules are not valid.", details=errors)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        before = PatientBookingRules.objects.select_for_update().filter(pk=1).first()
        row = PatientBookingRules(
            pk=1, self_booking_enabled=self_booking_enabled, updated_by_id=acting_user.pk, **numbers
        )
        row.save(using=alias)
        saved = {"self_booking_enabled": self_booking_enabled, **numbers}
        audit_row(
            acting_user,
            "booking_rules.update",
            row,
            client_address,
            before={name: getattr(before or PatientBookingRules(), name) for name in saved},
            after=saved,
        )
    return row


def booking_window(
    *, rules: PatientBookingRules, now: datetime.datetime, zone: zoneinfo.ZoneInfo
) -> BookingWindow:
    today = now.astimezone(zone).date()
    return BookingWindow(first=today, last=today + datetime.timedelta(days=rules.max_days_ahead))


def self_booking_check(rules: PatientBookingRules) -> None:
    if not rules.self_booking_enabled:
        raise ApplicationError(SWITCHED_OFF)


def patient_booking_check(
    *,
    rules: PatientBookingRules,
    practitioner_user_id: int,
    start: datetime.datetime,
    duration_minutes: int,
    reason: str,
    now: datetime.datetime,
    zone: zoneinfo.ZoneInfo,
) -> None:
    """What a patient's own booking must keep beyond every booking's rules: self-booking on, a
    reason, a date within the window, and exactly one slot of the doctor's working hours."""
    self_booking_check(rules)
    if not reason.strip():
        message = "Say briefly why you would like to see the doctor."
        raise ApplicationError(message, details={"reason": [message]})
    window = booking_window(rules=rules, now=now, zone=zone)
    local = start.astimezone(zone)
    if local.date() > window.last:
        message = (
            f"Appointments can be booked online up to {rules.max_days_ahead} days ahead, "
            f"until {window.last:%A} {window.last.day} {window.last:%B %Y}."
        )
        raise ApplicationError(message, details={"date": [message]})
    hours = list(
        WorkingHours.objects.filter(
            practitioner_user_id=practitioner_user_id, is_active=True, weekday=local.weekday()
        ).order_by("start_time")
    )
    # The slot grid of that day (free or not: a taken slot is refused by the clash check, by name).
    grid = day_slots(hours=hours, busy=[], date=local.date(), zone=zone, now=start)
    if not any(slot.starts_at == start and slot.minutes == duration_minutes for slot, _ in grid):
        raise ApplicationError(NOT_A_FREE_TIME, details={"time": [NOT_A_FREE_TIME]})


def patient_upcoming_check(*, rules: PatientBookingRules, patient: Patient, now: datetime.datetime) -> None:
    """At most `max_upcoming` live appointments still to come (run under the patient's lock)."""
    upcoming = Appointment.objects.filter(patient=patient, ends_at__gt=now, status__in=TO_COME).count()
    if upcoming >= rules.max_upcoming:
        plural = "appointment" if upcoming == 1 else "appointments"
        raise ApplicationError(
            f"You already have {upcoming} {plural} coming up, the most that can be booked online "
            f"({rules.max_upcoming}). Cancel one first, or call reception."
        )


def patient_cancel_refusal(
    *, appointment: Appointment, rules: PatientBookingRules, now: datetime.datetime, zone: zoneinfo.ZoneInfo
) -> str | None:
    """Why a patient may not cancel their own `appointment` online now, or None."""
    if not rules.self_booking_enabled:
        return SWITCHED_OFF
    if appointment.status != Appointment.Status.BOOKED:
        return (
            f"This appointment is {appointment.get_status_display().lower()} and can no longer be "
            "cancelled online."
        )
    if appointment.starts_at - now < datetime.timedelta(hours=rules.cancel_notice_hours):
        local = appointment.starts_at.astimezone(zone)
        return (
            f"Appointments can be cancelled online up to {rules.cancel_notice_hours} hours before they "
            f"start; this one starts {local:%A} {local.day} {local:%B} at {local:%H:%M}. "
            "Please call reception to cancel it."
        )
    return None
