"""The hospital's working week (issue 14): Sunday to Thursday in Bangladesh, Monday to Friday in
the United Kingdom, as the clinical profile says; the calendar's week and the working-hours form
follow it."""

import datetime

import pytest
from django.urls import reverse

from hms.clinical.profiles import clinical_profile_update
from hms.scheduling.calendars import practitioner_calendar
from hms.scheduling.tests.factories import WorkingHoursFactory
from hms.scheduling.workweek import week_of, weekday_choices, working_weekdays
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
THURSDAY = datetime.date(2026, 1, 15)
SUNDAY, MONDAY = datetime.date(2026, 1, 11), datetime.date(2026, 1, 12)


def _page(client, user, name, **query):
    client.force_login(user)
    return client.get(reverse(f"scheduling:{name}", kwargs={"hospital_code": "DMC001"}), query)


@pytest.mark.parametrize("time_zone", ["Asia/Dhaka"])
def test_a_hospital_in_bangladesh_works_sunday_to_thursday_and_its_week_starts_on_sunday(people):
    with hospital_context("DMC001"):
        assert working_weekdays() == [6, 0, 1, 2, 3]
        assert week_of(THURSDAY) == [SUNDAY + datetime.timedelta(days=n) for n in range(7)]
        assert week_of(SUNDAY) == week_of(THURSDAY)
        # A Friday belongs to the week that started the Sunday before it.
        assert week_of(THURSDAY + datetime.timedelta(days=1))[0] == SUNDAY
        choices = weekday_choices()
    assert [day for day, _ in choices] == [6, 0, 1, 2, 3, 4, 5]
    assert choices[0] == (6, "Sunday") and choices[5] == (4, "Friday (not a working day)")


def test_a_hospital_in_the_united_kingdom_works_monday_to_friday(people):
    with hospital_context("DMC001"):
        assert working_weekdays() == [0, 1, 2, 3, 4]
        assert week_of(THURSDAY) == [MONDAY + datetime.timedelta(days=n) for n in range(7)]
        assert weekday_choices()[-1] == (6, "Sunday (not a working day)")


def test_the_week_follows_the_working_days_the_administrator_chooses(people):
    with hospital_context("DMC001"):
        # Tuesday to Saturday: the week starts on Tuesday, Sunday and Monday are its days off.
        clinical_profile_update(acting_user=people.admin, working_days=[2, 3, 4, 5, 6])
        assert working_weekdays() == [1, 2, 3, 4, 5]
        assert week_of(THURSDAY)[0] == datetime.date(2026, 1, 13)
        # Every day worked: the week starts on Monday.
        clinical_profile_update(acting_user=people.admin, working_days=list(range(1, 8)))
        assert week_of(THURSDAY)[0] == MONDAY


@pytest.mark.parametrize("time_zone", ["Asia/Dhaka"])
def test_the_week_calendar_in_dhaka_runs_sunday_to_saturday(client, people, clock):
    with hospital_context("DMC001"):
        WorkingHoursFactory(practitioner_user_id=people.doctor.pk, weekday=6)
        calendar = practitioner_calendar(
            user=people.nurse, practitioner_user_id=people.doctor.pk, dates=week_of(THURSDAY)
        )
    assert [c.date for c in calendar.columns] == [SUNDAY + datetime.timedelta(days=n) for n in range(7)]
    assert [c.works for c in calendar.columns] == [True] + [False] * 6
    body = _page(client, people.nurse, "calendar-week", date="2026-01-15", doctor=people.doctor.pk)
    assert "Week of Sunday 11 January 2026" in body.content.decode()


@pytest.mark.parametrize("time_zone", ["Asia/Dhaka"])
def test_the_working_hours_form_offers_the_hospitals_week_from_its_first_working_day(client, people, clock):
    body = _page(client, people.admin, "hours").content.decode()
    days = body[body.index('id="hours-weekday"') :]
    days = days[: days.index("</select>")]
    assert days.index("Sunday") < days.index("Monday") < days.index("Friday (not a working day)")
    assert '<option value="6" selected>Sunday</option>' in days
