"""A doctor's slots on one local date: the wall-clock grid of their working hours, each slot free
or taken. Pure: the callers read the hours and the live appointments (selectors, calendars,
and the booking rules a patient is held to).
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from hms.core.exceptions import ApplicationError
from hms.scheduling.models import WorkingHours
from hms.scheduling.wallclock import local_to_utc


@dataclass(frozen=True)
class Slot:
    starts_at: datetime.datetime  # UTC
    starts_local: datetime.datetime
    ends_local: datetime.datetime

    @property
    def minutes(self) -> int:
        # In UTC: two times of one zone subtract as wall-clock times, wrong across a clock change.
        return int((self.ends_local.astimezone(datetime.UTC) - self.starts_at).total_seconds() // 60)


def day_slots(
    *,
    hours: list[WorkingHours],
    busy: list[tuple[datetime.datetime, datetime.datetime]],
    date: datetime.date,
    zone: zoneinfo.ZoneInfo,
    now: datetime.datetime,
) -> list[tuple[Slot, bool]]:
    """Every slot of `hours` (one doctor's periods of that weekday) on local `date`, in time order,
    each with whether it is free: no live appointment in `busy` overlaps it and it starts from
    `now` on. A slot in the hour skipped by a clock change does not exist; in the hour
    repeated, only its first occurrence counts."""
    slots: list[tuple[Slot, bool]] = []
    seen: set[datetime.datetime] = set()
    for period in hours:
        step = datetime.timedelta(minutes=period.slot_minutes)
        wall = datetime.datetime.combine(date, period.start_time)
        period_end = datetime.datetime.combine(date, period.end_time)
        while wall + step <= period_end:
            try:
                start = local_to_utc(date=date, time=wall.time(), zone=zone)
            except ApplicationError:  # skipped by the clock change
                wall += step
                continue
            end = start + step
            local_start, local_end = start.astimezone(zone), end.astimezone(zone)
            within = local_end.date() == date and local_end.time() <= period.end_time
            if within and start not in seen:
                seen.add(start)
                free = start >= now and all(not (b_start < end and start < b_end) for b_start, b_end in busy)
                slots.append((Slot(starts_at=start, starts_local=local_start, ends_local=local_end), free))
            wall += step
    return sorted(slots, key=lambda pair: pair[0].starts_at)
