"""Encounter class, the problem list as Conditions of category problem-list-item beside encounter
diagnoses, allergy type and criticality, and "no known allergies" as an AllergyIntolerance coded
SNOMED CT 716186003 (issue 14). Every answer is validated as FHIR R4 by the test client."""

import datetime

import pytest
from django.utils import timezone

from hms.encounters.tests.factories import (
    AllergyFactory,
    EncounterFactory,
    NoKnownAllergiesFactory,
    ProblemListItemFactory,
)
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
BASE = "/fhir/RGH001"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"


def _ids(bundle):
    return sorted(e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match")


def test_encounter_class_is_the_encounters(world):
    with hospital_context("RGH001"):
        emergency = EncounterFactory(
            patient=world.patient,
            practitioner_user_id=world.users["doctor"].pk,
            encounter_class="EMER",
            status="finished",
            ended_at=timezone.now(),
        )
    client = world.client("doctor")
    read = client.get(f"{BASE}/Encounter/{emergency.pk}").json()
    assert read["class"] == {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "code": "EMER",
        "display": "emergency",
    }
    assert client.get(f"{BASE}/Encounter/{world.encounter.pk}").json()["class"]["code"] == "AMB"


@pytest.fixture
def problems(world):
    with hospital_context("RGH001"):
        active = ProblemListItemFactory(
            patient=world.patient, diagnosis=world.diagnosis, recorded_by_id=world.users["doctor"].pk
        )
        resolved = ProblemListItemFactory(
            patient=world.patient,
            code="J45.9",
            description="Asthma, unspecified",
            onset_date=datetime.date(2001, 3, 1),
            status="resolved",
            resolved_date=datetime.date(2015, 6, 1),
        )
    return active, resolved


def test_the_problem_list_and_encounter_diagnoses_are_conditions_told_apart_by_category(world, problems):
    active, resolved = problems
    client = world.client("doctor")
    patient = str(world.patient.pk)
    everything = client.get(f"{BASE}/Condition", {"patient": patient}).json()
    assert _ids(everything) == sorted(
        [str(world.diagnosis.pk), f"problem-{active.pk}", f"problem-{resolved.pk}"]
    )
    listed = client.get(f"{BASE}/Condition", {"patient": patient, "category": "problem-list-item"}).json()
    assert _ids(listed) == sorted([f"problem-{active.pk}", f"problem-{resolved.pk}"])
    with_system = {"patient": patient, "category": f"{CATEGORY}|encounter-diagnosis"}
    assert _ids(client.get(f"{BASE}/Condition", with_system).json()) == [str(world.diagnosis.pk)]
    both = {"patient": patient, "category": "problem-list-item,encounter-diagnosis"}
    assert len(_ids(client.get(f"{BASE}/Condition", both).json())) == 3
    assert client.get(f"{BASE}/Condition", {"category": "health-concerns"}).status_code == 400
    by_status = client.get(f"{BASE}/Condition", {"patient": patient, "clinical-status": "resolved"}).json()
    assert _ids(by_status) == [f"problem-{resolved.pk}"]
    by_code = client.get(f"{BASE}/Condition", {"patient": patient, "code": "J45.9"}).json()
    assert _ids(by_code) == [f"problem-{resolved.pk}"]
    condition = client.get(f"{BASE}/Condition/problem-{resolved.pk}").json()
    assert condition["category"][0]["coding"][0]["code"] == "problem-list-item"
    assert condition["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert (condition["onsetDateTime"], condition["abatementDateTime"]) == ("2001-03-01", "2015-06-01")
    assert condition["code"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10",
        "code": "J45.9",
        "display": "Asthma, unspecified",
    }
    from_diagnosis = client.get(f"{BASE}/Condition/problem-{active.pk}").json()
    assert from_diagnosis["evidence"] == [{"detail": [{"reference": f"Condition/{world.diagnosis.pk}"}]}]
    diagnosis = client.get(f"{BASE}/Condition/{world.diagnosis.pk}").json()
    assert diagnosis["category"][0]["coding"][0]["code"] == "encounter-diagnosis"
    assert client.get(f"{BASE}/Condition/problem-99999").status_code == 404


def test_problems_are_scoped_as_diagnoses(world, problems):
    active, _ = problems
    assert world.client("doctor2").get(f"{BASE}/Condition/problem-{active.pk}").status_code == 404
    assert world.client("receptionist").get(f"{BASE}/Condition/problem-{active.pk}").status_code == 403
    mine = world.client("patient").get(f"{BASE}/Condition", {"category": "problem-list-item"}).json()
    assert len(_ids(mine)) == 2


def test_allergy_type_criticality_and_no_known_allergies(world):
    with hospital_context("RGH001"):
        intolerance = AllergyFactory(
            patient=world.patient, substance="Codeine", type="intolerance", criticality="low", severity="mild"
        )
        old = NoKnownAllergiesFactory(
            patient=world.patient, superseded_at=timezone.now(), recorded_by_id=world.users["doctor"].pk
        )
        current = NoKnownAllergiesFactory(patient=world.stranger)
    client = world.client("doctor")
    read = client.get(f"{BASE}/AllergyIntolerance/{intolerance.pk}").json()
    assert (read["type"], read["criticality"]) == ("intolerance", "low")
    penicillin = client.get(f"{BASE}/AllergyIntolerance/{world.allergy.pk}").json()
    assert (penicillin["type"], penicillin["criticality"]) == ("allergy", "high")
    statement = client.get(f"{BASE}/AllergyIntolerance/nka-{old.pk}").json()
    assert statement["code"]["coding"] == [
        {"system": "http://snomed.info/sct", "code": "716186003", "display": "No known allergy (situation)"}
    ]
    assert statement["clinicalStatus"]["coding"][0]["code"] == "inactive"  # an allergy superseded it
    patient = str(world.patient.pk)
    active = client.get(
        f"{BASE}/AllergyIntolerance", {"patient": patient, "clinical-status": "active"}
    ).json()
    assert _ids(active) == sorted([str(world.allergy.pk), str(intolerance.pk)])
    everything = client.get(f"{BASE}/AllergyIntolerance", {"patient": patient}).json()
    assert f"nka-{old.pk}" in _ids(everything)
    nurse = world.client("nurse").get(f"{BASE}/AllergyIntolerance/nka-{current.pk}").json()
    assert nurse["clinicalStatus"]["coding"][0]["code"] == "active"
    assert world.client("doctor").get(f"{BASE}/AllergyIntolerance/nka-{current.pk}").status_code == 404
