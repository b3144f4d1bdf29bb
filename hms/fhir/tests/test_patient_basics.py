"""FHIR Patient and the record basics of issue 14: a future birthDate refused, an estimated
birthDate marked, single-name patients, sex for clinical use, deceasedDateTime."""

import datetime

from django.utils import timezone

from hms.fhir.mappers import BIRTH_DATE_ESTIMATED, SEX_FOR_CLINICAL_USE, SEX_FOR_CLINICAL_USE_CODES
from hms.patients.models import Patient
from hms.tenancy.context import hospital_context

BASE = "/fhir/RGH001"
SEX_EXTENSION = {
    "url": SEX_FOR_CLINICAL_USE,
    "extension": [
        {
            "url": "value",
            "valueCodeableConcept": {
                "coding": [{"system": SEX_FOR_CLINICAL_USE_CODES, "code": "male-typical"}]
            },
        }
    ],
}


def _body(**changes):
    body = {
        "resourceType": "Patient",
        "name": [{"use": "official", "given": ["Aung"]}],
        "gender": "other",
        "birthDate": "1985-07-14",
    }
    body.update(changes)
    return body


def test_a_future_birth_date_is_refused_and_nothing_registered(world):
    tomorrow = (timezone.now().date() + datetime.timedelta(days=2)).isoformat()
    response = world.client("receptionist").post_fhir(f"{BASE}/Patient", _body(birthDate=tomorrow))
    assert response.status_code in (400, 422)
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "in the future" in str(outcome)
    with hospital_context("RGH001"):
        assert not Patient.objects.filter(given_name="Aung").exists()


def test_a_single_name_estimated_birth_date_and_sex_for_clinical_use_go_in_and_come_back(world):
    client = world.client("receptionist")
    body = _body(_birthDate={"extension": [{"url": BIRTH_DATE_ESTIMATED, "valueBoolean": True}]})
    body["extension"] = [SEX_EXTENSION]
    response = client.post_fhir(f"{BASE}/Patient", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["name"] == [{"use": "official", "text": "Aung", "given": ["Aung"]}]
    assert created["birthDate"] == "1985-07-14"
    assert created["_birthDate"] == {"extension": [{"url": BIRTH_DATE_ESTIMATED, "valueBoolean": True}]}
    assert created["extension"][0]["url"] == SEX_FOR_CLINICAL_USE
    assert "male-typical" in str(created["extension"])
    with hospital_context("RGH001"):
        stored = Patient.objects.get(pk=created["id"])
    assert (stored.given_name, stored.family_name) == ("Aung", "")
    assert (stored.birth_date_estimated, stored.sex_for_clinical_use) == (True, "male")
    found = client.get(f"{BASE}/Patient", {"name": "aung"}).json()
    assert [entry["resource"]["id"] for entry in found.get("entry", [])] == [created["id"]]


def test_a_patient_without_any_name_is_refused(world):
    response = world.client("receptionist").post_fhir(
        f"{BASE}/Patient", _body(name=[{"use": "official", "family": "", "given": []}])
    )
    assert response.status_code in (400, 422)


def test_a_deceased_patient_has_deceased_date_time_and_the_living_none(world):
    client = world.client("doctor")
    assert "deceasedDateTime" not in client.get(f"{BASE}/Patient/{world.patient.pk}").json()
    died = datetime.datetime(2026, 1, 3, 4, 30, tzinfo=datetime.UTC)
    with hospital_context("RGH001"):
        Patient.objects.filter(pk=world.patient.pk).update(
            deceased_at=died, deceased_recorded_by=world.users["doctor"].pk
        )
    resource = client.get(f"{BASE}/Patient/{world.patient.pk}").json()
    assert datetime.datetime.fromisoformat(resource["deceasedDateTime"]) == died
