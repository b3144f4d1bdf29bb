"""Writes of the scheduling app: working hours, and booking, rescheduling, cancelling and
moving appointments through their statuses (by the buttons, TRANSITIONS, or by an
encounter, ENCOUNTER_TRANSITIONS: no other app writes appointment rows). Each checks
the permission matrix and writes its audit row in the same transaction.

A practitioner is never double-booked: the service checks first, inside its
transaction, to name the clashing time, and the database refuses what slips past
(two bookings at the same moment); that refusal becomes the same ApplicationError.

A patient (scope OWN) books and cancels only their own appointments, and within the
hospital's booking rules besides (hms.scheduling.rules): self-booking switched on, one
free slot of the doctor's working hours, within the days ahead allowed, no more
appointments to come than allowed, and a cancellation with the notice required.
"""

import contextlib
import datetime
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from hms.accounts.display import display_name
from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, Scope, permission_require, permission_scope
from hms.audit.records import audit_row
from hms.care.access import patient_access
from hms.care.rows import row_save, row_stamp
from hms.core.display import zone_abbreviation
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.core.ids import record_id
from hms.core.text import control_characters_refuse
from hms.core.validation import model_valid
from hms.patients.clinical import patient_alive_require
from hms.patients.models import Patient
from hms.scheduling import wallclock
from hms.scheduling.models import FREE_STATUSES, Appointment, PatientBookingRules, WorkingHours
from hms.scheduling.practitioners import practitioner_get
from hms.scheduling.rules import (
    booking_rules_get,
    patient_booking_check,
    patient_cancel_refusal,
    patient_upcoming_check,
    self_booking_check,
)
from hms.scheduling.wallclock import UTC, date_check, hospital_zone, local_to_utc
from hms.tenancy.context import current_tenant

MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 480
APPOINTMENT_NOT_FOUND = "No such appointment here."

S = Appointment.Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.BOOKED: frozenset({S.ARRIVED, S.CANCELLED, S.NO_SHOW}),
    S.ARRIVED: frozenset({S.IN_CONSULTATION, S.CANCELLED}),
    S.IN_CONSULTATION: frozenset({S.COMPLETED}),
}
# When, and by whom, the buttons may make a move (beyond the matrix's appointment UPDATE):
# arrival and the consultation happen on the appointment's own day (the hospital's local
# date); a no-show only once the appointment has started; completion only by the
# appointment's own doctor (an encounter started from it completes it when it is finished).
ON_THE_DAY = frozenset({S.ARRIVED, S.IN_CONSULTATION})
ONCE_STARTED = frozenset({S.NO_SHOW})
BY_ITS_CLINICIAN = frozenset({S.COMPLETED})
# The moves an encounter makes to the appointment it was started from (and only those):
# a doctor may start straight from a booked appointment (nobody marked the patient
# arrived), finishing completes it, and voiding the encounter gives it back, arrived.
# The statuses an encounter may be started from (when none was started from it yet): an
# appointment put in consultation by the day list's button still waits for its encounter.
ENCOUNTER_STARTABLE = (S.BOOKED, S.ARRIVED, S.IN_CONSULTATION)
ENCOUNTER_TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    "start": {S.IN_CONSULTATION: frozenset({S.BOOKED, S.ARRIVED})},
    "finish": {S.COMPLETED: frozenset({S.IN_CONSULTATION})},
    "void": {S.ARRIVED: frozenset({S.IN_CONSULTATION})},
}


def appointment_next_statuses(status: str) -> list[str]:
    """The statuses an appointment in `status` may move to, in the order of the Status list."""
    allowed = TRANSITIONS.get(status, frozenset())
    return [value for value in S.values if value in allowed]


@dataclass(frozen=True)
class MoveRefusal:
    message: str
    not_allowed: bool = False  # the user may never make this move (403), rather than not now (400)


