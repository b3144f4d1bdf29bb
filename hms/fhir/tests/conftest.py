"""FHIR test helpers: a hospital with people and records, a client holding each user's bearer
token, and `fhir_valid(body)`: the body parsed strictly by fhir.resources' R4B models."""

import datetime
import importlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from hms.accounts.models import Role
from hms.encounters.tests.factories import (
    AllergyFactory,
    DiagnosisFactory,
    EncounterFactory,
    ObservationFactory,
)
from hms.encounters.vitals import BMI, SYSTOLIC
from hms.orders.models import LabOrder
from hms.orders.tests.factories import LabResultFactory, PrescriptionFactory
from hms.patients.tests.factories import PatientFactory, PatientIdentifierFactory
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.context import hospital_context

FHIR_TYPES = "application/fhir+json"


def fhir_valid(body: dict[str, Any]) -> Any:
    """The body as fhir.resources' strict R4B model of its type (a Bundle checks its entries too)."""
    name = body["resourceType"]
    module = importlib.import_module(f"fhir.resources.R4B.{name.lower()}")
    return getattr(module, name).model_validate(body, strict=True)


class FhirClient(Client):
    """A test client that sends a bearer token and FHIR JSON, and validates every FHIR answer."""

    def __init__(self, token: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token = token

    def request(self, **request: Any) -> Any:
        if self.token:
            request.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        response = super().request(**request)
        if response.get("Content-Type", "").startswith(FHIR_TYPES):
            fhir_valid(response.json())
        return response

    def post_fhir(self, path: str, body: dict[str, Any], **extra: Any) -> Any:
        return self.post(path, body, content_type=FHIR_TYPES, **extra)

    def put_fhir(self, path: str, body: dict[str, Any], **extra: Any) -> Any:
        return self.put(path, body, content_type=FHIR_TYPES, **extra)


def token_of(user: Any) -> str:
    _instance, token = AuthToken.objects.create(user=user)
    return token


@dataclass
class World:
    hospital: Any
    other_hospital: Any
    users: dict[str, Any]
    patient: Any  # in the doctor's care (an encounter), linked to the patient account
    stranger: Any  # in nobody's care
    other_patient: Any  # of the other hospital
    encounter: Any
    vital: Any
    bmi: Any
    lab: Any
    diagnosis: Any
    allergy: Any
    prescription: Any
    appointment: Any

    def client(self, name: str | None) -> FhirClient:
        return FhirClient(token_of(self.users[name]) if name else None)


@pytest.fixture
def world(make_hospital, make_user) -> World:
    hospital = make_hospital("RGH001", name="Riverside General")
    other = make_hospital("OTH001", name="Other Hospital")
    users = {
        "doctor": make_user("doc", Role.DOCTOR, hospital),
        "doctor2": make_user("doc2", Role.DOCTOR, hospital),
        "nurse": make_user("nurse", Role.NURSE, hospital),
        "receptionist": make_user("desk", Role.RECEPTIONIST, hospital),
        "admin": make_user("admin", Role.ADMIN, hospital),
        "patient": make_user("pat", Role.PATIENT, hospital),
        "other_doctor": make_user("odoc", Role.DOCTOR, other),
    }
    users["doctor"].first_name, users["doctor"].last_name = "Karim", "Ahmed"
    users["doctor"].save()
    doctor = users["doctor"]
    with hospital_context("RGH001"):
        patient = PatientFactory(
            given_name="Amina", family_name="Okafor", birth_date=datetime.date(1990, 4, 2), sex="female"
        )
        patient.user_id = users["patient"].pk
        patient.save()
        PatientIdentifierFactory(patient=patient, value="INS-777")
        stranger = PatientFactory(given_name="Bashir", family_name="Rahman", sex="male")
        encounter = EncounterFactory(patient=patient, practitioner_user_id=doctor.pk)
        vital = ObservationFactory(encounter=encounter)
        ObservationFactory(
            encounter=encounter, loinc_code=SYSTOLIC, value=Decimal("150"), unit="mm[Hg]", abnormal_flag="H"
        )
        bmi = ObservationFactory(encounter=encounter, loinc_code=BMI, value=Decimal("22.5"), unit="kg/m2")
        bmi.derived_from.add(vital)
        lab = LabResultFactory(
            order__encounter=encounter,
            verified_by_id=doctor.pk + 1000,
            verified_at=timezone.now(),
            order__status=LabOrder.Status.VERIFIED,
            reference_low=Decimal("12"),
            reference_high=Decimal("16"),
        )
        diagnosis = DiagnosisFactory(encounter=encounter, recorded_by_id=doctor.pk)
        allergy = AllergyFactory(patient=patient, substance="Penicillin", recorded_by_id=doctor.pk)
        prescription = PrescriptionFactory(encounter=encounter)
        appointment = AppointmentFactory(patient=patient, practitioner_user_id=doctor.pk)
    with hospital_context("OTH001"):
        other_patient = PatientFactory(given_name="Amina", family_name="Other")
    return World(
        hospital,
        other,
        users,
        patient,
        stranger,
        other_patient,
        encounter,
        vital,
        bmi,
        lab,
        diagnosis,
        allergy,
        prescription,
        appointment,
    )
