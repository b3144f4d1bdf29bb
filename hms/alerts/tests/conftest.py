"""Fixtures of the alert tests: DMC001 (Asia/Dhaka) and its people, a patient in the care of
`doctor` through `encounter`; `colleague` works in the doctor's department, `other_doctor` in
another; ELSE001 is another hospital with a doctor of its own."""

import datetime

import pytest

from hms.accounts.models import Role
from hms.accounts.tests.factories import UserFactory
from hms.encounters.tests.factories import EncounterFactory
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.staff.tests.factories import DepartmentFactory, StaffMemberFactory
from hms.tenancy.context import hospital_context


@pytest.fixture
def dmc(make_hospital):
    return make_hospital("DMC001", time_zone="Asia/Dhaka")


def _user(hospital, username, role, **names):
    return UserFactory(
        username=username, role=role, hospital=hospital, email=f"{username}@example.org", **names
    )


@pytest.fixture
def doctor(dmc):
    return _user(dmc, "dr_house", Role.DOCTOR, first_name="Gregory", last_name="House")


@pytest.fixture
def colleague(dmc):
    return _user(dmc, "dr_cuddy", Role.DOCTOR, first_name="Lisa", last_name="Cuddy")


@pytest.fixture
def other_doctor(dmc):
    return _user(dmc, "dr_wilson", Role.DOCTOR, first_name="James", last_name="Wilson")


@pytest.fixture
def nurse(dmc):
    return _user(dmc, "nurse_joy", Role.NURSE)


@pytest.fixture
def scientist(dmc):
    return _user(dmc, "lab_sam", Role.LAB)


@pytest.fixture
def second_scientist(dmc):
    return _user(dmc, "lab_kim", Role.LAB)


@pytest.fixture
def admin(dmc):
    return _user(dmc, "dmc_admin", Role.ADMIN)


@pytest.fixture
def departments(dmc, doctor, colleague, other_doctor):
    """Medicine: the doctor and the colleague; surgery: the other doctor."""
    with hospital_context("DMC001"):
        medicine, surgery = DepartmentFactory(name="Medicine"), DepartmentFactory(name="Surgery")
        StaffMemberFactory(user=other_doctor, department=surgery)
        StaffMemberFactory(user=doctor, department=medicine)
        StaffMemberFactory(user=colleague, department=medicine)
    return medicine, surgery


@pytest.fixture
def patient(dmc):
    with hospital_context("DMC001"):
        return PatientFactory(
            given_name="Rahim",
            family_name="Uddin",
            sex=Patient.Sex.MALE,
            birth_date=datetime.date(1970, 3, 1),
        )


@pytest.fixture
def encounter(patient, doctor):
    with hospital_context("DMC001"):
        return EncounterFactory(patient=patient, practitioner_user_id=doctor.pk)


@pytest.fixture
def elsewhere(make_hospital):
    return make_hospital("ELSE001")


@pytest.fixture
def foreign_doctor(elsewhere):
    return _user(elsewhere, "dr_far", Role.DOCTOR)