def appointment_move_refusal(
    *,
    appointment: Appointment,
    new_status: str,
    user: User,
    now: datetime.datetime,
    zone: zoneinfo.ZoneInfo,
) -> MoveRefusal | None:
    """Why `user` may not move `appointment` to `new_status` by the buttons at `now`, or None.

    The matrix's appointment UPDATE is asked by the caller; this is the rest of the rules:
    TRANSITIONS, ON_THE_DAY, ONCE_STARTED and BY_ITS_CLINICIAN. Pages ask it to offer only
    the buttons that work; appointment_status_set refuses with it.
    """
    old_status = appointment.status
    if new_status not in TRANSITIONS.get(old_status, frozenset()):
        return MoveRefusal(_transition_refusal(old_status, new_status))
    label = S(new_status).label
    if new_status in ON_THE_DAY:
        day, today = appointment.starts_at.astimezone(zone).date(), now.astimezone(zone).date()
        if day != today:
            return MoveRefusal(
                f"{label} can be recorded only on the day of the appointment ({_day_label(day)}); "
                f"today is {_day_label(today)}."
            )
    if new_status in ONCE_STARTED and now < appointment.starts_at:
        return MoveRefusal(
            "A patient can be recorded as a no-show only once their appointment has started "
            f"({_local_label(appointment.starts_at, zone)})."
        )
    if new_status in BY_ITS_CLINICIAN:
        if appointment.practitioner_user_id != user.pk:
            return MoveRefusal(
                f"Only the appointment's doctor can mark it {label.lower()} (or finish its encounter).",
                not_allowed=True,
            )
        linked = getattr(appointment, "has_encounter", None)  # the lists' selectors read it with the row
        if linked is None:
            linked = Appointment.objects.filter(pk=appointment.pk, encounter__isnull=False).exists()
        if linked:
            return MoveRefusal(
                "An encounter was started from this appointment: finish the encounter, which "
                f"marks the appointment {label.lower()}."
            )
    return None


def appointment_moves_allowed(
    *,
    appointment: Appointment,
    user: User,
    now: datetime.datetime,
    zone: zoneinfo.ZoneInfo,
    rules: PatientBookingRules | None = None,
) -> tuple[str, ...]:
    """The statuses `user` may move `appointment` to by the buttons at `now`, in the Status order.

    A patient may only cancel their own, within the hospital's booking rules (`rules`, read
    here when not given: a list reads them once for all its rows).
    """
    scope = permission_scope(user=user, resource=Resource.APPOINTMENT, action=Action.UPDATE)
    if scope is None or (scope == Scope.CARE and appointment.practitioner_user_id != user.pk):
        return ()
    if scope == Scope.OWN:
        if appointment.patient.user_id != user.pk:
            return ()
        refusal = patient_cancel_refusal(
            appointment=appointment, rules=rules or booking_rules_get(), now=now, zone=zone
        )
        return () if refusal else (S.CANCELLED,)
    return tuple(
        status
        for status in appointment_next_statuses(appointment.status)
        if appointment_move_refusal(appointment=appointment, new_status=status, user=user, now=now, zone=zone)
        is None
    )


# Working hours


