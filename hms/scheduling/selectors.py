"""Reads of the scheduling app, scoped to the current hospital and the user's rights.

Reads that show patients (the day list, a patient's appointments, one appointment)
are audited. Working hours, free slots and the list of doctors show no patient and
are not.
"""

import datetime
import re
from dataclasses import dataclass

from django.core.paginator import Page
from django.db import transaction
from django.db.models import Case, QuerySet, Value, When

from hms.accounts.display import display_name
from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, Scope, permission_require, permission_scope
from hms.audit.records import AuditedList, audit_row
from hms.care.access import patient_access, patient_in_care
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.core.ids import record_id
from hms.core.pages import page_of
from hms.patients.models import Patient
from hms.patients.selectors import PATIENT_SEARCH, patient_search
from hms.scheduling import wallclock
from hms.scheduling.models import FREE_STATUSES, Appointment, WorkingHours
from hms.scheduling.practitioners import (
    practitioner_choices,
    practitioner_get,
    practitioner_names,
)
from hms.scheduling.rules import booking_rules_get
from hms.scheduling.services import APPOINTMENT_NOT_FOUND, appointment_moves_allowed
from hms.scheduling.slots import Slot, day_slots
from hms.scheduling.wallclock import hospital_zone, local_day_bounds
from hms.tenancy.context import current_tenant

DAY_LIST = AuditedList("appointment.day_list", Appointment)
APPOINTMENT_LIST = AuditedList("appointment.list", Appointment)  # a patient's, audited on the patient


@dataclass(frozen=True)
class AppointmentEntry:
    """One appointment as a list shows it: the row, its patient, the doctor's name, local times."""

    appointment: Appointment
    patient: Patient
    practitioner_name: str
    starts_local: datetime.datetime
    ends_local: datetime.datetime
    next_statuses: tuple[str, ...]

    @property
    def can_cancel(self) -> bool:
        return Appointment.Status.CANCELLED in self.next_statuses

    @property
    def can_reschedule(self) -> bool:
        return self.appointment.status == Appointment.Status.BOOKED


@dataclass(frozen=True)
class FreeSlots:
    practitioner_user_id: int
    practitioner_name: str
    date: datetime.date
    time_zone: str
    has_working_hours: bool  # any hours at all; without them the doctor can be booked at any time
    periods: tuple[tuple[datetime.time, datetime.time], ...]  # that weekday's hours
    slots: tuple[Slot, ...]


def appointment_entries(appointments: list[Appointment], user: User) -> list[AppointmentEntry]:
    """The rows as lists show them, each with the moves `user` may make to it now."""
    zone, now = hospital_zone(), wallclock.now()
    names = practitioner_names({a.practitioner_user_id for a in appointments})
    own = permission_scope(user=user, resource=Resource.APPOINTMENT, action=Action.UPDATE) == Scope.OWN
    rules = booking_rules_get() if own and appointments else None  # a patient's: read once for the list
    return [
        AppointmentEntry(
            appointment=a,
            patient=a.patient,
            practitioner_name=names.get(a.practitioner_user_id, ""),
            starts_local=a.starts_at.astimezone(zone),
            ends_local=a.ends_at.astimezone(zone),
            next_statuses=appointment_moves_allowed(
                appointment=a, user=user, now=now, zone=zone, rules=rules
            ),
        )
        for a in appointments
    ]


