"""Billing fixtures: a hospital in Dhaka, its people, a patient with an encounter, a price list."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from hms.accounts.models import Role, User
from hms.billing.models import PriceListItem
from hms.encounters.models import Encounter
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context

CODE = "DMC001"


@dataclass
class People:
    admin: User
    receptionist: User
    doctor: User
    nurse: User
    patient_user: User
    other_patient_user: User


@dataclass
class Clinic:
    patient: Patient
    other_patient: Patient
    encounter: Encounter
    other_encounter: Encounter


@pytest.fixture
def dmc(make_hospital):
    return make_hospital(CODE, name="Downtown Medical Center", time_zone="Asia/Dhaka")


@pytest.fixture
def people(dmc, make_user) -> People:
    return People(
        admin=make_user("dmc_admin", role=Role.ADMIN, hospital=dmc),
        receptionist=make_user("desk", role=Role.RECEPTIONIST, hospital=dmc),
        doctor=make_user("dr_a", role=Role.DOCTOR, hospital=dmc),
        nurse=make_user("nurse", role=Role.NURSE, hospital=dmc),
        patient_user=make_user("pat", role=Role.PATIENT, hospital=dmc),
        other_patient_user=make_user("pat2", role=Role.PATIENT, hospital=dmc),
    )


@pytest.fixture
def clinic(people) -> Clinic:
    with hospital_context(CODE):
        patient = PatientFactory(given_name="Amina", family_name="Rahman", mrn="000000018")
        other = PatientFactory(given_name="Boris", family_name="Other")
        patient.user_id = people.patient_user.pk
        patient.save()
        other.user_id = people.other_patient_user.pk
        other.save()
        now = timezone.now()
        encounter = Encounter.objects.create(
            patient=patient, practitioner_user_id=people.doctor.pk, started_at=now
        )
        other_encounter = Encounter.objects.create(
            patient=other, practitioner_user_id=people.doctor.pk, started_at=now
        )
    return Clinic(patient=patient, other_patient=other, encounter=encounter, other_encounter=other_encounter)


def finished_encounter(patient, doctor) -> Encounter:
    """Another (finished) visit of `patient` to `doctor`: only one may be in progress at a time."""
    now = timezone.now()
    return Encounter.objects.create(
        patient=patient, practitioner_user_id=doctor.pk, started_at=now, ended_at=now, status="finished"
    )


@pytest.fixture
def prices(dmc) -> dict[str, PriceListItem]:
    with hospital_context(CODE):
        items = [
            PriceListItem(
                code="CONS", name="Consultation", category="consultation", unit_price=Decimal("50.00")
            ),
            PriceListItem(code="CBC", name="Full blood count", category="lab", unit_price=Decimal("12.35")),
            PriceListItem(
                code="PARA", name="Paracetamol 500 mg", category="drug", unit_price=Decimal("0.15")
            ),
            PriceListItem(code="BED", name="Ward bed, a day", category="bed", unit_price=Decimal("80.00")),
            PriceListItem(code="FREE", name="Leaflet", category="other", unit_price=Decimal("0.00")),
        ]
        for item in items:
            item.save()
    return {item.code: item for item in items}