def working_hours_set(
    *,
    acting_user: User,
    practitioner_user_id: int,
    weekday: int,
    periods: Sequence[tuple[datetime.time, datetime.time]],
    slot_minutes: int = 15,
    client_address: str | None = None,
) -> list[WorkingHours]:
    """Replace a doctor's working hours on one weekday with `periods` (local wall-clock times).

    An empty `periods` means the doctor does not work that day. The replaced rows are
    kept, inactive. Booked appointments are not moved: outside the new hours they stay
    until someone reschedules them.
    """
    permission_require(user=acting_user, resource=Resource.SCHEDULE, action=Action.UPDATE)
    practitioner = practitioner_get(practitioner_user_id=practitioner_user_id)
    errors: dict[str, list[str]] = {}
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        errors["weekday"] = ["Choose a day of the week (0 = Monday ... 6 = Sunday)."]
    if isinstance(slot_minutes, bool) or not isinstance(slot_minutes, int) or not 5 <= slot_minutes <= 480:
        errors["slot_minutes"] = ["Slots are 5 to 480 minutes long."]
    rows: list[WorkingHours] = []
    problems: list[str] = []
    for start, end in periods:
        if not isinstance(start, datetime.time) or not isinstance(end, datetime.time):
            problems.append("Give each period as a start and an end time (hh:mm).")
            continue
        start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
        if end <= start:
            problems.append(f"{start:%H:%M}-{end:%H:%M}: the end must be after the start.")
            continue
        rows.append(
            WorkingHours(
                practitioner_user_id=practitioner.pk,
                weekday=weekday,
                start_time=start,
                end_time=end,
                slot_minutes=slot_minutes,
            )
        )
    rows.sort(key=lambda row: row.start_time)
    for before, after in zip(rows, rows[1:], strict=False):
        if after.start_time < before.end_time:
            problems.append(
                f"{before.start_time:%H:%M}-{before.end_time:%H:%M} and "
                f"{after.start_time:%H:%M}-{after.end_time:%H:%M} overlap."
            )
    if problems:
        errors["periods"] = problems
    if errors:
        raise ApplicationError("The working hours are not valid.", details=errors)
    for row in rows:
        model_valid(row, "The working hours are not valid.", validate_constraints=False)

    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        replaced = list(
            WorkingHours.objects.select_for_update()
            .filter(practitioner_user_id=practitioner.pk, weekday=weekday, is_active=True)
            .values_list("pk", flat=True)
        )
        WorkingHours.objects.filter(pk__in=replaced).update(is_active=False, updated_at=timezone.now())
        for row in rows:
            row.save(using=alias)
        audit_row(
            acting_user,
            "working_hours.set",
            WorkingHours,
            client_address,
            practitioner_user_id=practitioner.pk,
            weekday=weekday,
            periods=[f"{r.start_time:%H:%M}-{r.end_time:%H:%M}" for r in rows],
            slot_minutes=slot_minutes,
            working_hours_ids=[r.pk for r in rows],
            replaced_ids=replaced,
        )
    return rows


# Appointments


def appointment_book(
    *,
    acting_user: User,
    patient: Patient,
    practitioner_user_id: int,
    starts_at: datetime.datetime | None = None,
    local_date: datetime.date | None = None,
    local_time: datetime.time | None = None,
    duration_minutes: int = 15,
    reason: str = "",
    client_address: str | None = None,
) -> Appointment:
    """Book `patient` with a doctor, from `starts_at` (aware) or the hospital's local date and time.

    The start is taken to the minute. Refused: a start in the past, a duration outside
    5-480 minutes, a time outside the doctor's working hours (when they have any), and
    any overlap with the doctor's or the patient's live appointments, and a patient recorded
    as deceased. A patient booking for themselves is held to the hospital's booking rules
    too (hms.scheduling.rules).
    """
    scope = permission_require(user=acting_user, resource=Resource.APPOINTMENT, action=Action.CREATE)
    control_characters_refuse(reason=reason)
    alias = current_tenant().alias
    if not isinstance(patient, Patient) or patient._state.db != alias:
        raise NotFound("No such patient here.")
    patient = patient_access(
        user=acting_user, patient_id=patient.pk, resource=Resource.APPOINTMENT, action=Action.CREATE
    )
    patient_alive_require(patient, refused="No appointment can be booked")
    rules = booking_rules_get() if scope == Scope.OWN else None
    if rules is not None:
        self_booking_check(rules)
    practitioner = practitioner_get(practitioner_user_id=practitioner_user_id)
    zone = hospital_zone()
    start = _start_resolve(starts_at=starts_at, local_date=local_date, local_time=local_time, zone=zone)
    duration = _duration_check(duration_minutes)
    if rules is not None:
        patient_booking_check(
            rules=rules,
            practitioner_user_id=practitioner.pk,
            start=start,
            duration_minutes=duration,
            reason=reason or "",
            now=wallclock.now(),
            zone=zone,
        )
    appointment = Appointment(
        patient=patient,
        practitioner_user_id=practitioner.pk,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=duration),
        reason=(reason or "").strip(),
        booked_by_id=acting_user.pk,
    )
    model_valid(
        appointment,
        "The appointment's details are not valid.",
        exclude=["patient"],
        validate_unique=False,
        validate_constraints=False,
    )
    _not_in_past_check(appointment.starts_at, zone)
    _working_hours_check(practitioner, appointment.starts_at, appointment.ends_at, zone)

    asked = _TimeAsked(practitioner, patient, appointment.starts_at, appointment.ends_at, zone)
    with _time_taking(asked, using=alias):
        if rules is not None:
            patient_upcoming_check(rules=rules, patient=patient, now=wallclock.now())
        _clash_check(asked)
        appointment.save(using=alias)
        _time_audit(
            acting_user,
            "appointment.book",
            appointment,
            client_address,
            **_span(appointment.starts_at, appointment.ends_at),
        )
    return appointment


