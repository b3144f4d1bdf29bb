"""The hospital's wall clock: turning local dates and times into UTC instants and back.

A local time that does not exist (the hour skipped when clocks go forward) is refused
with a message saying so. A local time that happens twice (the hour repeated when
clocks go back) means its first occurrence, the earlier instant: a patient who
comes at the first 01:30 is early, never late. Pages show the zone's abbreviation
(BST/GMT, EDT/EST) beside times, so the two are told apart.
"""

import datetime
import zoneinfo

from django.utils import timezone

from hms.core.exceptions import ApplicationError
from hms.tenancy.context import current_tenant, get_hospital

UTC = datetime.UTC
# Dates scheduling accepts: wide enough for any history or plan, far from datetime's limits.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def now() -> datetime.datetime:
    """The current instant; the one place scheduling reads the clock (tests set it here)."""
    return timezone.now()


def hospital_zone() -> zoneinfo.ZoneInfo:
    """The current hospital's time zone (from the registry row)."""
    name = get_hospital(current_tenant().code).time_zone
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ApplicationError(
            f"This hospital's time zone {name!r} is not known; ask the platform operator to correct it."
        ) from exc


def date_check(date: datetime.date) -> None:
    """ApplicationError (details on "date") for a date outside the years scheduling works with."""
    if not FIRST_YEAR <= date.year <= LAST_YEAR:
        message = f"Choose a date between the years {FIRST_YEAR} and {LAST_YEAR}."
        raise ApplicationError(message, details={"date": [message]})


def local_to_utc(*, date: datetime.date, time: datetime.time, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    """The UTC instant of the local wall-clock `time` on `date` in `zone`.

    Raises ApplicationError (details on "time") for a time skipped by a clock change;
    a repeated time gives its first occurrence.
    """
    date_check(date)
    wall = datetime.datetime.combine(date, time.replace(tzinfo=None, fold=0))
    first = wall.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        raise ApplicationError(
            f"{time:%H:%M} on {date.isoformat()} does not exist in {zone.key}: the clocks go "
            f"forward then. Choose another time.",
            details={"time": [f"{time:%H:%M} is skipped by the clock change on {date.isoformat()}."]},
        )
    return instant


def local_is_ambiguous(*, date: datetime.date, time: datetime.time, zone: zoneinfo.ZoneInfo) -> bool:
    """Whether the wall-clock time happens twice that day (the hour repeated when clocks go back)."""
    wall = datetime.datetime.combine(date, time.replace(tzinfo=None, fold=0))
    return wall.replace(tzinfo=zone, fold=0).utcoffset() != wall.replace(tzinfo=zone, fold=1).utcoffset()


def local_day_bounds(
    *, date: datetime.date, zone: zoneinfo.ZoneInfo
) -> tuple[datetime.datetime, datetime.datetime]:
    """The UTC instants where local `date` starts and the next day starts (23 to 25 hours apart)."""
    date_check(date)

    def start_of(day: datetime.date) -> datetime.datetime:
        # fold=0 of a skipped midnight is the instant of the change itself, which is right.
        return datetime.datetime.combine(day, datetime.time.min).replace(tzinfo=zone).astimezone(UTC)

    return start_of(date), start_of(date + datetime.timedelta(days=1))
