"""Fixtures for the orders tests: one hospital, its people, a patient in care with an encounter."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from hms.accounts.models import Role
from hms.encounters.models import Encounter
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context


@pytest.fixture
def dmc(make_hospital):
    return make_hospital("DMC001", time_zone="Asia/Dhaka")


@pytest.fixture
def people(dmc, make_user):
    return SimpleNamespace(
        doctor=make_user("dr_house", role=Role.DOCTOR, hospital=dmc),
        colleague=make_user("dr_cuddy", role=Role.DOCTOR, hospital=dmc),
        outsider=make_user("dr_other", role=Role.DOCTOR, hospital=dmc),
        nurse=make_user("nurse_joy", role=Role.NURSE, hospital=dmc),
        receptionist=make_user("desk", role=Role.RECEPTIONIST, hospital=dmc),
        admin=make_user("dmc_admin", role=Role.ADMIN, hospital=dmc),
        patient_user=make_user("pat", role=Role.PATIENT, hospital=dmc),
        other_patient_user=make_user("pat2", role=Role.PATIENT, hospital=dmc),
    )


@pytest.fixture
def clinic(people):
    """`patient` (female) is in the care of `doctor` (an encounter in progress) and of `colleague`
    (an encounter that finished an hour ago); `other` is in the care of `outsider` only."""
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    with hospital_context("DMC001"):
        patient = PatientFactory(sex=Patient.Sex.FEMALE, user_id=people.patient_user.pk)
        other = PatientFactory(sex=Patient.Sex.MALE, user_id=people.other_patient_user.pk)
        encounter = Encounter.objects.create(
            patient=patient, practitioner_user_id=people.doctor.pk, started_at=now - hour
        )
        earlier = Encounter.objects.create(
            patient=patient,
            practitioner_user_id=people.colleague.pk,
            started_at=now - 3 * hour,
            ended_at=now - hour,
            status=Encounter.Status.FINISHED,
        )
        other_encounter = Encounter.objects.create(
            patient=other, practitioner_user_id=people.outsider.pk, started_at=now - hour
        )
    return SimpleNamespace(
        patient=patient, other=other, encounter=encounter, earlier=earlier, other_encounter=other_encounter
    )