def appointment_reschedule(
    *,
    acting_user: User,
    appointment_id: int,
    starts_at: datetime.datetime | None = None,
    local_date: datetime.date | None = None,
    local_time: datetime.time | None = None,
    duration_minutes: int | None = None,
    client_address: str | None = None,
) -> Appointment:
    """Move a booked appointment to a new start (and optionally a new duration), same doctor.

    Rescheduling books a new time, so only those who may book may reschedule. The same
    rules as booking apply. Give the new start as the local date and time to keep the
    wall-clock time across a clock change ("same time next week"). Staff only: a patient
    cancels and books another time, each within the hospital's booking rules.
    """
    if permission_require(user=acting_user, resource=Resource.APPOINTMENT, action=Action.CREATE) != Scope.ALL:
        raise NotAllowed("To change an appointment's time, cancel it and book another one.")
    permission_require(user=acting_user, resource=Resource.APPOINTMENT, action=Action.UPDATE)
    alias = current_tenant().alias
    appointment = _appointment_get(appointment_id)
    _reschedulable_check(appointment)
    practitioner = practitioner_get(practitioner_user_id=appointment.practitioner_user_id)
    zone = hospital_zone()
    start = _start_resolve(starts_at=starts_at, local_date=local_date, local_time=local_time, zone=zone)
    duration = _duration_check(appointment.duration_minutes if duration_minutes is None else duration_minutes)
    end = start + datetime.timedelta(minutes=duration)
    if (start, end) == (appointment.starts_at, appointment.ends_at):
        raise ApplicationError("The appointment is already at that time.")
    _not_in_past_check(start, zone)
    _working_hours_check(practitioner, start, end, zone)

    asked = _TimeAsked(practitioner, appointment.patient, start, end, zone, moving=appointment.pk)
    with _time_taking(asked, using=alias):
        current = Appointment.objects.select_for_update().select_related("patient").get(pk=appointment.pk)
        _reschedulable_check(current)
        _clash_check(asked)
        moved: dict[str, Any] = {
            "from": _span(current.starts_at, current.ends_at),
            "to": _span(start, end),
        }
        row_save(current, starts_at=start, ends_at=end)
        _time_audit(acting_user, "appointment.reschedule", current, client_address, **moved)
    return current


def appointment_cancel(
    *, acting_user: User, appointment_id: int, reason: str, client_address: str | None = None
) -> Appointment:
    """Cancel a booked or arrived appointment; the reason is required and kept on the row."""
    return appointment_status_set(
        acting_user=acting_user,
        appointment_id=appointment_id,
        new_status=Appointment.Status.CANCELLED,
        reason=reason,
        client_address=client_address,
    )


