"""Fixtures of the scheduling tests: a hospital in a chosen time zone, its people, a settable clock."""

import datetime
from dataclasses import dataclass, field

import pytest

from hms.accounts.models import Role, User
from hms.patients.tests.factories import PatientFactory
from hms.scheduling import wallclock
from hms.tenancy.context import hospital_context

UTC = datetime.UTC
# A Monday morning before the 2026 clock changes of London and New York.
DEFAULT_NOW = datetime.datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


@dataclass
class Clock:
    """The instant scheduling believes it is (hms.scheduling.wallclock.now); real time elsewhere."""

    current: datetime.datetime = field(default=DEFAULT_NOW)

    def set(self, instant: datetime.datetime) -> None:
        assert instant.tzinfo is not None
        self.current = instant

    def now(self) -> datetime.datetime:
        return self.current


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(wallclock, "now", frozen.now)
    return frozen


@pytest.fixture
def time_zone():
    """Override in a module or with parametrize to run a test in another zone."""
    return "Europe/London"


@pytest.fixture
def dmc(make_hospital, time_zone):
    return make_hospital("DMC001", time_zone=time_zone)


@dataclass
class People:
    admin: User
    receptionist: User
    doctor: User
    other_doctor: User
    nurse: User
    patient_user: User


@pytest.fixture
def people(dmc, make_user):
    doctor = make_user("dr_house", role=Role.DOCTOR, hospital=dmc)
    doctor.first_name, doctor.last_name = "Gregory", "House"
    doctor.save()
    return People(
        admin=make_user("dmc_admin", role=Role.ADMIN, hospital=dmc),
        receptionist=make_user("desk", role=Role.RECEPTIONIST, hospital=dmc),
        doctor=doctor,
        other_doctor=make_user("dr_wilson", role=Role.DOCTOR, hospital=dmc),
        nurse=make_user("nurse", role=Role.NURSE, hospital=dmc),
        patient_user=make_user("pat", role=Role.PATIENT, hospital=dmc),
    )


@pytest.fixture
def patients(dmc, people):
    """Three patients of DMC001; the first is linked to the patient user's account."""
    with hospital_context("DMC001"):
        own, second, third = PatientFactory.create_batch(3)
        own.user_id = people.patient_user.pk
        own.save()
    return [own, second, third]
