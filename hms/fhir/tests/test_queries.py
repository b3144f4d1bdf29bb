"""A search costs the same number of queries for a page of N rows as for 3N (no query per row)."""

import datetime
import itertools

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hms.encounters.tests.factories import (
    AllergyFactory,
    DiagnosisFactory,
    EncounterFactory,
    ObservationFactory,
)
from hms.orders.tests.factories import LabResultFactory, PrescriptionFactory
from hms.patients.tests.factories import NextOfKinFactory, PatientFactory, PatientIdentifierFactory
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.connections import hospital_alias
from hms.tenancy.context import hospital_context

BASE = "/fhir/RGH001"
DAYS = itertools.count()  # a day apart: the doctor is never double-booked


def _add_rows(world, n):
    doctor = world.users["doctor"].pk
    with hospital_context("RGH001"):
        for _ in range(n):
            patient = PatientFactory()
            PatientIdentifierFactory(patient=patient)
            NextOfKinFactory(patient=patient)
            encounter = EncounterFactory(patient=patient, practitioner_user_id=doctor)
            ObservationFactory(encounter=encounter)
            LabResultFactory(order__encounter=encounter)
            DiagnosisFactory(encounter=encounter, icd10_code=f"J0{n % 10}.9")
            AllergyFactory(patient=patient, recorded_by_id=doctor)
            PrescriptionFactory(encounter=encounter)
            start = timezone.now() + datetime.timedelta(days=1 + next(DAYS))
            AppointmentFactory(patient=patient, practitioner_user_id=doctor, starts_at=start)


@pytest.mark.parametrize(
    "path",
    [
        "Patient",
        "Encounter?_include=Encounter:patient",
        "Observation?_include=Observation:patient",
        "Condition",
        "AllergyIntolerance",
        "MedicationRequest",
        "Appointment",
        "DiagnosticReport?_include=DiagnosticReport:patient",
        "ServiceRequest",
    ],
)
def test_a_search_costs_the_same_queries_for_3n_rows(world, path):
    client = world.client("nurse" if not path.startswith("Appointment") else "receptionist")
    if path.startswith("Patient"):
        client = world.client("receptionist")
    counts = []
    for added in (2, 6):
        _add_rows(world, added)
        client.get(f"{BASE}/{path}")  # sign-in and per-process look-ups out of the way
        with (
            CaptureQueriesContext(connections["default"]) as shared,
            CaptureQueriesContext(connections[hospital_alias("RGH001")]) as hospital,
        ):
            response = client.get(f"{BASE}/{path}")
        assert response.status_code == 200
        counts.append((len(shared), len(hospital)))
    assert counts[0] == counts[1], counts
