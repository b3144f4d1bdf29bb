"""Fixtures of the care tests: two hospitals, their people, a patient in TH001."""

from dataclasses import dataclass

import pytest

from hms.accounts.models import Role, User
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context


@dataclass
class People:
    doctor: User
    other_doctor: User
    nurse: User
    receptionist: User
    admin: User
    foreign_doctor: User
    foreign_admin: User


@pytest.fixture
def people(make_hospital, make_user):
    th, dmc = make_hospital("TH001"), make_hospital("DMC001")
    return People(
        doctor=make_user("dr_a", role=Role.DOCTOR, hospital=th),
        other_doctor=make_user("dr_b", role=Role.DOCTOR, hospital=th),
        nurse=make_user("nurse", role=Role.NURSE, hospital=th),
        receptionist=make_user("desk", role=Role.RECEPTIONIST, hospital=th),
        admin=make_user("th_admin", role=Role.ADMIN, hospital=th),
        foreign_doctor=make_user("dmc_doc", role=Role.DOCTOR, hospital=dmc),
        foreign_admin=make_user("dmc_admin", role=Role.ADMIN, hospital=dmc),
    )


@pytest.fixture
def patient(people) -> Patient:
    with hospital_context("TH001"):
        return PatientFactory(given_name="Nasima", family_name="Akter")
