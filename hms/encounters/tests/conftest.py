"""Fixtures of the encounters tests: one hospital, its people, two patients and an appointment."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from hms.accounts.models import Role
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.models import Appointment
from hms.tenancy.context import hospital_context

CODE = "DMC001"


@pytest.fixture
def hospital(make_hospital):
    return make_hospital(CODE, name="Downtown Medical Center", time_zone="Asia/Dhaka")


@pytest.fixture
def staff(hospital, make_user):
    return SimpleNamespace(
        doctor=make_user("dr_rahman", role=Role.DOCTOR, hospital=hospital),
        other_doctor=make_user("dr_other", role=Role.DOCTOR, hospital=hospital),
        nurse=make_user("nurse_amina", role=Role.NURSE, hospital=hospital),
        receptionist=make_user("desk", role=Role.RECEPTIONIST, hospital=hospital),
        admin=make_user("dmc_admin", role=Role.ADMIN, hospital=hospital),
        patient_user=make_user("karim", role=Role.PATIENT, hospital=hospital),
        other_patient_user=make_user("someone", role=Role.PATIENT, hospital=hospital),
    )


@pytest.fixture
def chart(staff):
    """`patient` (staff.patient_user), `stranger` (other_patient_user), `appointment` (patient, doctor)."""
    now = timezone.now()
    with hospital_context(CODE):
        patient = PatientFactory(given_name="Karim", family_name="Uddin", user_id=staff.patient_user.pk)
        stranger = PatientFactory(
            given_name="Other", family_name="Person", user_id=staff.other_patient_user.pk
        )
        appointment = Appointment.objects.create(
            patient=patient,
            practitioner_user_id=staff.doctor.pk,
            starts_at=now + datetime.timedelta(minutes=5),
            ends_at=now + datetime.timedelta(minutes=20),
            reason="Follow-up",
        )
    return SimpleNamespace(patient=patient, stranger=stranger, appointment=appointment)


@pytest.fixture
def in_hospital(hospital):
    with hospital_context(CODE) as tenant:
        yield tenant
