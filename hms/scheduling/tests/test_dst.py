"""Local wall-clock times across the 2026 clock changes of London and New York.

London: forward 2026-03-29 01:00 GMT -> 02:00 BST; back 2026-10-25 02:00 BST -> 01:00 GMT.
New York: forward 2026-03-08 02:00 EST -> 03:00 EDT; back 2026-11-01 02:00 EDT -> 01:00 EST.
"""

import datetime
import zoneinfo

import pytest

from hms.core.exceptions import ApplicationError
from hms.scheduling.models import Appointment
from hms.scheduling.selectors import appointment_day_list, practitioner_free_slots
from hms.scheduling.services import appointment_book, appointment_reschedule, working_hours_set
from hms.scheduling.tests.factories import AppointmentFactory
from hms.scheduling.wallclock import hospital_zone, local_day_bounds, local_is_ambiguous, local_to_utc
from hms.tenancy.context import hospital_context

UTC = datetime.UTC
T = datetime.time


def _utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def _hours(people, periods, days=range(7), slot=15):
    for day in days:
        working_hours_set(
            acting_user=people.admin,
            practitioner_user_id=people.doctor.pk,
            weekday=day,
            periods=periods,
            slot_minutes=slot,
        )


def _book(people, patient, date, time, minutes=30):
    return appointment_book(
        acting_user=people.receptionist,
        patient=patient,
        practitioner_user_id=people.doctor.pk,
        local_date=date,
        local_time=time,
        duration_minutes=minutes,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("time_zone", "before", "after", "utc_before", "utc_after"),
    [
        # London: Tuesday before and after the spring change; then across the autumn one.
        (
            "Europe/London",
            datetime.date(2026, 3, 24),
            datetime.date(2026, 3, 31),
            _utc(2026, 3, 24, 9),
            _utc(2026, 3, 31, 8),
        ),
        (
            "Europe/London",
            datetime.date(2026, 10, 20),
            datetime.date(2026, 10, 27),
            _utc(2026, 10, 20, 8),
            _utc(2026, 10, 27, 9),
        ),
        (
            "America/New_York",
            datetime.date(2026, 3, 2),
            datetime.date(2026, 3, 9),
            _utc(2026, 3, 2, 14),
            _utc(2026, 3, 9, 13),
        ),
        (
            "America/New_York",
            datetime.date(2026, 10, 26),
            datetime.date(2026, 11, 2),
            _utc(2026, 10, 26, 13),
            _utc(2026, 11, 2, 14),
        ),
    ],
)
def test_same_time_next_week_keeps_the_wall_clock_time(
    clock, people, patients, time_zone, before, after, utc_before, utc_after
):
    with hospital_context("DMC001"):
        _hours(people, [(T(9), T(17))])
        appointment = _book(people, patients[0], before, T(9))
        assert appointment.starts_at == utc_before
        moved = appointment_reschedule(
            acting_user=people.receptionist,
            appointment_id=appointment.pk,
            local_date=before + datetime.timedelta(days=7),
            local_time=T(9),
        )
        stored = Appointment.objects.get()
    assert after == before + datetime.timedelta(days=7)
    assert moved.starts_at == stored.starts_at == utc_after
    # The hour moved in UTC, not on the hospital's clock.
    assert stored.duration_minutes == 30
    assert abs(utc_after - utc_before) != datetime.timedelta(days=7)


