"""Every list page of scheduling costs the same number of queries for N rows as for 3N."""

import datetime

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hms.patients.tests.factories import PatientFactory
from hms.scheduling.tests.factories import AppointmentFactory, WorkingHoursFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
N = 3
MONDAY_9AM = datetime.datetime(2026, 1, 12, 9, 0, tzinfo=UTC)  # London is on UTC in January


def _queries(client, url, query=None):
    """(hospital database, shared database) queries of one page view."""
    with (
        hospital_context("DMC001") as tenant,  # the page opens the same connection within it
        CaptureQueriesContext(connections[tenant.alias]) as hospital,
        CaptureQueriesContext(connections["default"]) as shared,
    ):
        response = client.get(url, query or {})
    assert response.status_code == 200, url
    assert len(hospital) > 0  # the page's own reads were seen
    return len(hospital), len(shared)


def _url(name, **ids):
    return reverse(f"scheduling:{name}", kwargs={"hospital_code": "DMC001", **ids})


def _appointments(count, *, start, doctor, patient=None):
    with hospital_context("DMC001"):
        for i in range(count):
            starts = start + datetime.timedelta(minutes=15 * i)
            AppointmentFactory(
                patient=patient or PatientFactory(),
                practitioner_user_id=doctor.pk,
                starts_at=starts,
                ends_at=starts + datetime.timedelta(minutes=15),
            )


def test_the_day_list(client, clock, people):
    client.force_login(people.nurse)
    url, query = _url("day"), {"date": "2026-01-12"}
    _queries(client, url, query)  # the connections are open and warm
    _appointments(N, start=MONDAY_9AM, doctor=people.doctor)
    few = _queries(client, url, query)
    _appointments(2 * N, start=MONDAY_9AM + datetime.timedelta(hours=2), doctor=people.other_doctor)
    assert _queries(client, url, query) == few


def test_a_patients_appointments(client, clock, people, patients):
    client.force_login(people.nurse)
    url = _url("patient", patient_id=patients[1].pk)
    _queries(client, url)
    _appointments(N, start=MONDAY_9AM, doctor=people.doctor, patient=patients[1])
    few = _queries(client, url)
    _appointments(
        2 * N, start=MONDAY_9AM + datetime.timedelta(days=1), doctor=people.doctor, patient=patients[1]
    )
    assert _queries(client, url) == few


def test_the_working_hours(client, clock, people):
    client.force_login(people.admin)
    url = _url("hours")

    def hours(count, doctor):
        with hospital_context("DMC001"):
            for weekday in range(count):
                WorkingHoursFactory(practitioner_user_id=doctor.pk, weekday=weekday)

    _queries(client, url)
    hours(N, people.doctor)
    few = _queries(client, url)
    hours(2 * N, people.other_doctor)
    assert _queries(client, url) == few