def appointment_status_set(
    *,
    acting_user: User,
    appointment_id: int,
    new_status: str,
    reason: str = "",
    client_address: str | None = None,
) -> Appointment:
    """Move an appointment to `new_status` along the allowed transitions.

    booked -> arrived | cancelled | no_show; arrived -> in_consultation | cancelled;
    in_consultation -> completed. Cancelling needs a reason; arrival and the consultation
    only on the appointment's day; a no-show only once the appointment has started;
    completion only by its own doctor (appointment_move_refusal). A doctor changes only
    their own appointments; a patient only cancels their own, with the notice the hospital's
    booking rules ask (hms.scheduling.rules).
    """
    scope = permission_require(user=acting_user, resource=Resource.APPOINTMENT, action=Action.UPDATE)
    control_characters_refuse(reason=reason)
    if new_status not in S.values:
        raise ApplicationError(
            f"{new_status!r} is not an appointment status.", details={"status": ["Choose a status."]}
        )
    reason = (reason or "").strip()
    if new_status == S.CANCELLED and not reason:
        raise ApplicationError(
            "Give a reason for cancelling.", details={"reason": ["A cancellation needs a reason."]}
        )
    if len(reason) > 255:
        raise ApplicationError(
            "The reason is too long.", details={"reason": ["Keep the reason to 255 characters."]}
        )
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        appointment = _appointment_get(appointment_id, for_update=True)
        if scope == Scope.CARE and appointment.practitioner_user_id != acting_user.pk:
            raise NotAllowed("A doctor may change only their own appointments.")
        now = wallclock.now()
        if scope == Scope.OWN:
            _own_cancel_check(appointment, new_status, acting_user, now)
        refusal = appointment_move_refusal(
            appointment=appointment, new_status=new_status, user=acting_user, now=now, zone=hospital_zone()
        )
        if refusal is not None and refusal.not_allowed:
            raise NotAllowed(refusal.message)
        if refusal is not None:
            raise ApplicationError(refusal.message, details={"status": [refusal.message]})
        if new_status == S.CANCELLED:
            saved = {"cancel_reason": reason}
            _status_move(appointment, new_status, acting_user, client_address, now, saved, reason=reason)
        else:
            _status_move(appointment, new_status, acting_user, client_address, now)
    return appointment


def appointment_encounter_move(
    *,
    acting_user: User,
    appointment_id: int,
    event: str,
    encounter_id: int,
    client_address: str | None = None,
) -> tuple[str, str] | None:
    """Move the appointment an encounter was started from, as the encounter `event` requires.

    `event` is "start" (booked or arrived -> in consultation), "finish" (in consultation
    -> completed) or "void" (in consultation -> arrived): ENCOUNTER_TRANSITIONS. Meant to
    run inside the encounter service's transaction, which has checked the user's rights
    to the encounter, so the appointment and the encounter change together. Records who
    moved it and when, and audits it. Returns (from, to), or None if the appointment was
    in no status the event moves (it is left as it is).
    """
    ((new_status, from_statuses),) = ENCOUNTER_TRANSITIONS[event].items()
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        appointment = _appointment_get(appointment_id, for_update=True)
        old_status = appointment.status
        if old_status not in from_statuses:
            return None
        _status_move(
            appointment,
            new_status,
            acting_user,
            client_address,
            wallclock.now(),
            encounter_id=encounter_id,
            by=f"encounter.{event}",
        )
    return old_status, new_status


# Helpers


def _status_move(
    appointment: Appointment,
    new_status: str,
    user: User,
    client_address: str | None,
    at: datetime.datetime,
    saved: dict[str, str] | None = None,
    **detail: Any,
) -> None:
    """Move the appointment to `new_status` (with the fields in `saved`), stamped with who and
    when; audit the move from its old status ("appointment.cancel" for a cancellation)."""
    moved: dict[str, Any] = {"appointment_id": appointment.pk, "from": appointment.status, "to": new_status}
    row_stamp(appointment, user, "status_changed", at=at, status=new_status, **(saved or {}))
    action = "appointment.cancel" if new_status == S.CANCELLED else "appointment.status"
    audit_row(user, action, appointment, client_address, **moved, **detail)


def _own_cancel_check(appointment: Appointment, new_status: str, user: User, now: datetime.datetime) -> None:
    """A patient's change to an appointment: only cancelling, only their own, within the rules."""
    if appointment.patient.user_id != user.pk:
        raise NotFound(APPOINTMENT_NOT_FOUND)  # another patient's looks exactly like a missing one
    if new_status != S.CANCELLED:
        raise NotAllowed("A patient may only cancel their own appointments.")
    refusal = patient_cancel_refusal(
        appointment=appointment, rules=booking_rules_get(), now=now, zone=hospital_zone()
    )
    if refusal is not None:
        raise ApplicationError(refusal, details={"status": [refusal]})


def _appointment_get(appointment_id: int, *, for_update: bool = False) -> Appointment:
    pk = record_id(appointment_id)
    if pk is None:
        raise NotFound(APPOINTMENT_NOT_FOUND)
    queryset = Appointment.objects.select_related("patient")
    if for_update:
        queryset = queryset.select_for_update()
    appointment = queryset.filter(pk=pk).first()
    if appointment is None:
        raise NotFound(APPOINTMENT_NOT_FOUND)
    return appointment


