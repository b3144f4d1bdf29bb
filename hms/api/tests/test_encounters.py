"""Encounters, vital signs, diagnoses, allergies and notes through the API: the pages' rules."""

import pytest

from hms.api.tests.clinic import NOW, OTHER, problem, url
from hms.audit.models import AuditEvent
from hms.care.emergency import emergency_access_start
from hms.encounters.models import Encounter
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
JSON = "application/json"
FEVER = {"values": {"8310-5": {"value": "38.4", "unit": "Cel"}, "8867-4": {"value": 88, "unit": "/min"}}}


def _start(clinic, who="doctor", patient=None, **body):
    patient = patient or clinic.in_care
    return clinic.api(who).post(url(f"patients/{patient.pk}/encounters"), body, content_type=JSON)


def test_a_doctor_starts_and_finishes_an_encounter_with_a_patient_in_care(clinic):
    started = _start(clinic, reason="Fever")
    assert started.status_code == 201, started.content
    body = started.json()
    assert body["status"] == "in_progress" and body["reason"] == "Fever"
    assert body["vitals"] == [] and body["notes"] == [] and body["allergies"] == []
    again = problem(_start(clinic), 409)
    assert "already have an encounter in progress" in again["detail"] and again["encounter_id"] == body["id"]
    listed = clinic.api("doctor").get(url(f"patients/{clinic.in_care.pk}/encounters")).json()["results"]
    assert [e["id"] for e in listed] == [body["id"]]
    finish = url(f"encounters/{body['id']}/finish")
    done = clinic.api("doctor").post(finish, content_type=JSON)
    assert done.status_code == 200 and done.json()["status"] == "finished"
    assert "already finished" in problem(clinic.api("doctor").post(finish, content_type=JSON), 400)["detail"]
    with hospital_context("CL001"):
        assert AuditEvent.objects.filter(action="encounter.start", actor_username="cl-doctor").exists()


def test_care_scope_and_roles(clinic):
    missing = problem(_start(clinic, patient=clinic.stranger.__class__(pk=99999999)), 404)
    assert problem(_start(clinic, patient=clinic.stranger), 404) == missing  # not in the doctor's care
    problem(_start(clinic, who="nurse"), 403)
    encounter = _start(clinic).json()
    for who in ("reception", "admin"):
        problem(clinic.api(who).get(url(f"encounters/{encounter['id']}")), 403)
    assert clinic.api("nurse").get(url(f"encounters/{encounter['id']}")).status_code == 200
    outside = problem(clinic.api("doctor2").get(url(f"encounters/{encounter['id']}")), 404)
    assert outside == problem(clinic.api("doctor2").get(url("encounters/99999999")), 404)
    problem(clinic.api("doctor2").get(url(f"patients/{clinic.in_care.pk}/encounters")), 404)
    problem(clinic.api("doctor2").post(url(f"encounters/{encounter['id']}/finish"), content_type=JSON), 404)


def test_vital_signs_recorded_refused_and_voided(clinic):
    encounter = _start(clinic).json()
    vitals = url(f"encounters/{encounter['id']}/vitals")
    nurse = clinic.api("nurse")
    made = nurse.post(vitals, FEVER, content_type=JSON)
    assert made.status_code == 201, made.content
    rows = {row["code"]: row for row in made.json()}
    assert rows["8310-5"]["flag"] == "H" and rows["8310-5"]["text"] == "38.4 °C"
    bad = nurse.post(vitals, {"values": {"8310-5": {"value": 60, "unit": "Cel"}}}, content_type=JSON)
    assert "8310-5" in problem(bad, 400)["errors"]
    unit = nurse.post(vitals, {"values": {"8867-4": {"value": 70, "unit": "kg"}}}, content_type=JSON)
    assert "8867-4" in problem(unit, 400)["errors"]
    assert "values" in problem(nurse.post(vitals, {"values": {}}, content_type=JSON), 400)["errors"]
    problem(clinic.api("reception").post(vitals, FEVER, content_type=JSON), 403)
    void = url(f"vitals/{rows['8867-4']['id']}/void")
    assert "reason" in problem(nurse.post(void, {}, content_type=JSON), 400)["errors"]
    voided = nurse.post(void, {"reason": "Wrong patient"}, content_type=JSON)
    assert voided.status_code == 200 and voided.json()["voided"] is True
    assert "already" in problem(nurse.post(void, {"reason": "Again"}, content_type=JSON), 400)["detail"]
    listed = clinic.api("doctor").get(vitals).json()
    assert [row["code"] for row in listed] == ["8310-5"]
    clinic.api("doctor").post(url(f"encounters/{encounter['id']}/finish"), content_type=JSON)
    problem(nurse.post(vitals, FEVER, content_type=JSON), 400)  # the encounter is over


def test_diagnoses(clinic):
    encounter = _start(clinic).json()
    diagnoses = url(f"encounters/{encounter['id']}/diagnoses")
    doctor = clinic.api("doctor")
    made = doctor.post(diagnoses, {"icd10_code": "I10", "kind": "primary"}, content_type=JSON)
    assert made.status_code == 201, made.content
    assert made.json()["icd10_code"] == "I10" and made.json()["description"]
    category = problem(doctor.post(diagnoses, {"icd10_code": "E11"}, content_type=JSON), 400)
    assert "icd10_code" in category["errors"]
    problem(doctor.post(diagnoses, {"icd10_code": "I10"}, content_type=JSON), 400)  # once per encounter
    assert (
        "kind"
        in problem(doctor.post(diagnoses, {"icd10_code": "J45.909", "kind": "x"}, content_type=JSON), 400)[
            "errors"
        ]
    )
    problem(clinic.api("nurse").post(diagnoses, {"icd10_code": "J45.909"}, content_type=JSON), 403)
    assert [d["icd10_code"] for d in clinic.api("nurse").get(diagnoses).json()] == ["I10"]


