"""A hospital for the clinical resources' tests: its people (with their API clients), a patient in
the doctor's care, one out of it, the patient user's own record, and a second hospital."""

import datetime
from dataclasses import dataclass, field

import pytest
from django.test import Client

from hms.accounts.models import Role, User
from hms.accounts.tests.factories import UserFactory
from hms.api.tests.conftest import ApiClient, token_for
from hms.hospitals.models import Hospital
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.scheduling import wallclock
from hms.scheduling.tests.factories import AppointmentFactory, WorkingHoursFactory
from hms.tenancy.context import hospital_context

CODE, OTHER = "CL001", "CL002"
# A Monday morning (UTC, the hospitals' zone): the doctor works 09:00-17:00 on Mondays.
NOW = datetime.datetime(2026, 1, 5, 6, 0, tzinfo=datetime.UTC)
ADULT = datetime.date(1980, 3, 14)  # the dose limits of adults apply


@dataclass
class Clinic:
    hospital: Hospital
    users: dict[str, User]
    in_care: Patient  # booked with the doctor last week: in the doctor's care
    stranger: Patient  # nobody's
    own: Patient  # the patient user's record
    foreign: Patient  # of the other hospital
    clients: dict[str, ApiClient] = field(default_factory=dict)

    def api(self, who: str) -> ApiClient:
        if who not in self.clients:
            self.clients[who] = ApiClient(token_for(Client(), self.users[who].username))
        return self.clients[who]


def url(path: str, code: str = CODE) -> str:
    return f"/api/v1/hospitals/{code}/{path}"


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return body


@pytest.fixture
def clinic(make_hospital, monkeypatch) -> Clinic:
    monkeypatch.setattr(wallclock, "now", lambda: NOW)
    hospital = make_hospital(CODE)
    other = make_hospital(OTHER)
    roles = {
        "admin": Role.ADMIN,
        "doctor": Role.DOCTOR,
        "doctor2": Role.DOCTOR,
        "nurse": Role.NURSE,
        "reception": Role.RECEPTIONIST,
        "patient": Role.PATIENT,
    }
    users = {
        who: UserFactory(username=f"cl-{who}", role=role, hospital=hospital, first_name=who.title())
        for who, role in roles.items()
    }
    users["outsider"] = UserFactory(username="cl-outsider", role=Role.DOCTOR, hospital=other)
    with hospital_context(CODE):
        in_care = PatientFactory(given_name="Carey", family_name="Incare", birth_date=ADULT)
        AppointmentFactory(
            patient=in_care,
            practitioner_user_id=users["doctor"].pk,
            starts_at=NOW - datetime.timedelta(days=7),
            ends_at=NOW - datetime.timedelta(days=7, minutes=-15),
        )
        stranger = PatientFactory(given_name="Stan", family_name="Stranger", birth_date=ADULT)
        own = PatientFactory(
            given_name="Olive", family_name="Own", user_id=users["patient"].pk, birth_date=ADULT
        )
        for doctor in ("doctor", "doctor2"):
            WorkingHoursFactory(practitioner_user_id=users[doctor].pk)
    with hospital_context(OTHER):
        foreign = PatientFactory(given_name="Fay", family_name="Foreign")
    return Clinic(hospital, users, in_care, stranger, own, foreign)
