"""Encounter class, allergy type and criticality, "no known allergies" and the problem list through the
API: the services' rules, as on the pages (issue 14)."""

import pytest

from hms.api.tests.clinic import problem, url

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_an_encounter_is_started_with_its_class(clinic):
    start = url(f"patients/{clinic.in_care.pk}/encounters")
    doctor = clinic.api("doctor")
    assert (
        "encounter_class"
        in problem(doctor.post(start, {"encounter_class": "ICU"}, content_type=JSON), 400)["errors"]
    )
    made = doctor.post(start, {"encounter_class": "EMER", "reason": "Chest pain"}, content_type=JSON)
    assert made.status_code == 201, made.content
    assert made.json()["encounter_class"] == "EMER"
    listed = doctor.get(start).json()["results"]
    assert [e["encounter_class"] for e in listed] == ["EMER"]


def test_a_walk_in_is_outpatient_unless_said(clinic):
    made = clinic.api("doctor").post(url(f"patients/{clinic.in_care.pk}/encounters"), {}, content_type=JSON)
    assert made.json()["encounter_class"] == "AMB"


def test_no_known_allergies_is_stated_then_superseded_by_an_allergy(clinic):
    nurse = clinic.api("nurse")
    status = url(f"patients/{clinic.stranger.pk}/no-known-allergies")
    before = nurse.get(status).json()
    assert before == {"summary": "Allergies not recorded", "no_known_allergies": None}
    stated = nurse.post(status, content_type=JSON)
    assert stated.status_code == 201, stated.content
    assert stated.json()["summary"] == "No known allergies"
    assert stated.json()["no_known_allergies"]["recorded_by"]
    body = {
        "substance": "Codeine",
        "category": "medication",
        "severity": "mild",
        "type": "intolerance",
        "criticality": "low",
    }
    made = nurse.post(url(f"patients/{clinic.stranger.pk}/allergies"), body, content_type=JSON)
    assert made.status_code == 201, made.content
    assert (made.json()["type"], made.json()["criticality"]) == ("intolerance", "low")
    assert nurse.get(status).json() == {"summary": "", "no_known_allergies": None}
    refused = problem(nurse.post(status, content_type=JSON), 400)
    assert "Codeine" in refused["detail"]
    problem(clinic.api("reception").post(status, content_type=JSON), 403)
    problem(clinic.api("doctor").get(status), 404)  # not in the doctor's care


def test_an_allergy_without_type_or_criticality_is_an_allergy_not_assessed(clinic):
    body = {"substance": "Latex", "category": "environment", "severity": "severe"}
    made = clinic.api("nurse").post(url(f"patients/{clinic.stranger.pk}/allergies"), body, content_type=JSON)
    assert (made.json()["type"], made.json()["criticality"]) == ("allergy", "unable-to-assess")
    bad = clinic.api("nurse").post(
        url(f"patients/{clinic.stranger.pk}/allergies"), {**body, "criticality": "huge"}, content_type=JSON
    )
    assert "criticality" in problem(bad, 400)["errors"]


def test_the_problem_list(clinic):
    doctor = clinic.api("doctor")
    problems = url(f"patients/{clinic.in_care.pk}/problems")
    assert doctor.get(problems).json() == []
    made = doctor.post(problems, {"code": "I10", "onset_date": "2020-01-15"}, content_type=JSON)
    assert made.status_code == 201, made.content
    row = made.json()
    assert (row["code"], row["status"], row["onset_date"], row["diagnosis"]) == (
        "I10",
        "active",
        "2020-01-15",
        None,
    )
    assert row["code_system"] in ("icd10-who", "icd10-cm") and row["code_system_version"]
    assert (
        "already on the problem list"
        in problem(doctor.post(problems, {"code": "I10"}, content_type=JSON), 400)["detail"]
    )
    assert "code" in problem(doctor.post(problems, {"code": "I1"}, content_type=JSON), 400)["errors"]
    problem(doctor.post(problems, {}, content_type=JSON), 400)  # a code or a diagnosis
    future = problem(
        doctor.post(problems, {"code": "E78.5", "onset_date": "2999-01-01"}, content_type=JSON), 400
    )
    assert "future" in future["detail"]
    status = url(f"problems/{row['id']}/status")
    early = problem(
        doctor.post(status, {"status": "resolved", "resolved_date": "2019-01-01"}, content_type=JSON), 400
    )
    assert "before its onset" in early["detail"]
    resolved = doctor.post(status, {"status": "resolved", "resolved_date": "2024-03-01"}, content_type=JSON)
    assert resolved.status_code == 200, resolved.content
    assert (resolved.json()["status"], resolved.json()["resolved_date"]) == ("resolved", "2024-03-01")
    again = doctor.post(problems, {"code": "I10"}, content_type=JSON)  # a recurrence: a new problem
    assert again.status_code == 201
    problem(doctor.post(status, {"status": "active"}, content_type=JSON), 400)  # I10 is on the list again
    voided = doctor.post(
        url(f"problems/{again.json()['id']}/void"), {"reason": "Wrong patient"}, content_type=JSON
    )
    assert voided.status_code == 200 and voided.json()["voided"] is True
    assert [(p["code"], p["status"]) for p in doctor.get(problems).json()] == [("I10", "resolved")]
    problem(clinic.api("nurse").post(status, {"status": "active"}, content_type=JSON), 403)
    assert len(clinic.api("nurse").get(problems).json()) == 1
    problem(clinic.api("doctor2").get(problems), 404)


def test_a_problem_from_an_encounter_diagnosis(clinic):
    doctor = clinic.api("doctor")
    encounter = doctor.post(url(f"patients/{clinic.in_care.pk}/encounters"), {}, content_type=JSON).json()
    diagnosis = doctor.post(
        url(f"encounters/{encounter['id']}/diagnoses"), {"icd10_code": "I10"}, content_type=JSON
    ).json()
    made = doctor.post(
        url(f"patients/{clinic.in_care.pk}/problems"), {"diagnosis": diagnosis["id"]}, content_type=JSON
    )
    assert made.status_code == 201, made.content
    row = made.json()
    assert (row["code"], row["diagnosis"], row["encounter"]) == ("I10", diagnosis["id"], encounter["id"])
    assert row["onset_date"] == encounter["started_at"][:10]  # the day of the encounter (UTC here)
    twice = clinic.api("doctor").post(
        url(f"patients/{clinic.in_care.pk}/problems"), {"diagnosis": diagnosis["id"]}, content_type=JSON
    )
    assert "already on the problem list" in problem(twice, 400)["detail"]
