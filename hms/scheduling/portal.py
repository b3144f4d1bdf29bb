"""Reads for a patient booking their own appointment from the portal: the doctors they may
choose (by department), and a doctor's free times over the next days, within the hospital's
booking rules. They show no other patient: only which slots are free. The patient's own
record, shown on the page, is read (and audited) through booking_patient_get.
"""

import datetime
from dataclasses import dataclass

from hms.accounts.display import display_name, display_names
from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, Scope, permission_require
from hms.core.exceptions import ApplicationError, NotAllowed
from hms.scheduling import wallclock
from hms.scheduling.models import FREE_STATUSES, Appointment, PatientBookingRules, WorkingHours
from hms.scheduling.practitioners import practitioner_choices, practitioner_get
from hms.scheduling.rules import booking_rules_get, booking_window
from hms.scheduling.slots import Slot, day_slots
from hms.scheduling.wallclock import hospital_zone, local_day_bounds
from hms.staff.models import StaffMember

DAYS_SHOWN = 7  # the free times of this many days are shown at once
OTHER_DOCTORS = "Other doctors"


@dataclass(frozen=True)
class Department:
    name: str
    doctors: tuple[tuple[int, str], ...]  # (user id, name)


@dataclass(frozen=True)
class FreeDay:
    date: datetime.date
    slots: tuple[Slot, ...]


@dataclass(frozen=True)
class FreeTimes:
    practitioner_user_id: int
    practitioner_name: str
    days: tuple[FreeDay, ...]  # each day shown, with its free slots (none: the doctor is full or off)
    earlier: datetime.date | None  # the first date of the days before, if they can be booked
    later: datetime.date | None  # the first date of the days after, if they can be booked

    @property
    def any_free(self) -> bool:
        return any(day.slots for day in self.days)


def portal_rules(*, user: User) -> PatientBookingRules:
    """The hospital's booking rules, for a patient who books for themselves (NotAllowed for
    anyone who may not book: staff book from the desk's form)."""
    if permission_require(user=user, resource=Resource.APPOINTMENT, action=Action.CREATE) != Scope.OWN:
        raise NotAllowed("The portal's booking page is for patients; staff book from the booking form.")
    return booking_rules_get()


def portal_doctors(*, user: User) -> list[Department]:
    """The doctors a patient may book, by department (by name): the active doctors with working
    hours; a doctor in no department is listed under "Other doctors", last."""
    portal_rules(user=user)
    doctors = practitioner_choices()
    with_hours = set(
        WorkingHours.objects.filter(
            is_active=True, practitioner_user_id__in=[pk for pk, _ in doctors]
        ).values_list("practitioner_user_id", flat=True)
    )
    departments = dict(
        StaffMember.objects.filter(user_id__in=with_hours, department__is_active=True).values_list(
            "user_id", "department__name"
        )
    )
    names = display_names(with_hours)  # "Dr Gregory House", as patients read it
    grouped: dict[str, list[tuple[int, str]]] = {}
    for pk, _ in doctors:
        if pk in with_hours:
            grouped.setdefault(departments.get(pk) or OTHER_DOCTORS, []).append((pk, names.get(pk, "")))
    order = sorted(grouped, key=lambda name: (name == OTHER_DOCTORS, name.lower()))
    return [Department(name, tuple(grouped[name])) for name in order]


def portal_free_times(*, user: User, practitioner_user_id: int, first_date: datetime.date) -> FreeTimes:
    """The doctor's free slots on DAYS_SHOWN days from `first_date`, kept within the dates the
    hospital's rules let a patient book (from today to `max_days_ahead` days ahead)."""
    rules = portal_rules(user=user)
    practitioner = practitioner_get(practitioner_user_id=practitioner_user_id)
    zone, now = hospital_zone(), wallclock.now()
    window = booking_window(rules=rules, now=now, zone=zone)
    if first_date > window.last:
        message = f"Appointments can be booked up to {rules.max_days_ahead} days ahead."
        raise ApplicationError(message, details={"date": [message]})
    first = max(first_date, window.first)
    last = min(first + datetime.timedelta(days=DAYS_SHOWN - 1), window.last)
    dates = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    hours = list(WorkingHours.objects.filter(practitioner_user_id=practitioner.pk, is_active=True))
    start, _ = local_day_bounds(date=first, zone=zone)
    _, end = local_day_bounds(date=last, zone=zone)
    busy = list(
        Appointment.objects.filter(practitioner_user_id=practitioner.pk, starts_at__lt=end, ends_at__gt=start)
        .exclude(status__in=FREE_STATUSES)
        .values_list("starts_at", "ends_at")
    )
    days = []
    for date in dates:
        periods = sorted((h for h in hours if h.weekday == date.weekday()), key=lambda h: h.start_time)
        slots = day_slots(hours=periods, busy=busy, date=date, zone=zone, now=now)
        days.append(FreeDay(date, tuple(slot for slot, free in slots if free)))
    before = first - datetime.timedelta(days=DAYS_SHOWN)
    return FreeTimes(
        practitioner_user_id=practitioner.pk,
        practitioner_name=display_name(practitioner),
        days=tuple(days),
        earlier=max(before, window.first) if first > window.first else None,
        later=last + datetime.timedelta(days=1) if last < window.last else None,
    )