def with_encounter_flag(queryset: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """`has_encounter` on each row (the completion rule reads it), in the same query."""
    return queryset.annotate(
        has_encounter=Case(When(encounter__isnull=False, then=Value(True)), default=Value(False))
    )


def _page(
    audited: AuditedList,
    queryset: QuerySet[Appointment],
    page_number: int | str | None,
    user: User,
    client_address: str | None,
    /,
    *,
    about: Patient | None = None,
    **detail: object,
) -> Page:
    """One page of appointments as AppointmentEntry rows, read and audited in one transaction."""
    with transaction.atomic(using=current_tenant().alias):
        page = page_of(with_encounter_flag(queryset), page_number)
        appointments = list(page.object_list)
        audited.record(appointments, user, client_address, about=about, page=page.number, **detail)
        page.object_list = appointment_entries(appointments, user)
    return page


def appointment_day_list(
    *,
    user: User,
    date: datetime.date,
    practitioner_user_id: int | None = None,
    page_number: int | str | None = 1,
    client_address: str | None = None,
) -> Page:
    """One page of the appointments starting on the hospital's local `date`, in time order; audited.

    Every status is listed (cancelled ones too, with their reason). Hospital staff only.
    """
    scope = permission_require(user=user, resource=Resource.APPOINTMENT, action=Action.VIEW)
    if scope != Scope.ALL:
        raise NotAllowed("The day's appointment list is for the hospital's staff.")
    start, end = local_day_bounds(date=date, zone=hospital_zone())
    queryset = (
        Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("patient")
        .order_by("starts_at", "id")
    )
    if practitioner_user_id is not None:
        queryset = queryset.filter(practitioner_user_id=practitioner_user_id)
    return _page(
        DAY_LIST,
        queryset,
        page_number,
        user,
        client_address,
        date=date.isoformat(),
        practitioner_user_id=practitioner_user_id,
    )


def patient_appointments(
    *, user: User, patient_id: int, page_number: int | str | None = 1, client_address: str | None = None
) -> Page:
    """One page of a patient's appointments, latest first; a patient sees only their own. Audited."""
    patient = patient_access(
        user=user, patient_id=patient_id, resource=Resource.APPOINTMENT, action=Action.VIEW
    )
    queryset = (
        Appointment.objects.filter(patient=patient).select_related("patient").order_by("-starts_at", "-id")
    )
    return _page(APPOINTMENT_LIST, queryset, page_number, user, client_address, about=patient)


def appointment_get(
    *, user: User, appointment_id: int, client_address: str | None = None
) -> AppointmentEntry:
    """One appointment, if the user may see it (a patient: their own); NotFound otherwise. Audited."""
    scope = permission_require(user=user, resource=Resource.APPOINTMENT, action=Action.VIEW)
    pk = record_id(appointment_id)
    if pk is None:
        raise NotFound(APPOINTMENT_NOT_FOUND)
    appointment = with_encounter_flag(Appointment.objects.select_related("patient")).filter(pk=pk).first()
    if appointment is None:
        raise NotFound(APPOINTMENT_NOT_FOUND)
    if scope == Scope.OWN and appointment.patient.user_id != user.pk:
        raise NotFound(APPOINTMENT_NOT_FOUND)
    if (
        scope == Scope.CARE
        and appointment.practitioner_user_id != user.pk
        and not patient_in_care(user=user, patient_id=appointment.patient_id)
    ):
        raise NotFound(APPOINTMENT_NOT_FOUND)
    with transaction.atomic(using=current_tenant().alias):
        (entry,) = appointment_entries([appointment], user)
        audit_row(
            user,
            "appointment.view",
            appointment,
            client_address,
            appointment_id=appointment.pk,
        )
    return entry


def booking_patient_get(*, user: User, patient_id: int, client_address: str | None = None) -> Patient:
    """The patient a booking is for, if the user may book for them; NotFound otherwise (404).

    Audited: the booking form shows who the patient is (name, MRN, birth date).
    """
    with transaction.atomic(using=current_tenant().alias):
        patient = patient_access(
            user=user, patient_id=patient_id, resource=Resource.APPOINTMENT, action=Action.CREATE
        )
        audit_row(user, "patient.view", patient, client_address, purpose="appointment.book")
    return patient


def patient_for_booking(*, user: User, patient_id: int, client_address: str | None = None) -> Patient:
    """The patient chosen on a booking form; ApplicationError ("patient") if there is no such patient
    the user may book for (out of scope reads as missing, in the same words). Audited."""
    try:
        return booking_patient_get(user=user, patient_id=patient_id, client_address=client_address)
    except NotFound as exc:
        message = "No such patient here; search again by name, MRN or phone number."
        raise ApplicationError(message, details={"patient": [message]}) from exc


# A phone number as people type one: digits with spaces, dots, dashes, brackets, a leading +.
PHONE = re.compile(r"\+?[\d ().-]{6,40}", re.ASCII)
PICKER_SIZE = 10


def booking_patient_search(*, user: User, query: str, client_address: str | None = None) -> list[Patient]:
    """Up to PICKER_SIZE patients for the booking form's picker; audited (as patient.search).

    By name, MRN, identifier or birth date (hms.patients' search), and when that finds
    nobody and the query reads as a phone number, by the phone number (the digits typed
    found within the one recorded). ApplicationError for an empty or over-long query.
    """
    permission_require(user=user, resource=Resource.APPOINTMENT, action=Action.CREATE)
    query = (query or "").strip()
    found = list(
        patient_search(user=user, query=query, client_address=client_address).object_list[:PICKER_SIZE]
    )
    if found or not PHONE.fullmatch(query) or sum(c.isdigit() for c in query) < 6:
        return found
    by_phone = Patient.objects.filter(phone__contains=query.lstrip("+")).order_by(
        "family_name", "given_name", "id"
    )
    return PATIENT_SEARCH.rows(
        by_phone[:PICKER_SIZE], user, client_address, query=query, kind="phone", page=1
    )


def bookable_practitioners(*, user: User) -> list[tuple[int, str]]:
    """(user id, name) of the doctors who can be booked here, for staff."""
    permission_require(user=user, resource=Resource.SCHEDULE, action=Action.VIEW)
    return practitioner_choices()


def working_hours_list(
    *, user: User, practitioner_user_id: int | None = None, page_number: int | str | None = 1
) -> Page:
    """One page of the active working hours (of one doctor, or all), by doctor, weekday and time."""
    permission_require(user=user, resource=Resource.SCHEDULE, action=Action.VIEW)
    queryset = WorkingHours.objects.filter(is_active=True).order_by(
        "practitioner_user_id", "weekday", "start_time", "id"
    )
    if practitioner_user_id is not None:
        queryset = queryset.filter(practitioner_user_id=practitioner_user_id)
    page = page_of(queryset, page_number)
    return page


def practitioner_free_slots(*, user: User, practitioner_user_id: int, date: datetime.date) -> FreeSlots:
    """The doctor's free slots on the hospital's local `date`: working hours minus live appointments.

    Slots are `slot_minutes` long, start on the period's wall-clock grid, and begin
    from now on. A slot in the hour skipped by a clock change does not exist; in the
    hour repeated, only its first occurrence is offered.
    """
    permission_require(user=user, resource=Resource.SCHEDULE, action=Action.VIEW)
    practitioner = practitioner_get(practitioner_user_id=practitioner_user_id)
    zone = hospital_zone()
    hours = list(WorkingHours.objects.filter(practitioner_user_id=practitioner.pk, is_active=True))
    day = sorted((h for h in hours if h.weekday == date.weekday()), key=lambda h: h.start_time)
    day_start, day_end = local_day_bounds(date=date, zone=zone)
    busy = list(
        Appointment.objects.filter(
            practitioner_user_id=practitioner.pk, starts_at__lt=day_end, ends_at__gt=day_start
        )
        .exclude(status__in=FREE_STATUSES)
        .values_list("starts_at", "ends_at")
    )
    slots = day_slots(hours=day, busy=busy, date=date, zone=zone, now=wallclock.now())
    return FreeSlots(
        practitioner_user_id=practitioner.pk,
        practitioner_name=display_name(practitioner),
        date=date,
        time_zone=zone.key,
        has_working_hours=bool(hours),
        periods=tuple((h.start_time, h.end_time) for h in day),
        slots=tuple(slot for slot, free in slots if free),
    )
