"""The administrator's figures about appointments: per local day, and the no-show rate per week.

Counts only, no patient is named; each read is still audited (who looked at the hospital's
figures, and for which period), as the day's takings are.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q

from hms.accounts.models import Role, User
from hms.accounts.permissions import Action, Resource, Scope, permission_require
from hms.audit.records import audit_row
from hms.core.exceptions import NotAllowed
from hms.core.periods import fold_weeks, last_days, last_weeks, per_local_day
from hms.scheduling import wallclock
from hms.scheduling.models import Appointment
from hms.scheduling.wallclock import hospital_zone
from hms.tenancy.context import current_tenant

FIGURES_REFUSED = "The hospital's figures are for its administrator."


@dataclass(frozen=True)
class NoShowWeek:
    week: datetime.date  # its Monday, in the hospital's calendar
    due: int  # appointments that were due by now (not cancelled)
    no_shows: int

    @property
    def rate_percent(self) -> float | None:
        """No-shows as a percentage of the appointments due, or None for a week with none due."""
        return None if self.due == 0 else round(100 * self.no_shows / self.due, 1)


def _figures_require(user: User) -> None:
    scope = permission_require(user=user, resource=Resource.APPOINTMENT, action=Action.VIEW)
    if scope != Scope.ALL or user.role != Role.ADMIN:
        raise NotAllowed(FIGURES_REFUSED)


def appointments_per_day(
    *, user: User, days: int = 30, client_address: str | None = None
) -> list[tuple[datetime.date, int]]:
    """(local day, appointments starting that day, not cancelled) for the last `days` days to today."""
    _figures_require(user)
    zone = hospital_zone()
    buckets = last_days(today=wallclock.now().astimezone(zone).date(), count=days)
    with transaction.atomic(using=current_tenant().alias):
        counted = per_local_day(
            Appointment.objects.exclude(status=Appointment.Status.CANCELLED),
            field="starts_at",
            zone=zone,
            first=buckets[0],
            last=buckets[-1],
            measures={"appointments": Count("id")},
        )
        audit_row(
            user,
            "appointment.figures",
            Appointment,
            client_address,
            figure="per_day",
            first=buckets[0].isoformat(),
            last=buckets[-1].isoformat(),
        )
    return [(day, counted.get(day, {}).get("appointments", 0)) for day in buckets]


def no_show_rate_per_week(
    *, user: User, weeks: int = 12, client_address: str | None = None
) -> list[NoShowWeek]:
    """Each of the last `weeks` weeks (Monday first, to this week): the appointments due by now
    (started before now, not cancelled) and how many of them were no-shows."""
    _figures_require(user)
    zone = hospital_zone()
    now = wallclock.now()
    mondays = last_weeks(today=now.astimezone(zone).date(), count=weeks)
    with transaction.atomic(using=current_tenant().alias):
        counted = per_local_day(
            Appointment.objects.exclude(status=Appointment.Status.CANCELLED).filter(starts_at__lt=now),
            field="starts_at",
            zone=zone,
            first=mondays[0],
            last=mondays[-1] + datetime.timedelta(days=6),
            measures={
                "due": Count("id"),
                "no_shows": Count("id", filter=Q(status=Appointment.Status.NO_SHOW)),
            },
        )
        audit_row(
            user,
            "appointment.figures",
            Appointment,
            client_address,
            figure="no_show_rate",
            first=mondays[0].isoformat(),
            last=mondays[-1].isoformat(),
        )
    due = fold_weeks(counted, weeks=mondays, measure="due", zero=0)
    no_shows = fold_weeks(counted, weeks=mondays, measure="no_shows", zero=0)
    return [NoShowWeek(week=monday, due=due[monday], no_shows=no_shows[monday]) for monday in mondays]