def _reschedulable_check(appointment: Appointment) -> None:
    if appointment.status != S.BOOKED:
        raise ApplicationError(
            f"Only a booked appointment can be rescheduled; this one is {appointment.get_status_display()}."
        )


def _transition_refusal(old_status: str, new_status: str) -> str:
    old_label, new_label = S(old_status).label, S(new_status).label
    allowed = appointment_next_statuses(old_status)
    if not allowed:
        return f"The appointment is {old_label} and can no longer change status (asked for {new_label})."
    labels = [S(value).label for value in allowed]
    names = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"
    return f"An appointment that is {old_label} cannot become {new_label}; it can become {names}."


def _start_resolve(
    *,
    starts_at: datetime.datetime | None,
    local_date: datetime.date | None,
    local_time: datetime.time | None,
    zone: zoneinfo.ZoneInfo,
) -> datetime.datetime:
    if starts_at is not None:
        if local_date is not None or local_time is not None:
            raise ApplicationError(
                "Give the start either as an instant or as a local date and time, not both."
            )
        if not isinstance(starts_at, datetime.datetime) or timezone.is_naive(starts_at):
            raise ApplicationError(
                "The start must carry a time zone; give a local date and time for the hospital's own.",
                details={"starts_at": ["A time-zone-aware date and time is needed."]},
            )
        date_check(starts_at.date())
        start = starts_at.astimezone(UTC)
    else:
        errors = {}
        if not isinstance(local_date, datetime.date) or isinstance(local_date, datetime.datetime):
            errors["date"] = ["Enter the date (yyyy-mm-dd)."]
        if not isinstance(local_time, datetime.time):
            errors["time"] = ["Enter the time (hh:mm)."]
        if errors:
            raise ApplicationError("Enter the date and time of the appointment.", details=errors)
        assert local_date is not None and local_time is not None  # for the type checker
        start = local_to_utc(date=local_date, time=local_time, zone=zone)
    return start.replace(second=0, microsecond=0)


def _duration_check(duration_minutes: object) -> int:
    if (
        isinstance(duration_minutes, bool)
        or not isinstance(duration_minutes, int)
        or not MIN_DURATION_MINUTES <= duration_minutes <= MAX_DURATION_MINUTES
    ):
        message = f"An appointment lasts {MIN_DURATION_MINUTES} to {MAX_DURATION_MINUTES} minutes."
        raise ApplicationError(message, details={"duration_minutes": [message]})
    return duration_minutes


def _not_in_past_check(start: datetime.datetime, zone: zoneinfo.ZoneInfo) -> None:
    if start < wallclock.now().replace(second=0, microsecond=0):
        message = f"{_local_label(start, zone)} is in the past; choose a time from now on."
        raise ApplicationError(message, details={"time": [message]})


def _working_hours_check(
    practitioner: User, start: datetime.datetime, end: datetime.datetime, zone: zoneinfo.ZoneInfo
) -> None:
    """Within one period of the doctor's working hours, in wall-clock terms; no hours = no limit."""
    hours = list(WorkingHours.objects.filter(practitioner_user_id=practitioner.pk, is_active=True))
    if not hours:
        return
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    weekday = local_start.weekday()
    day = sorted((h for h in hours if h.weekday == weekday), key=lambda h: h.start_time)
    name = display_name(practitioner)
    day_name = WorkingHours.Weekday(weekday).label
    if not day:
        message = f"{name} does not work on {day_name}s."
        raise ApplicationError(message, details={"date": [message]})
    start_wall, end_wall = local_start.time().replace(tzinfo=None), local_end.time().replace(tzinfo=None)
    for period in day:
        if (
            local_end.date() == local_start.date()
            and period.start_time <= start_wall
            and end_wall <= period.end_time
        ):
            return
    periods = ", ".join(f"{h.start_time:%H:%M}-{h.end_time:%H:%M}" for h in day)
    message = (
        f"{name} works {periods} on {day_name}s; {local_start:%H:%M}-{local_end:%H:%M} "
        "is outside those hours."
    )
    raise ApplicationError(message, details={"time": [message]})