@pytest.mark.django_db
@pytest.mark.parametrize("time_zone", ["Europe/London"])
def test_working_hours_stay_local_across_the_change(clock, people, patients, time_zone):
    with hospital_context("DMC001"):
        _hours(people, [(T(9), T(17))])
        # 08:30 UTC is 08:30 GMT before the change (outside) and 09:30 BST after it (inside).
        with pytest.raises(ApplicationError, match="08:30-08:45 is outside those hours"):
            appointment_book(
                acting_user=people.receptionist,
                patient=patients[0],
                practitioner_user_id=people.doctor.pk,
                starts_at=_utc(2026, 3, 27, 8, 30),
            )
        after = appointment_book(
            acting_user=people.receptionist,
            patient=patients[0],
            practitioner_user_id=people.doctor.pk,
            starts_at=_utc(2026, 3, 30, 8, 30),
        )
        # 16:30 UTC is 17:30 BST: outside, although it was inside in winter.
        with pytest.raises(ApplicationError, match="17:30-17:45 is outside those hours"):
            appointment_book(
                acting_user=people.receptionist,
                patient=patients[1],
                practitioner_user_id=people.doctor.pk,
                starts_at=_utc(2026, 3, 30, 16, 30),
            )
    assert after.starts_at == _utc(2026, 3, 30, 8, 30)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("time_zone", "date", "time", "shown"),
    [
        (
            "Europe/London",
            datetime.date(2026, 3, 29),
            T(1, 30),
            "01:30 on 2026-03-29 does not exist in Europe/London",
        ),
        (
            "America/New_York",
            datetime.date(2026, 3, 8),
            T(2, 30),
            "02:30 on 2026-03-08 does not exist in America/New_York",
        ),
    ],
)
def test_a_time_skipped_by_the_clocks_is_refused(clock, people, patients, time_zone, date, time, shown):
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError, match=shown) as raised:
            _book(people, patients[0], date, time)
        assert not Appointment.objects.exists()
    assert "clocks go forward" in raised.value.message
    assert "time" in raised.value.details


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("time_zone", "date", "time", "first", "second"),
    [
        (
            "Europe/London",
            datetime.date(2026, 10, 25),
            T(1, 30),
            _utc(2026, 10, 25, 0, 30),
            _utc(2026, 10, 25, 1, 30),
        ),
        (
            "America/New_York",
            datetime.date(2026, 11, 1),
            T(1, 30),
            _utc(2026, 11, 1, 5, 30),
            _utc(2026, 11, 1, 6, 30),
        ),
    ],
)
def test_a_repeated_time_means_its_first_occurrence(
    clock, people, patients, time_zone, date, time, first, second
):
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], date, time)
        # The second occurrence can still be booked as an instant.
        later = appointment_book(
            acting_user=people.receptionist,
            patient=patients[1],
            practitioner_user_id=people.doctor.pk,
            starts_at=second,
            duration_minutes=30,
        )
        zone = hospital_zone()
    assert local_is_ambiguous(date=date, time=time, zone=zone)
    assert appointment.starts_at == first
    assert later.starts_at == second
    assert appointment.starts_at.astimezone(zone).time() == later.starts_at.astimezone(zone).time() == time


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("time_zone", "date", "hours"),
    [
        ("Europe/London", datetime.date(2026, 3, 29), 23),
        ("Europe/London", datetime.date(2026, 10, 25), 25),
        ("America/New_York", datetime.date(2026, 3, 8), 23),
        ("America/New_York", datetime.date(2026, 11, 1), 25),
        ("America/New_York", datetime.date(2026, 6, 1), 24),
    ],
)
def test_the_day_list_covers_the_local_day_of_23_or_25_hours(clock, people, patients, time_zone, date, hours):
    with hospital_context("DMC001"):
        zone = hospital_zone()
        start, end = local_day_bounds(date=date, zone=zone)
        assert end - start == datetime.timedelta(hours=hours)
        minute = datetime.timedelta(minutes=1)
        rows = [
            AppointmentFactory(
                patient=patients[0],
                practitioner_user_id=people.doctor.pk,
                starts_at=at,
                ends_at=at + 10 * minute,
            )
            for at in (start - 15 * minute, start, end - 15 * minute, end)
        ]
        page = appointment_day_list(user=people.nurse, date=date)
    assert [e.appointment.pk for e in page.object_list] == [rows[1].pk, rows[2].pk]
    first, last = page.object_list
    assert (first.starts_local.date(), first.starts_local.time()) == (date, T(0))
    assert (last.starts_local.date(), last.starts_local.time()) == (date, T(23, 45))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("time_zone", "date", "expected"),
    [
        # One real hour before the change, two after it; 01:00-02:00 does not exist.
        ("Europe/London", datetime.date(2026, 3, 29), ["00:00", "00:30", "02:00", "02:30", "03:00", "03:30"]),
        # The repeated hour is offered once (its first occurrence).
        (
            "Europe/London",
            datetime.date(2026, 10, 25),
            ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30", "03:00", "03:30"],
        ),
        (
            "America/New_York",
            datetime.date(2026, 3, 8),
            ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"],
        ),
    ],
)
def test_free_slots_on_the_day_of_the_change(clock, people, patients, time_zone, date, expected):
    with hospital_context("DMC001"):
        _hours(people, [(T(0), T(4))], days=[date.weekday()], slot=30)
        free = practitioner_free_slots(
            user=people.receptionist, practitioner_user_id=people.doctor.pk, date=date
        )
    assert [f"{s.starts_local:%H:%M}" for s in free.slots] == expected
    starts = [s.starts_at for s in free.slots]
    assert len(set(starts)) == len(starts) and starts == sorted(starts)
    # No slot overlaps the next one in real time.
    for slot, following in zip(free.slots, free.slots[1:], strict=False):
        assert slot.starts_at + datetime.timedelta(minutes=30) <= following.starts_at


def test_local_to_utc_round_trips_ordinary_times():
    zone = zoneinfo.ZoneInfo("America/New_York")
    assert local_to_utc(date=datetime.date(2026, 7, 4), time=T(12), zone=zone) == _utc(2026, 7, 4, 16)
    assert local_to_utc(date=datetime.date(2026, 1, 4), time=T(12), zone=zone) == _utc(2026, 1, 4, 17)
