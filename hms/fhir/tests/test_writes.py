"""Creates and updates go through the pages' services: the same rules, refusals and audit rows."""

import datetime

from django.utils import timezone

from hms.audit.models import AuditEvent
from hms.patients.models import Patient
from hms.scheduling.models import Appointment
from hms.tenancy.context import hospital_context

BASE = "/fhir/RGH001"


def _patient_body(**changes):
    body = {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": "Khatun", "given": ["Rahima"]}],
        "gender": "female",
        "birthDate": "1985-07-14",
        "telecom": [{"system": "phone", "value": "+880 1711 000000"}],
        "identifier": [{"system": "urn:hms:RGH001:national-id", "value": "NID-42"}],
    }
    body.update(changes)
    return body


def _appointment_body(world, start, minutes=15, **changes):
    body = {
        "resourceType": "Appointment",
        "status": "booked",
        "start": start.isoformat(),
        "end": (start + datetime.timedelta(minutes=minutes)).isoformat(),
        "description": "Check-up",
        "participant": [
            {"actor": {"reference": f"Patient/{world.stranger.pk}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{world.users['doctor'].pk}"}, "status": "accepted"},
        ],
    }
    body.update(changes)
    return body


def _tomorrow(hour=10):
    day = timezone.now().date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


def test_patient_create_registers_through_the_service_and_answers_201(world):
    client = world.client("receptionist")
    response = client.post_fhir(f"{BASE}/Patient", _patient_body())
    assert response.status_code == 201, response.content
    created = response.json()
    assert response["Location"].endswith(f"/fhir/RGH001/Patient/{created['id']}")
    systems = {i["system"]: i["value"] for i in created["identifier"]}
    assert systems["urn:hms:RGH001:national-id"] == "NID-42"
    with hospital_context("RGH001"):
        patient = Patient.objects.get(pk=created["id"])
        assert systems["urn:hms:RGH001:mrn"] == patient.mrn
        assert AuditEvent.objects.filter(action="patient.create", patient_id=patient.pk).exists()


def test_conditional_create_finds_the_patient_or_refuses_many(world):
    client = world.client("receptionist")
    existing = client.post_fhir(
        f"{BASE}/Patient",
        _patient_body(),
        HTTP_IF_NONE_EXIST=f"identifier=urn:hms:RGH001:mrn|{world.patient.mrn}",
    )
    assert existing.status_code == 200 and existing.json()["id"] == str(world.patient.pk)
    made = client.post_fhir(f"{BASE}/Patient", _patient_body(), HTTP_IF_NONE_EXIST="identifier=NID-42")
    assert made.status_code == 201
    again = client.post_fhir(f"{BASE}/Patient", _patient_body(), HTTP_IF_NONE_EXIST="identifier=NID-42")
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    many = client.post_fhir(f"{BASE}/Patient", _patient_body(), HTTP_IF_NONE_EXIST="name=a,b")
    assert many.status_code == 412
    assert many.json()["issue"][0]["code"] == "multiple-matches"


def test_patient_create_refusals(world):
    client = world.client("receptionist")
    assert client.post_fhir(f"{BASE}/Patient", {"resourceType": "Patient"}).status_code == 400
    assert client.post_fhir(f"{BASE}/Patient", _patient_body(gender="robot")).status_code == 400
    foreign = _patient_body(identifier=[{"system": "urn:hms:OTH001:mrn", "value": "1"}])
    assert client.post_fhir(f"{BASE}/Patient", foreign).status_code == 400
    assert client.post(f"{BASE}/Patient", "not json", content_type="application/fhir+json").status_code == 400
    assert client.post(f"{BASE}/Patient", "<Patient/>", content_type="application/xml").status_code == 415
    assert client.post_fhir(f"{BASE}/Patient", _patient_body()).status_code == 201
    duplicate = client.post_fhir(f"{BASE}/Patient", _patient_body(identifier=[]))
    assert duplicate.status_code == 409  # the same name and birth date: a possible duplicate
    assert world.client("nurse").post_fhir(f"{BASE}/Patient", _patient_body()).status_code == 403
    assert world.client("patient").post_fhir(f"{BASE}/Patient", _patient_body()).status_code == 403


def test_patient_update_changes_demographics_through_the_service(world):
    client = world.client("receptionist")
    body = client.get(f"{BASE}/Patient/{world.patient.pk}").json()
    body["telecom"] = [{"system": "phone", "value": "+44 20 7946 0000"}]
    response = client.put_fhir(f"{BASE}/Patient/{world.patient.pk}", body)
    assert response.status_code == 200, response.content
    assert response.json()["telecom"] == [{"system": "phone", "value": "+44 20 7946 0000"}]
    with hospital_context("RGH001"):
        event = AuditEvent.objects.get(action="patient.update")
        # PUT replaces the resource: the email address it no longer carries is removed too.
        assert event.detail["fields"] == ["email", "phone"]
    body["id"] = "999999"
    assert client.put_fhir(f"{BASE}/Patient/{world.patient.pk}", body).status_code == 400
    assert client.put_fhir(f"{BASE}/Patient/999999", body).status_code == 404
    body["id"] = str(world.patient.pk)
    body["identifier"] = [{"system": "urn:hms:RGH001:mrn", "value": "000000000"}]
    assert client.put_fhir(f"{BASE}/Patient/{world.patient.pk}", body).status_code == 422


