"""A patient's death through the API: recorded by a doctor or the administrator (confirming it),
taken back by the administrator with a reason; the record shows it; the record page's rules,
refusals and audit rows."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from hms.accounts.models import Role
from hms.api.tests.clinic import OTHER, problem, url
from hms.api.tests.conftest import ApiClient, token_for
from hms.audit.models import AuditEvent
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
JSON = "application/json"
DIED = "2025-12-30T14:05:00+00:00"


def _record(clinic, who="doctor", patient=None, **body):
    patient = patient or clinic.stranger
    given = {"deceased_at": DIED, "confirm": True, **body}
    return clinic.api(who).post(url(f"patients/{patient.pk}/death"), given, content_type=JSON)


def _undo(clinic, who="admin", patient=None, **body):
    patient = patient or clinic.stranger
    given = {"reason": "Recorded on the wrong patient", **body}
    return clinic.api(who).post(url(f"patients/{patient.pk}/death/undo"), given, content_type=JSON)


def _deceased_at(patient):
    with hospital_context("CL001"):
        return Patient.objects.get(pk=patient.pk).deceased_at


def _audited(**filters):
    with hospital_context("CL001"):
        return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("action", "patient_id"))


def test_a_doctor_records_a_death_the_record_shows_it_and_the_admin_takes_it_back(clinic):
    patient = clinic.stranger  # not in the doctor's care: recording a death is not care-scoped
    before = len(_audited())
    recorded = _record(clinic)
    assert recorded.status_code == 200, recorded.content
    body = recorded.json()
    assert datetime.datetime.fromisoformat(body["deceased_at"]) == datetime.datetime.fromisoformat(DIED)
    assert (body["id"], body["mrn"], body["family_name"]) == (patient.pk, patient.mrn, "Stranger")
    assert _deceased_at(patient) == datetime.datetime.fromisoformat(DIED)
    # One audited read of the record, one audited recording.
    assert _audited()[before:] == [("patient.view", patient.pk), ("patient.death_record", patient.pk)]
    with hospital_context("CL001"):
        event = AuditEvent.objects.get(action="patient.death_record")
        stored = Patient.objects.get(pk=patient.pk)
    assert event.actor_username == "cl-doctor" and event.detail["deceased_at"] == "2025-12-30T14:05:00+00:00"
    assert stored.deceased_recorded_by == clinic.users["doctor"].pk

    # Every representation of the patient says so.
    reception = clinic.api("reception")
    shown = reception.get(url(f"patients/{patient.pk}")).json()
    assert shown["deceased_at"] == body["deceased_at"]
    listed = reception.get(url("patients"), {"q": "stranger"}).json()["results"]
    assert [(row["id"], row["deceased_at"]) for row in listed] == [(patient.pk, body["deceased_at"])]

    undone = _undo(clinic)
    assert undone.status_code == 200, undone.content
    assert undone.json()["deceased_at"] is None and _deceased_at(patient) is None
    assert reception.get(url(f"patients/{patient.pk}")).json()["deceased_at"] is None
    with hospital_context("CL001"):
        event = AuditEvent.objects.get(action="patient.death_undo")
    assert (event.actor_username, event.patient_id) == ("cl-admin", patient.pk)
    assert event.detail["reason"] == "Recorded on the wrong patient"
    assert event.detail["recorded_by"] == clinic.users["doctor"].pk
    # The administrator may record one too.
    again = _record(clinic, who="admin", deceased_at="2025-12-31T09:00:00Z")
    assert again.status_code == 200, again.content


def test_a_time_without_an_offset_is_the_hospitals_local_time(make_hospital, make_user):
    hospital = make_hospital("DT001", time_zone="Asia/Dhaka")
    make_user("dt-doctor", role=Role.DOCTOR, hospital=hospital)
    with hospital_context("DT001"):
        # born well before the time of death (a random birth date could fall after it)
        patient = PatientFactory(birth_date=datetime.date(1960, 5, 1))
    doctor = ApiClient(token_for(Client(), "dt-doctor"))
    address = f"/api/v1/hospitals/DT001/patients/{patient.pk}/death"
    response = doctor.post(address, {"deceased_at": "2025-12-30 20:15", "confirm": True}, content_type=JSON)
    assert response.status_code == 200, response.content
    assert response.json()["deceased_at"] == "2025-12-30T20:15:00+06:00"
    with hospital_context("DT001"):
        stored = Patient.objects.get(pk=patient.pk).deceased_at
    assert stored == datetime.datetime(2025, 12, 30, 14, 15, tzinfo=datetime.UTC)


@pytest.mark.parametrize("who", ["nurse", "reception", "patient"])
def test_a_role_that_may_not_record_a_death_is_refused_before_anything_is_read(clinic, who):
    patient = clinic.own if who == "patient" else clinic.stranger
    problem(_record(clinic, who=who, patient=patient), 403)
    problem(_record(clinic, who=who, patient=patient, deceased_at="not a time"), 403)
    problem(_undo(clinic, who=who, patient=patient), 403)
    assert _deceased_at(patient) is None
    username = f"cl-{who}"
    assert _audited(actor_username=username, outcome="success") == []
    denied = _audited(actor_username=username, outcome="denied")
    assert denied == [("death.create", None), ("death.create", None), ("death.void", None)]


def test_only_the_administrator_takes_a_death_back(clinic):
    assert _record(clinic).status_code == 200
    refused = problem(_undo(clinic, who="doctor"), 403)
    assert refused["detail"] == "A doctor may not void death records here."
    assert _deceased_at(clinic.stranger) is not None
    assert not _audited(action="patient.death_undo")


def test_another_hospitals_user_changes_nothing_and_learns_nothing(clinic):
    patient = clinic.stranger
    outsider = clinic.api("outsider")  # a doctor of the other hospital
    unknown = problem(outsider.post(url("patients/1/death", code="NOSUCH1"), {}, content_type=JSON), 404)
    for response in (
        outsider.post(
            url(f"patients/{patient.pk}/death"), {"deceased_at": DIED, "confirm": True}, content_type=JSON
        ),
        outsider.post(url(f"patients/{patient.pk}/death/undo"), {"reason": "x"}, content_type=JSON),
    ):
        assert problem(response, 404) == unknown
        assert b"Stranger" not in response.content
    # Its own hospital's address with this hospital's patient id: as a patient missing there.
    address = url(f"patients/{patient.pk}/death", code=OTHER)
    theirs = outsider.post(address, {"deceased_at": DIED, "confirm": True}, content_type=JSON)
    missing = outsider.post(
        url("patients/99999999/death", code=OTHER), {"deceased_at": DIED, "confirm": True}, content_type=JSON
    )
    if patient.pk != clinic.foreign.pk:
        assert problem(theirs, 404) == problem(missing, 404)
    assert _deceased_at(patient) is None
    assert _audited(actor_username="cl-outsider") == []


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"confirm": False}, "confirm", "Confirm that the patient has died"),
        ({"confirm": None}, "confirm", ""),
        ({"deceased_at": "2099-01-01T00:00:00Z"}, "deceased_at", "in the future"),
        ({"deceased_at": "1970-01-01T00:00:00Z"}, "deceased_at", "before the patient's birth date"),
        ({"deceased_at": "yesterday"}, "deceased_at", ""),
        ({"deceased_at": None}, "deceased_at", ""),
        ({"deceased_at": "2025-12-30T14:05:00\x00"}, "deceased_at", ""),
    ],
)
def test_a_death_that_does_not_read_is_a_400_and_nothing_changes(clinic, body, field, words):
    refused = problem(_record(clinic, **body), 400)
    assert field in refused["errors"]
    assert words in refused["detail"] or words in refused["errors"][field][0]
    assert _deceased_at(clinic.stranger) is None
    assert not _audited(action="patient.death_record")


def test_a_death_recorded_twice_or_undone_without_one_or_a_reason_is_a_400(clinic):
    patient = clinic.stranger
    nothing = problem(_undo(clinic), 400)
    assert nothing["detail"] == "This patient has no recorded death to take back."
    assert _record(clinic).status_code == 200
    twice = problem(_record(clinic, who="admin", deceased_at="2025-12-31T00:00:00Z"), 400)
    assert "already recorded" in twice["detail"]
    assert _deceased_at(patient) == datetime.datetime.fromisoformat(DIED)
    for reason in ("   ", "", "\x07"):
        refused = problem(_undo(clinic, reason=reason), 400)
        assert list(refused["errors"]) == ["reason"]
    problem(_undo(clinic, reason="x" * 501), 400)
    assert _deceased_at(patient) is not None
    assert not _audited(action="patient.death_undo")
    assert len(_audited(action="patient.death_record")) == 1
    missing = problem(_record(clinic, patient=Patient(pk=99999999)), 404)
    assert missing["detail"] == "No such patient here."


def test_the_fhir_patient_shows_the_death(clinic):
    assert _record(clinic).status_code == 200
    resource = clinic.api("doctor").get(f"/fhir/CL001/Patient/{clinic.stranger.pk}")
    assert resource.status_code == 200, resource.content
    died = datetime.datetime.fromisoformat(resource.json()["deceasedDateTime"])
    assert died == datetime.datetime.fromisoformat(DIED)
    assert died <= timezone.now()
