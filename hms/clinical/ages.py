"""A patient's age as reference ranges read it: completed days, months and years on a date."""

import datetime
import re
from dataclasses import dataclass

_AGE = re.compile(r"(\d+)([dmy])")


@dataclass(frozen=True, order=True)
class Age:
    days: int
    months: int
    years: int

    def __str__(self) -> str:
        """As a clinician says it: "12 days", "18 months", "8 years"."""
        if self.days < 28:
            return f"{self.days} day{'s' if self.days != 1 else ''}"
        if self.years < 2:
            return f"{self.months} month{'s' if self.months != 1 else ''}"
        return f"{self.years} years"


def age_on(birth_date: datetime.date, on: datetime.date) -> Age:
    """Completed days, months and years from `birth_date` to `on` (a birthday counts on its day;
    a 29 February birthday is reached on 28 February in other years)."""
    if on < birth_date:
        raise ValueError("The date is before the birth date.")
    months = (on.year - birth_date.year) * 12 + on.month - birth_date.month
    if on.day < birth_date.day and not _last_day_of_month(on):
        months -= 1
    return Age(days=(on - birth_date).days, months=months, years=months // 12)


def _last_day_of_month(day: datetime.date) -> bool:
    return (day + datetime.timedelta(days=1)).month != day.month


def age_bound_reached(age: Age, bound: str) -> bool:
    """Whether `age` has reached a bound written "28d", "18m" or "16y"."""
    match = _AGE.fullmatch(bound)
    if match is None:
        raise ValueError(f"An age bound is a number and d, m or y: {bound!r}.")
    number, unit = int(match[1]), match[2]
    return {"d": age.days, "m": age.months, "y": age.years}[unit] >= number
