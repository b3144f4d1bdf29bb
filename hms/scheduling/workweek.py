"""The hospital's working week as scheduling counts days (WorkingHours.weekday: 0 = Monday ... 6 = Sunday).

Which days are worked is the clinical profile's (hms.clinical.profiles: ISO weekdays, from the
country of the hospital's time zone until the administrator changes it): Sunday to Thursday in
Bangladesh, Monday to Friday in the United Kingdom. A week, as the calendar shows it, starts on
the first day of the working week: Sunday in Dhaka, Monday in London. Nothing here refuses hours
on a day off: a doctor may still hold a weekend clinic.
"""

import datetime

from hms.clinical.profiles import clinical_profile
from hms.scheduling.models import WorkingHours


def working_weekdays() -> list[int]:
    """The hospital's working days (0 = Monday ... 6 = Sunday), in the order of its week."""
    worked = {iso - 1 for iso in clinical_profile().working_days}
    first = _first_day(worked)
    return [day for day in _from(first) if day in worked]


def weekday_choices() -> list[tuple[int, str]]:
    """(weekday, name) of every day, in the order of the hospital's week; days off are named so."""
    worked = {iso - 1 for iso in clinical_profile().working_days}
    names = dict(WorkingHours.Weekday.choices)
    return [
        (day, str(names[day]) if day in worked else f"{names[day]} (not a working day)")
        for day in _from(_first_day(worked))
    ]


def week_of(date: datetime.date) -> list[datetime.date]:
    """The seven days of the hospital's week that holds `date`, from the first day of its working week."""
    first = _first_day({iso - 1 for iso in clinical_profile().working_days})
    start = date - datetime.timedelta(days=(date.weekday() - first) % 7)
    return [start + datetime.timedelta(days=n) for n in range(7)]


def _first_day(worked: set[int]) -> int:
    """The day a working week starts: the first worked day after a day off (Monday if every day or
    none is worked; with several runs, the earliest in Monday-first order)."""
    return next((day for day in range(7) if day in worked and (day - 1) % 7 not in worked), 0)


def _from(first: int) -> list[int]:
    return [(first + n) % 7 for n in range(7)]
