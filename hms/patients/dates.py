"""The hospital's today (its own time zone), and a birth date worked out from an age."""

import datetime
import zoneinfo

from django.utils import timezone

from hms.tenancy.context import current_tenant, get_hospital

# An age given in years at registration: above this it is a typing mistake.
AGE_YEARS_MAX = 130


def hospital_zone() -> zoneinfo.ZoneInfo:
    """The current hospital's time zone (from the registry row)."""
    return zoneinfo.ZoneInfo(get_hospital(current_tenant().code).time_zone)


def hospital_today() -> datetime.date:
    """Today's date where the hospital is: a birth "in the future" is judged by it, not by UTC."""
    return timezone.now().astimezone(hospital_zone()).date()


def birth_date_from_age(*, years: int, today: datetime.date) -> datetime.date:
    """The estimated birth date of someone `years` old today: this day, `years` years ago (a
    29 February that year does not have becomes the 28th)."""
    year = today.year - years
    try:
        return today.replace(year=year)
    except ValueError:
        return today.replace(year=year, day=28)
