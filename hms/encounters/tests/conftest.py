"""Fixtures of the encounters tests: one hospital, its people, two patients and an appointment."""

import datetime
from dataclasses import dataclass

import pytest

from hms.accounts.models import Role, User
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.models import Appointment
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.context import hospital_context

CODE = "DMC001"


@pytest.fixture
def hospital(make_hospital):
    return make_hospital(CODE, name="Downtown Medical Center", time_zone="Asia/Dhaka")


@dataclass
class Staff:
    doctor: User
    other_doctor: User
    nurse: User
    receptionist: User
    admin: User
    patient_user: User
    other_patient_user: User


@pytest.fixture
def staff(hospital, make_user):
    return Staff(
        doctor=make_user("dr_rahman", role=Role.DOCTOR, hospital=hospital),
        other_doctor=make_user("dr_other", role=Role.DOCTOR, hospital=hospital),
        nurse=make_user("nurse_amina", role=Role.NURSE, hospital=hospital),
        receptionist=make_user("desk", role=Role.RECEPTIONIST, hospital=hospital),
        admin=make_user("dmc_admin", role=Role.ADMIN, hospital=hospital),
        patient_user=make_user("karim", role=Role.PATIENT, hospital=hospital),
        other_patient_user=make_user("someone", role=Role.PATIENT, hospital=hospital),
    )


@dataclass
class Chart:
    patient: Patient  # the account staff.patient_user
    stranger: Patient  # the account staff.other_patient_user
    appointment: Appointment  # of `patient` with staff.doctor, booked, starting in five minutes


@pytest.fixture
def chart(staff):
    with hospital_context(CODE):
        patient = PatientFactory(  # an adult man: the adults' bands read his vital signs
            given_name="Karim",
            family_name="Uddin",
            user_id=staff.patient_user.pk,
            birth_date=datetime.date(1980, 4, 12),
            sex=Patient.Sex.MALE,
        )
        return Chart(
            patient=patient,
            stranger=PatientFactory(
                given_name="Other", family_name="Person", user_id=staff.other_patient_user.pk
            ),
            appointment=AppointmentFactory(patient=patient, practitioner_user_id=staff.doctor.pk),
        )


@pytest.fixture
def in_hospital(hospital):
    with hospital_context(CODE) as tenant:
        yield tenant