def _patient_lock(patient_id: int) -> None:
    # Serialises bookings of one patient (PostgreSQL), so the patient's own overlap rule
    # holds under concurrency too; SQLite's IMMEDIATE transactions serialise all writers.
    list(Patient.objects.select_for_update().filter(pk=patient_id).values_list("pk", flat=True))


@dataclass(frozen=True)
class _TimeAsked:
    """The doctor's time a booking or a move asks to give the patient, from `start` to `end`
    (told in `zone`); `moving`: the appointment being moved, whose own time is no clash."""

    practitioner: User
    patient: Patient
    start: datetime.datetime
    end: datetime.datetime
    zone: zoneinfo.ZoneInfo
    moving: int | None = None

    def overlapping(self) -> QuerySet[Appointment]:
        """The live appointments (anyone's) that overlap this time, earliest first."""
        queryset = Appointment.objects.filter(starts_at__lt=self.end, ends_at__gt=self.start).exclude(
            status__in=FREE_STATUSES
        )
        if self.moving is not None:
            queryset = queryset.exclude(pk=self.moving)
        return queryset.order_by("starts_at", "id")


def _clash_check(asked: _TimeAsked) -> None:
    overlapping = asked.overlapping()
    clash = overlapping.filter(practitioner_user_id=asked.practitioner.pk).first()
    if clash is not None:
        raise _practitioner_clash_error(asked.practitioner, clash, asked.zone)
    own = overlapping.filter(patient_id=asked.patient.pk).first()
    if own is not None:
        other = display_name(User.objects.filter(pk=own.practitioner_user_id).first() or asked.practitioner)
        message = (
            f"This patient already has an appointment {_local_span(own, asked.zone)} with {other}; "
            "choose another time."
        )
        raise ApplicationError(message, details={"time": [message]})


def _practitioner_clash_error(
    practitioner: User, clash: Appointment, zone: zoneinfo.ZoneInfo
) -> ApplicationError:
    message = (
        f"{display_name(practitioner)} already has an appointment {_local_span(clash, zone)}; "
        "choose another time."
    )
    return ApplicationError(message, details={"time": [message]})


@contextlib.contextmanager
def _time_taking(asked: _TimeAsked, *, using: str) -> Iterator[None]:
    """The transaction of a write that gives the patient the doctor's time `asked` for
    (booking, rescheduling): the patient's bookings serialised (_patient_lock), and a clash the
    database refuses (a write at the same moment) told as _database_refusal's ApplicationError."""
    try:
        with transaction.atomic(using=using):
            _patient_lock(asked.patient.pk)
            yield
    except IntegrityError as exc:
        raise _database_refusal(asked) from exc


def _time_audit(
    acting_user: User, action: str, appointment: Appointment, client_address: str | None, **detail: Any
) -> None:
    """Audit a booking or a move of `appointment`, naming it and its doctor."""
    audit_row(
        acting_user,
        action,
        appointment,
        client_address,
        appointment_id=appointment.pk,
        practitioner_user_id=appointment.practitioner_user_id,
        **detail,
    )


def _database_refusal(asked: _TimeAsked) -> ApplicationError:
    """The database refused the write: say which booking made at the same moment took the time."""
    try:
        _clash_check(asked)
    except ApplicationError as clash:
        return clash
    return ApplicationError(
        "The appointment could not be saved because of another change made at the same moment; try again."
    )


def _span(start: datetime.datetime, end: datetime.datetime) -> dict[str, str]:
    """An appointment's times as its audit rows record them."""
    return {"starts_at": start.isoformat(), "ends_at": end.isoformat()}


def _day_label(day: datetime.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _local_label(instant: datetime.datetime, zone: zoneinfo.ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {zone_abbreviation(local)}"


def _local_span(appointment: Appointment, zone: zoneinfo.ZoneInfo) -> str:
    start, end = appointment.starts_at.astimezone(zone), appointment.ends_at.astimezone(zone)
    return f"on {start:%Y-%m-%d} from {start:%H:%M} to {end:%H:%M} {zone_abbreviation(end)}"
