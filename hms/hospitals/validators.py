"""Field validators for the registry."""

import functools
import zoneinfo

from django.core.exceptions import ValidationError

from hms.hospitals.codes import is_valid_hospital_code


def validate_code(value: str) -> None:
    if not is_valid_hospital_code(value):
        raise ValidationError(
            "Use 2-32 characters: upper-case letters, digits and underscores, "
            "starting with a letter or digit (e.g. TH001).",
            code="invalid_hospital_code",
        )


@functools.cache
def _time_zones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk at every call.
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(
            f"{value!r} is not an IANA time zone (e.g. Europe/London, Asia/Dhaka).",
            code="invalid_time_zone",
        )
