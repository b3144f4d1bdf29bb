"""Calendars (issue 11): a doctor's day and week, a department's doctors side by side."""

import datetime

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hms.audit.models import AuditEvent
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.calendars import department_calendar, practitioner_calendar
from hms.scheduling.models import Appointment
from hms.scheduling.tests.factories import AppointmentFactory, WorkingHoursFactory
from hms.scheduling.workweek import week_of
from hms.staff.tests.factories import DepartmentFactory, StaffMemberFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
MONDAY = datetime.date(2026, 1, 12)  # London is on UTC in January; the clock says 2026-01-05 06:00


def _at(hour, minute=0, date=MONDAY):
    return datetime.datetime.combine(date, datetime.time(hour, minute), tzinfo=UTC)


def _url(name, **query):
    url = reverse(f"scheduling:{name}", kwargs={"hospital_code": "DMC001"})
    return url, query


@pytest.fixture
def clinic(clock, people, patients):
    """Dr House works Monday 09:00-11:00 in 30-minute slots: one booked, one arrived, one cancelled."""
    with hospital_context("DMC001"):
        WorkingHoursFactory(
            practitioner_user_id=people.doctor.pk,
            start_time=datetime.time(9),
            end_time=datetime.time(11),
            slot_minutes=30,
        )
        booked = AppointmentFactory(
            patient=patients[0], practitioner_user_id=people.doctor.pk, starts_at=_at(9), ends_at=_at(9, 30)
        )
        arrived = AppointmentFactory(
            patient=patients[1],
            practitioner_user_id=people.doctor.pk,
            starts_at=_at(10),
            ends_at=_at(10, 30),
            status=Appointment.Status.ARRIVED,
        )
        cancelled = AppointmentFactory(
            patient=patients[2],
            practitioner_user_id=people.doctor.pk,
            starts_at=_at(9, 30),
            ends_at=_at(10),
            status=Appointment.Status.CANCELLED,
        )
    return booked, arrived, cancelled


def test_a_doctors_day_has_their_slots_free_and_taken(people, clinic):
    booked, arrived, cancelled = clinic
    with hospital_context("DMC001"):
        calendar = practitioner_calendar(
            user=people.receptionist,
            practitioner_user_id=people.doctor.pk,
            dates=[MONDAY],
            client_address="10.0.0.1",
        )
        event = AuditEvent.objects.get(action="appointment.calendar")
    rows = {f"{row.time:%H:%M}": row.cells[0] for row in calendar.rows}
    assert list(rows) == ["09:00", "09:30", "10:00", "10:30"]
    assert [e.appointment.pk for e in rows["09:00"].appointments] == [booked.pk]
    assert [e.appointment.pk for e in rows["09:30"].appointments] == [cancelled.pk]
    assert rows["09:30"].free  # a cancelled appointment frees its time
    assert not rows["09:00"].free and not rows["10:00"].free and rows["10:30"].free
    assert calendar.appointment_count == 3 and not calendar.is_empty
    assert event.detail["appointment_ids"] == [booked.pk, cancelled.pk, arrived.pk]
    assert event.client_address == "10.0.0.1"


def test_a_london_week_is_monday_to_sunday_and_an_appointment_off_the_grid_gets_its_row(
    people, patients, clock
):
    with hospital_context("DMC001"):
        WorkingHoursFactory(
            practitioner_user_id=people.doctor.pk, start_time=datetime.time(9), end_time=datetime.time(10)
        )
        late = AppointmentFactory(
            patient=patients[0],
            practitioner_user_id=people.doctor.pk,
            starts_at=_at(18, 10, MONDAY + datetime.timedelta(days=2)),
            ends_at=_at(18, 25, MONDAY + datetime.timedelta(days=2)),
        )
        calendar = practitioner_calendar(
            user=people.nurse,
            practitioner_user_id=people.doctor.pk,
            dates=week_of(MONDAY + datetime.timedelta(days=3)),
        )
    assert [c.date for c in calendar.columns] == [MONDAY + datetime.timedelta(days=n) for n in range(7)]
    assert [c.works for c in calendar.columns] == [True] + [False] * 6
    row = next(r for r in calendar.rows if r.time == datetime.time(18, 10))
    assert [e.appointment.pk for e in row.cells[2].appointments] == [late.pk]
    assert not row.cells[2].working