def test_appointment_create_and_the_double_booking_rule(world):
    client = world.client("receptionist")
    start = _tomorrow()
    booked = client.post_fhir(f"{BASE}/Appointment", _appointment_body(world, start))
    assert booked.status_code == 201, booked.content
    assert booked.json()["status"] == "booked" and booked.json()["minutesDuration"] == 15
    clash = _appointment_body(world, start + datetime.timedelta(minutes=5))
    clash["participant"][0]["actor"]["reference"] = f"Patient/{world.patient.pk}"
    refused = client.post_fhir(f"{BASE}/Appointment", clash)
    assert refused.status_code == 409
    assert "already has an appointment" in refused.json()["issue"][0]["diagnostics"]
    with hospital_context("RGH001"):
        assert Appointment.objects.filter(starts_at__gte=start).count() == 1
    past = client.post_fhir(
        f"{BASE}/Appointment", _appointment_body(world, start - datetime.timedelta(days=3))
    )
    assert past.status_code == 422
    not_a_doctor = _appointment_body(world, _tomorrow(14))
    not_a_doctor["participant"][1]["actor"]["reference"] = f"Practitioner/{world.users['nurse'].pk}"
    assert client.post_fhir(f"{BASE}/Appointment", not_a_doctor).status_code == 422
    nobody = _appointment_body(world, _tomorrow(15))
    nobody["participant"][0]["actor"]["reference"] = "Patient/999999"
    assert client.post_fhir(f"{BASE}/Appointment", nobody).status_code == 404
    assert client.post_fhir(f"{BASE}/Appointment", {"resourceType": "Appointment"}).status_code == 400


def test_appointment_update_cancels_and_reschedules(world):
    client = world.client("receptionist")
    created = client.post_fhir(f"{BASE}/Appointment", _appointment_body(world, _tomorrow())).json()
    eleven = _tomorrow(11)
    moved = dict(created, start=eleven.isoformat(), end=(eleven + datetime.timedelta(minutes=15)).isoformat())
    response = client.put_fhir(f"{BASE}/Appointment/{created['id']}", moved)
    assert response.status_code == 200, response.content
    assert response.json()["start"].startswith(eleven.strftime("%Y-%m-%dT11:00"))
    cancel = dict(response.json(), status="cancelled")
    assert client.put_fhir(f"{BASE}/Appointment/{created['id']}", cancel).status_code == 422  # needs a reason
    cancel["cancelationReason"] = {"text": "Patient called"}
    cancelled = client.put_fhir(f"{BASE}/Appointment/{created['id']}", cancel)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    with hospital_context("RGH001"):
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"appointment.book", "appointment.reschedule"} <= actions


JUNK = [
    [],
    {"resourceType": "Patient", "name": "Rahima"},
    {"resourceType": "Patient", "name": [{"family": 1, "given": "R"}], "birthDate": "1985-07-14"},
    {"resourceType": "Patient", "name": [{"family": "K", "given": [None]}], "birthDate": 19850714},
    {"resourceType": "Patient", "name": [{"family": "K", "given": ["R"]}], "birthDate": "1985-13-40"},
    {
        "resourceType": "Patient",
        "name": [{"family": "K", "given": ["R"]}],
        "birthDate": "1985-07-14",
        "gender": [],
    },
    {
        "resourceType": "Patient",
        "name": [{"family": "K", "given": ["R"]}],
        "birthDate": "1985-07-14",
        "telecom": "x",
    },
    {
        "resourceType": "Patient",
        "name": [{"family": "K", "given": ["R"]}],
        "birthDate": "1985-07-14",
        "identifier": [1],
    },
    {
        "resourceType": "Patient",
        "name": [{"family": "K", "given": ["R"]}],
        "birthDate": "1985-07-14",
        "address": [{"line": "x", "text": 5}],
    },
    {"resourceType": "Appointment", "participant": "x"},
    {"resourceType": "Appointment", "participant": [{"actor": "Patient/1"}], "start": 5},
    {"resourceType": "Appointment", "participant": [{"actor": {"reference": "Location/1"}}]},
    {
        "resourceType": "Appointment",
        "participant": [{"actor": {"reference": "Patient/x"}}, {"actor": {"reference": "Practitioner/1"}}],
        "start": "2030-01-01T10:00:00Z",
        "minutesDuration": 1.5,
    },
    {"resourceType": "Appointment", "status": ["booked"]},
]


def test_junk_bodies_answer_4xx_never_500(world):
    client = world.client("receptionist")
    for body in JUNK:
        kind = body.get("resourceType", "Patient") if isinstance(body, dict) else "Patient"
        created = client.post_fhir(f"{BASE}/{kind}", body)
        assert 400 <= created.status_code < 500, (body, created.content)
        target = world.patient.pk if kind == "Patient" else world.appointment.pk
        replaced = client.put_fhir(
            f"{BASE}/{kind}/{target}", dict(body, id=str(target)) if isinstance(body, dict) else body
        )
        assert 400 <= replaced.status_code < 500, (body, replaced.content)
