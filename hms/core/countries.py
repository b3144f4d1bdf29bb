"""The country of an IANA time zone, from the tz database's own tables (the pinned tzdata package).

Sources: `zone.tab` of the IANA time zone database (zone -> ISO 3166 country), with the
database's links (`tzdata.zi`, lines `L <zone> <alias>`) so that an old name such as
Asia/Calcutta finds its zone. A new hospital's currency (billing) and clinical conventions
(hms.clinical.profiles) start from the country of its time zone.
"""

import functools
import importlib.resources


def _tz_table(name: str) -> str:
    return (importlib.resources.files("tzdata") / "zoneinfo" / name).read_text(encoding="utf-8")


@functools.cache
def zone_countries() -> dict[str, str]:
    """IANA zone name (and each of its links) -> ISO 3166 country code, from tzdata's zone.tab."""
    countries: dict[str, str] = {}
    for line in _tz_table("zone.tab").splitlines():
        if line and not line.startswith("#"):
            country, _coordinates, zone, *_ = line.split("\t")
            countries[zone] = country
    for line in _tz_table("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            if target in countries:
                countries.setdefault(alias, countries[target])
    return countries


def zone_country(time_zone: str) -> str | None:
    """The country of an IANA time zone ("Asia/Dhaka" -> "BD"), or None (UTC, Etc/GMT+3)."""
    return zone_countries().get(time_zone)
