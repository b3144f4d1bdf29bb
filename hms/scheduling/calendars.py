"""Calendar reads: one doctor's day or week, and one department's doctors side by side on a day.

A calendar is a grid: columns (a doctor on a date), rows (local wall-clock start times:
the slots of the doctors' working hours, and the start of any appointment off that grid).
Each cell holds the appointments that start in its row, and whether a free slot starts
there (a link to the booking form, never a booking). Staff only; audited, as the day list.
Every calendar costs the same few queries whatever its size.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, Scope, permission_require
from hms.audit.records import audit_row
from hms.core.exceptions import ApplicationError, NotAllowed
from hms.scheduling import wallclock
from hms.scheduling.models import FREE_STATUSES, Appointment, WorkingHours
from hms.scheduling.practitioners import practitioner_choices
from hms.scheduling.selectors import AppointmentEntry, appointment_entries, with_encounter_flag
from hms.scheduling.slots import day_slots
from hms.scheduling.wallclock import hospital_zone, local_day_bounds
from hms.staff.models import Department, StaffMember
from hms.tenancy.context import current_tenant


@dataclass(frozen=True)
class Column:
    practitioner_user_id: int
    practitioner_name: str
    date: datetime.date
    works: bool  # has working hours that weekday


@dataclass(frozen=True)
class Cell:
    column: Column
    appointments: tuple[AppointmentEntry, ...]
    free: bool  # a free slot starts here
    working: bool  # within the doctor's working hours


@dataclass(frozen=True)
class Row:
    time: datetime.time
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Calendar:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    appointment_count: int
    time_zone: str

    @property
    def is_empty(self) -> bool:
        return self.appointment_count == 0


def calendar_doctors(*, user: User) -> list[tuple[int, str]]:
    """The doctors a calendar can show, for staff."""
    _staff_require(user)
    return practitioner_choices()


def calendar_departments(*, user: User) -> list[Department]:
    _staff_require(user)
    return list(Department.objects.filter(is_active=True).order_by("name", "id"))


def practitioner_calendar(
    *,
    user: User,
    practitioner_user_id: int,
    dates: list[datetime.date],
    client_address: str | None = None,
) -> Calendar:
    """One doctor's calendar over `dates` (one day, or a week), a column a day."""
    _staff_require(user)
    names = dict(practitioner_choices())
    if practitioner_user_id not in names:
        message = "Choose a doctor of this hospital."
        raise ApplicationError(message, details={"doctor": [message]})
    columns = [(practitioner_user_id, names[practitioner_user_id], date) for date in dates]
    return _calendar(user, columns, client_address, detail={"practitioner_user_id": practitioner_user_id})


def department_calendar(
    *, user: User, department_id: int, date: datetime.date, client_address: str | None = None
) -> tuple[Department, Calendar]:
    """A department's doctors side by side on `date`, a column a doctor (by name)."""
    _staff_require(user)
    department = Department.objects.filter(pk=department_id, is_active=True).first()
    if department is None:
        message = "Choose a department of this hospital."
        raise ApplicationError(message, details={"department": [message]})
    members = set(
        StaffMember.objects.filter(department=department, is_active=True).values_list("user_id", flat=True)
    )
    columns = [(pk, name, date) for pk, name in practitioner_choices() if pk in members]
    calendar = _calendar(user, columns, client_address, detail={"department_id": department.pk})
    return department, calendar


def _staff_require(user: User) -> None:
    scope = permission_require(user=user, resource=Resource.APPOINTMENT, action=Action.VIEW)
    if scope != Scope.ALL:
        raise NotAllowed("The calendars are for the hospital's staff.")


def _calendar(
    user: User,
    wanted: list[tuple[int, str, datetime.date]],
    client_address: str | None,
    detail: dict[str, Any],
) -> Calendar:
    zone, now = hospital_zone(), wallclock.now()
    doctors = {pk for pk, _, _ in wanted}
    dates = sorted({date for _, _, date in wanted})
    if not dates:
        return Calendar(columns=(), rows=(), appointment_count=0, time_zone=zone.key)
    start, _ = local_day_bounds(date=dates[0], zone=zone)
    _, end = local_day_bounds(date=dates[-1], zone=zone)
    hours: dict[tuple[int, int], list[WorkingHours]] = defaultdict(list)
    for period in WorkingHours.objects.filter(practitioner_user_id__in=doctors, is_active=True).order_by(
        "start_time", "id"
    ):
        hours[(period.practitioner_user_id, period.weekday)].append(period)
    with transaction.atomic(using=current_tenant().alias):
        appointments = list(
            with_encounter_flag(
                Appointment.objects.filter(
                    practitioner_user_id__in=doctors, starts_at__lt=end, ends_at__gt=start
                ).select_related("patient")
            ).order_by("starts_at", "id")
        )
        entries = appointment_entries(appointments, user)
        shown = [e for e in entries if e.appointment.starts_at >= start]
        audit_row(
            user,
            "appointment.calendar",
            Appointment,
            client_address,
            dates=[dates[0].isoformat(), dates[-1].isoformat()],
            practitioner_user_ids=sorted(doctors),
            appointment_ids=[e.appointment.pk for e in shown],
            patient_ids=sorted({e.patient.pk for e in shown}),
            **detail,
        )

    columns: list[Column] = []
    slots: dict[Column, dict[datetime.time, bool]] = {}
    starting: dict[tuple[Column, datetime.time], list[AppointmentEntry]] = defaultdict(list)
    times: set[datetime.time] = set()
    for pk, name, date in wanted:
        periods = hours.get((pk, date.weekday()), [])
        column = Column(practitioner_user_id=pk, practitioner_name=name, date=date, works=bool(periods))
        columns.append(column)
        busy = [
            (e.appointment.starts_at, e.appointment.ends_at)
            for e in entries
            if e.appointment.practitioner_user_id == pk and e.appointment.status not in FREE_STATUSES
        ]
        column_slots = day_slots(hours=periods, busy=busy, date=date, zone=zone, now=now)
        slots[column] = {slot.starts_local.time().replace(tzinfo=None): free for slot, free in column_slots}
        times.update(slots[column])
        for entry in entries:
            if entry.appointment.practitioner_user_id == pk and entry.starts_local.date() == date:
                starting[(column, entry.starts_local.time().replace(second=0, tzinfo=None))].append(entry)
    times.update(time for _, time in starting)
    rows = [
        Row(
            time=time,
            cells=tuple(
                Cell(
                    column=column,
                    appointments=tuple(starting.get((column, time), ())),
                    free=slots[column].get(time, False),
                    working=time in slots[column],
                )
                for column in columns
            ),
        )
        for time in sorted(times)
    ]
    count = sum(len(found) for found in starting.values())
    return Calendar(columns=tuple(columns), rows=tuple(rows), appointment_count=count, time_zone=zone.key)
