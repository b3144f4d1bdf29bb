"""Fixtures for the orders tests: one hospital (DMC001, Asia/Dhaka), its people, two patients.

`patient` (female) is in the care of `doctor` through `encounter` (in progress) and of
`colleague` through `earlier_encounter` (finished an hour ago); `other_patient` (male) is in
the care of `outsider` only, through `other_encounter`. A test that needs someone in care
asks for the encounter that puts them there.
"""

import datetime

import pytest
from django.utils import timezone

from hms.accounts.models import Role
from hms.accounts.tests.factories import UserFactory
from hms.encounters.models import Encounter
from hms.encounters.tests.factories import EncounterFactory
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context

HOUR = datetime.timedelta(hours=1)
# Adults, so that doses are checked against adults' limits (a child's need a weight).
ADULT_BIRTH = datetime.date(1980, 5, 17)


@pytest.fixture
def dmc(make_hospital):
    return make_hospital("DMC001", time_zone="Asia/Dhaka")


def _user(hospital, username, role):
    # No first or last name: pages and lists show the username.
    return UserFactory(username=username, role=role, hospital=hospital, first_name="", last_name="")


@pytest.fixture
def doctor(dmc):
    return _user(dmc, "dr_house", Role.DOCTOR)


@pytest.fixture
def colleague(dmc):
    return _user(dmc, "dr_cuddy", Role.DOCTOR)


@pytest.fixture
def outsider(dmc):
    return _user(dmc, "dr_other", Role.DOCTOR)


@pytest.fixture
def nurse(dmc):
    return _user(dmc, "nurse_joy", Role.NURSE)


@pytest.fixture
def receptionist(dmc):
    return _user(dmc, "desk", Role.RECEPTIONIST)


@pytest.fixture
def admin(dmc):
    return _user(dmc, "dmc_admin", Role.ADMIN)


@pytest.fixture
def patient_user(dmc):
    return _user(dmc, "pat", Role.PATIENT)


@pytest.fixture
def other_patient_user(dmc):
    return _user(dmc, "pat2", Role.PATIENT)


@pytest.fixture
def patient(patient_user):
    with hospital_context("DMC001"):
        return PatientFactory(sex=Patient.Sex.FEMALE, user_id=patient_user.pk, birth_date=ADULT_BIRTH)


@pytest.fixture
def other_patient(other_patient_user):
    with hospital_context("DMC001"):
        return PatientFactory(sex=Patient.Sex.MALE, user_id=other_patient_user.pk, birth_date=ADULT_BIRTH)


@pytest.fixture
def encounter(patient, doctor):
    with hospital_context("DMC001"):
        return EncounterFactory(patient=patient, practitioner_user_id=doctor.pk)


@pytest.fixture
def earlier_encounter(patient, colleague):
    now = timezone.now()
    with hospital_context("DMC001"):
        return EncounterFactory(
            patient=patient,
            practitioner_user_id=colleague.pk,
            started_at=now - 3 * HOUR,
            ended_at=now - HOUR,
            status=Encounter.Status.FINISHED,
        )


@pytest.fixture
def other_encounter(other_patient, outsider):
    with hospital_context("DMC001"):
        return EncounterFactory(patient=other_patient, practitioner_user_id=outsider.pk)
