"""Time zones as people know them (hms.core.display.zone_abbreviation)."""

import datetime
import zoneinfo

import pytest

from hms.core.display import zone_abbreviation

JANUARY = datetime.datetime(2026, 1, 12, 4, 30, tzinfo=datetime.UTC)
JULY = datetime.datetime(2026, 7, 12, 4, 30, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("zone", "moment", "shown"),
    [
        ("Europe/London", JANUARY, "GMT"),
        ("Europe/London", JULY, "BST"),
        ("America/New_York", JANUARY, "EST"),
        ("UTC", JANUARY, "UTC"),
        # the tz database has no letters for these zones, only "+06", "+0545", "-03", "+00"
        ("Asia/Dhaka", JANUARY, "UTC+6"),
        ("Asia/Singapore", JANUARY, "UTC+8"),
        ("Asia/Kathmandu", JANUARY, "UTC+5:45"),
        ("America/Sao_Paulo", JANUARY, "UTC-3"),
        ("Atlantic/Azores", JULY, "UTC"),
    ],
)
def test_a_zone_is_shown_by_its_letters_or_else_its_offset_from_utc(zone, moment, shown):
    assert zone_abbreviation(moment.astimezone(zoneinfo.ZoneInfo(zone))) == shown


def test_a_naive_time_has_no_zone_to_show():
    assert zone_abbreviation(datetime.datetime(2026, 1, 12, 10, 30)) == ""