def test_allergies(clinic):
    allergies = url(f"patients/{clinic.stranger.pk}/allergies")
    nurse = clinic.api("nurse")
    body = {"substance": "Penicillin", "category": "medication", "severity": "severe", "reaction": "Hives"}
    made = nurse.post(allergies, body, content_type=JSON)
    assert made.status_code == 201, made.content
    assert made.json()["status"] == "active"
    problem(nurse.post(allergies, {**body, "substance": "penicillin"}, content_type=JSON), 400)  # twin
    assert (
        "category"
        in problem(nurse.post(allergies, {**body, "category": "x"}, content_type=JSON), 400)["errors"]
    )
    assert [a["substance"] for a in nurse.get(allergies).json()] == ["Penicillin"]
    problem(clinic.api("reception").get(allergies), 403)
    problem(clinic.api("doctor").get(allergies), 404)  # not in the doctor's care
    problem(clinic.api("patient").get(allergies), 404)  # not their own
    assert clinic.api("patient").get(url(f"patients/{clinic.own.pk}/allergies")).json() == []


def test_notes_written_signed_amended_and_what_a_patient_sees(clinic):
    problem(_start(clinic, patient=clinic.own), 404)  # the patient user's record: not in the doctor's care
    walk_in = _start(clinic).json()
    notes = url(f"encounters/{walk_in['id']}/notes")
    doctor = clinic.api("doctor")
    draft = doctor.post(notes, {"subjective": "Fever for two days", "plan": "Fluids"}, content_type=JSON)
    assert draft.status_code == 201, draft.content
    note = draft.json()
    assert note["status"] == "draft" and note["signed_at"] is None
    amend = url(f"notes/{note['id']}/amend")
    early = doctor.post(amend, {"text": "More", "reason": "Forgot"}, content_type=JSON)
    problem(early, 400)  # only a signed note is amended
    signed = doctor.post(url(f"notes/{note['id']}/sign"), content_type=JSON)
    assert signed.status_code == 200 and signed.json()["status"] == "signed"
    problem(doctor.post(url(f"notes/{note['id']}/sign"), content_type=JSON), 400)
    amended = doctor.post(amend, {"text": "Also a rash", "reason": "Seen later"}, content_type=JSON)
    assert amended.status_code == 201, amended.content
    assert [a["text"] for a in amended.json()["amendments"]] == ["Also a rash"]
    assert "reason" in problem(doctor.post(amend, {"text": "x"}, content_type=JSON), 400)["errors"]
    problem(clinic.api("nurse").post(notes, {"plan": "x"}, content_type=JSON), 403)
    problem(clinic.api("doctor2").get(url(f"notes/{note['id']}")), 404)
    assert clinic.api("nurse").get(url(f"notes/{note['id']}")).json()["plan"] == "Fluids"


def test_a_patient_reads_their_own_signed_notes_only(clinic):
    with hospital_context("CL001"):
        AppointmentFactory(patient=clinic.own, practitioner_user_id=clinic.users["doctor"].pk, starts_at=NOW)
    encounter = _start(clinic, patient=clinic.own).json()
    doctor = clinic.api("doctor")
    notes = url(f"encounters/{encounter['id']}/notes")
    draft = doctor.post(notes, {"plan": "Rest"}, content_type=JSON).json()
    patient = clinic.api("patient")
    assert patient.get(notes).json() == []
    problem(patient.get(url(f"notes/{draft['id']}")), 404)
    doctor.post(url(f"notes/{draft['id']}/sign"), content_type=JSON)
    assert [n["plan"] for n in patient.get(notes).json()] == ["Rest"]
    assert (
        patient.get(url(f"patients/{clinic.own.pk}/encounters")).json()["results"][0]["id"] == encounter["id"]
    )
    problem(patient.get(url(f"patients/{clinic.in_care.pk}/encounters")), 404)
    problem(patient.post(notes, {"plan": "x"}, content_type=JSON), 403)
    problem(patient.post(url(f"encounters/{encounter['id']}/vitals"), FEVER, content_type=JSON), 403)


def test_another_hospitals_encounter_looks_missing(clinic):
    encounter = _start(clinic).json()
    outsider = clinic.api("outsider")
    foreign = problem(outsider.get(url(f"encounters/{encounter['id']}")), 404)
    assert foreign == problem(outsider.get(url(f"encounters/{encounter['id']}", "NOSUCH1")), 404)
    problem(outsider.get(url(f"encounters/{encounter['id']}", OTHER)), 404)
    with hospital_context(OTHER):
        assert not Encounter.objects.exists()


def test_break_the_glass_opens_the_record_to_the_api_as_to_the_pages(clinic):
    encounter = _start(clinic).json()
    other = clinic.api("doctor2")
    problem(other.get(url(f"encounters/{encounter['id']}")), 404)
    with hospital_context("CL001"):
        emergency_access_start(
            acting_user=clinic.users["doctor2"], patient_id=clinic.in_care.pk, reason="emergency"
        )
    read = other.get(url(f"encounters/{encounter['id']}"))
    assert read.status_code == 200, read.content
    with hospital_context("CL001"):
        event = AuditEvent.objects.filter(action="encounter.view", actor_username="cl-doctor2").latest("id")
    assert event.detail.get("emergency_access")  # marked as emergency access, as on the pages