def test_a_department_grid_has_a_column_per_doctor(people, patients, clock):
    with hospital_context("DMC001"):
        cardiology = DepartmentFactory(name="Cardiology")
        StaffMemberFactory(user=people.doctor, department=cardiology)
        StaffMemberFactory(user=people.other_doctor, department=cardiology)
        WorkingHoursFactory(practitioner_user_id=people.other_doctor.pk)
        AppointmentFactory(
            patient=patients[0],
            practitioner_user_id=people.other_doctor.pk,
            starts_at=_at(9),
            ends_at=_at(9, 15),
        )
        department, calendar = department_calendar(
            user=people.admin, department_id=cardiology.pk, date=MONDAY
        )
    assert department == cardiology
    assert [c.practitioner_name for c in calendar.columns] == ["dr_wilson", "Dr Gregory House"]
    first = calendar.rows[0]
    assert (
        first.time == datetime.time(9)
        and len(first.cells[0].appointments) == 1
        and not first.cells[1].working
    )


def test_the_day_calendar_page_links_free_slots_to_the_booking_form(client, people, clinic):
    client.force_login(people.receptionist)
    url, query = _url("calendar-day", date="2026-01-12", doctor=people.doctor.pk)
    response = client.get(url, query)
    body = response.content.decode()
    assert response.status_code == 200
    book = reverse("scheduling:book", kwargs={"hospital_code": "DMC001"})
    assert f"{book}?practitioner={people.doctor.pk}&amp;date=2026-01-12&amp;time=10:30" in body
    assert 'class="cal-appt status-arrived"' in body and "status-cancelled" in body
    assert "date=2026-01-11" in body and "date=2026-01-13" in body  # previous and next day
    assert "Free &ndash; book" not in _page(
        client.__class__(), people.nurse, url, query
    )  # nurses do not book


def _page(client, user, url, query):
    client.force_login(user)
    return client.get(url, query).content.decode()


def test_an_empty_day_says_so_and_offers_the_days_around(client, people, clock):
    client.force_login(people.nurse)
    for name in ("calendar-day", "calendar-week", "day"):
        url, query = _url(name, date="2026-02-03", doctor=people.doctor.pk)
        body = client.get(url, query).content.decode()
        assert "No appointments" in body, name
        assert "2026-02-02" in body and "2026-02-04" in body or "2026-01-27" in body, name


def test_bad_filters_answer_400_and_patients_are_refused(client, people, clock):
    client.force_login(people.receptionist)
    url, _ = _url("calendar-day")
    assert client.get(url, {"date": "2026-02-30"}).status_code == 400
    assert client.get(url, {"doctor": "424242"}).status_code == 400
    dept, _ = _url("calendar-department")
    assert client.get(dept, {"department": "424242"}).status_code == 400
    client.force_login(people.patient_user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("name", ["calendar-week", "calendar-department"])
def test_a_calendar_costs_the_same_queries_for_more_appointments(client, people, clock, name):
    with hospital_context("DMC001"):
        cardiology = DepartmentFactory(name="Cardiology")
        StaffMemberFactory(user=people.doctor, department=cardiology)
        StaffMemberFactory(user=people.other_doctor, department=cardiology)
        for doctor in (people.doctor, people.other_doctor):
            for weekday in range(5):
                WorkingHoursFactory(practitioner_user_id=doctor.pk, weekday=weekday)
    client.force_login(people.nurse)
    url, query = _url(name, date="2026-01-12", doctor=people.doctor.pk, department=cardiology.pk)

    def queries():
        with (
            hospital_context("DMC001") as tenant,
            CaptureQueriesContext(connections[tenant.alias]) as hospital,
            CaptureQueriesContext(connections["default"]) as shared,
        ):
            assert client.get(url, query).status_code == 200
        return len(hospital), len(shared)

    def add(count, start):
        with hospital_context("DMC001"):
            for i in range(count):
                for doctor in (people.doctor, people.other_doctor):
                    AppointmentFactory(
                        patient=PatientFactory(),
                        practitioner_user_id=doctor.pk,
                        starts_at=start + datetime.timedelta(minutes=15 * i),
                        ends_at=start + datetime.timedelta(minutes=15 * i + 15),
                    )

    queries()
    add(2, _at(9))
    few = queries()
    add(6, _at(11))
    assert queries() == few
