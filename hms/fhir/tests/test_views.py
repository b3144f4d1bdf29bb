"""The FHIR endpoints read and search as the pages do: the matrix, care scope, break-the-glass,
audit rows, cross-hospital isolation; and answer every error as an OperationOutcome."""

import pytest

from hms.audit.models import AuditEvent
from hms.care.models import EmergencyAccess
from hms.fhir.tests.conftest import FhirClient, fhir_valid
from hms.tenancy.context import hospital_context

BASE = "/fhir/RGH001"


def _ids(bundle):
    return [
        entry["resource"]["id"] for entry in bundle.get("entry", []) if entry["search"]["mode"] == "match"
    ]


def _audit(action):
    with hospital_context("RGH001"):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_metadata_needs_no_sign_in_and_lists_what_is_served(world):
    response = FhirClient().get(f"{BASE}/metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    statement = response.json()
    assert statement["fhirVersion"] == "4.0.1"
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {
        "Patient",
        "Encounter",
        "Observation",
        "Condition",
        "AllergyIntolerance",
        "MedicationRequest",
        "Appointment",
        "Practitioner",
        "Organization",
    } <= set(served)
    patient_params = {p["name"] for p in served["Patient"]["searchParam"]}
    assert {"_id", "identifier", "name", "birthdate", "gender"} <= patient_params
    assert {"create", "update"} <= {i["code"] for i in served["Appointment"]["interaction"]}


def test_unauthenticated_and_bad_token_get_401_operation_outcome(world):
    for client in (FhirClient(), FhirClient("not-a-token")):
        response = client.get(f"{BASE}/Patient")
        assert response.status_code == 401
        assert response.json()["resourceType"] == "OperationOutcome"
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_patient_read_maps_identifiers_and_is_audited(world):
    response = world.client("receptionist").get(f"{BASE}/Patient/{world.patient.pk}")
    assert response.status_code == 200
    patient = response.json()
    assert patient["gender"] == "female" and patient["birthDate"] == "1990-04-02"
    systems = {i["system"]: i["value"] for i in patient["identifier"]}
    assert systems["urn:hms:RGH001:mrn"] == world.patient.mrn
    assert systems["urn:hms:RGH001:insurance"] == "INS-777"
    (event,) = _audit("patient.view")
    assert event.patient_id == world.patient.pk and event.actor_id == world.users["receptionist"].pk


def test_patient_search_by_name_identifier_birthdate_gender_and_audit(world):
    client = world.client("receptionist")
    assert _ids(client.get(f"{BASE}/Patient", {"name": "amin"}).json()) == [str(world.patient.pk)]
    mrn = f"urn:hms:RGH001:mrn|{world.patient.mrn}"
    assert _ids(client.get(f"{BASE}/Patient", {"identifier": mrn}).json()) == [str(world.patient.pk)]
    assert _ids(client.get(f"{BASE}/Patient", {"identifier": "INS-777"}).json()) == [str(world.patient.pk)]
    found = client.get(f"{BASE}/Patient", {"birthdate": "1990-04-02", "name": "okafor"}).json()
    assert _ids(found) == [str(world.patient.pk)]
    assert _ids(client.get(f"{BASE}/Patient", {"gender": "male", "name": "bash"}).json()) == [
        str(world.stranger.pk)
    ]
    assert _ids(client.get(f"{BASE}/Patient", {"_id": str(world.patient.pk)}).json()) == [
        str(world.patient.pk)
    ]
    searches = _audit("patient.search")
    assert len(searches) == 6
    assert searches[0].detail["ids"] == [str(world.patient.pk)]
    assert searches[0].detail["patient_ids"] == [world.patient.pk]


def test_search_pages_with_next_link_and_count(world):
    client = world.client("receptionist")
    first = client.get(f"{BASE}/Patient", {"_count": "1"}).json()
    assert first["total"] == 2 and len(_ids(first)) == 1
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "_page_token=" in links["next"]
    second = client.get(links["next"]).json()
    assert len(_ids(second)) == 1 and _ids(second) != _ids(first)
    assert "next" not in {link["relation"] for link in second["link"]}


@pytest.mark.parametrize(
    "query",
    [
        {"nonsense": "1"},
        {"name:exact": "amina"},
        {"birthdate": "yesterday"},
        {"birthdate": "sa2020"},
        {"_count": "many"},
        {"_page_token": "forged"},
        {"gender": "robot"},
        {"_include": "Patient:organization"},
    ],
)
def test_bad_search_parameters_answer_400(world, query):
    response = world.client("receptionist").get(f"{BASE}/Patient", query)
    assert response.status_code == 400
    assert response.json()["issue"][0]["severity"] == "error"


def test_encounter_search_includes_the_patient_and_audits_once(world):
    client = world.client("doctor")
    bundle = client.get(
        f"{BASE}/Encounter", {"patient": f"Patient/{world.patient.pk}", "_include": "Encounter:patient"}
    ).json()
    assert _ids(bundle) == [str(world.encounter.pk)]
    included = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert [r["id"] for r in included] == [str(world.patient.pk)]
    encounter = bundle["entry"][0]["resource"]
    assert encounter["participant"][0]["individual"]["display"] == "Dr Karim Ahmed"
    (event,) = _audit("encounter.list")
    assert event.patient_id == world.patient.pk
    dated = client.get(f"{BASE}/Encounter", {"patient": world.patient.pk, "date": "ge2000-01-01"}).json()
    assert _ids(dated) == [str(world.encounter.pk)]
    assert (
        client.get(f"{BASE}/Encounter", {"patient": world.patient.pk, "date": "lt2000"}).json()["total"] == 0
    )


def test_observations_by_category_and_code_with_loinc_and_ucum(world):
    client = world.client("nurse")
    patient = f"Patient/{world.patient.pk}"
    vitals = client.get(f"{BASE}/Observation", {"patient": patient, "category": "vital-signs"}).json()
    assert vitals["total"] == 3
    labs = client.get(f"{BASE}/Observation", {"patient": patient, "category": "laboratory"}).json()
    (lab,) = [e["resource"] for e in labs["entry"]]
    assert lab["id"] == f"lab-{world.lab.pk}" and lab["status"] == "final"
    assert lab["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "718-7",
        "display": lab["code"]["text"],
    }
    assert (
        lab["valueQuantity"]["system"] == "http://unitsofmeasure.org"
        and lab["valueQuantity"]["code"] == "g/dL"
    )
    heart = client.get(f"{BASE}/Observation", {"patient": patient, "code": "http://loinc.org|8867-4"}).json()
    assert _ids(heart) == [f"vital-{world.vital.pk}"]
    dated = client.get(
        f"{BASE}/Observation", {"patient": patient, "category": "vital-signs", "date": "ge2020-01-01"}
    ).json()
    assert dated["total"] == 3
    everything = client.get(f"{BASE}/Observation", {"patient": patient}).json()
    assert everything["total"] == 4
    bmi = client.get(f"{BASE}/Observation/vital-{world.bmi.pk}").json()
    assert bmi["derivedFrom"] == [{"reference": f"Observation/vital-{world.vital.pk}"}]


def test_condition_allergy_medication_request_appointment(world):
    client = world.client("doctor")
    patient = str(world.patient.pk)
    (condition,) = [
        e["resource"] for e in client.get(f"{BASE}/Condition", {"patient": patient}).json()["entry"]
    ]
    assert condition["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10"  # the WHO's ICD-10
    assert condition["code"]["coding"][0]["code"] == "J06.9"
    by_code = client.get(
        f"{BASE}/Condition", {"patient": patient, "code": "http://hl7.org/fhir/sid/icd-10|J06.9"}
    )
    assert by_code.json()["total"] == 1
    other_system = {"patient": patient, "code": "http://hl7.org/fhir/sid/icd-10-cm|J06.9"}
    assert client.get(f"{BASE}/Condition", other_system).json()["total"] == 0
    assert client.get(f"{BASE}/Condition", {"patient": patient, "code": "J06.9"}).json()["total"] == 1
    (allergy,) = [
        e["resource"] for e in client.get(f"{BASE}/AllergyIntolerance", {"patient": patient}).json()["entry"]
    ]
    assert allergy["code"]["text"] == "Penicillin" and allergy["criticality"] == "high"
    orders = client.get(f"{BASE}/MedicationRequest", {"patient": patient, "intent": "order"}).json()
    assert _ids(orders) == [str(world.prescription.pk)]
    appointments = client.get(f"{BASE}/Appointment", {"patient": patient, "status": "booked"}).json()
    assert _ids(appointments) == [str(world.appointment.pk)]
    by_doctor = client.get(
        f"{BASE}/Appointment", {"practitioner": f"Practitioner/{world.users['doctor'].pk}"}
    )
    assert _ids(by_doctor.json()) == [str(world.appointment.pk)]


def test_receptionist_reads_patients_and_appointments_but_not_clinical_records(world):
    client = world.client("receptionist")
    assert client.get(f"{BASE}/Appointment/{world.appointment.pk}").status_code == 200
    for path in (
        f"Observation/vital-{world.vital.pk}",
        "Observation",
        "Condition",
        f"Condition/{world.diagnosis.pk}",
    ):
        response = client.get(f"{BASE}/{path}", {"patient": world.patient.pk} if "/" not in path else {})
        assert response.status_code == 403, path
        assert response.json()["issue"][0]["code"] == "forbidden"


def test_a_patient_sees_only_their_own_record(world):
    client = world.client("patient")
    assert client.get(f"{BASE}/Patient/{world.patient.pk}").status_code == 200
    assert client.get(f"{BASE}/Patient/{world.stranger.pk}").status_code == 404
    assert _ids(client.get(f"{BASE}/Patient").json()) == [str(world.patient.pk)]
    assert client.get(f"{BASE}/Observation", {"patient": world.stranger.pk}).json()["total"] == 0
    assert client.get(f"{BASE}/Observation", {"patient": world.patient.pk}).json()["total"] == 4


def test_a_doctor_outside_care_gets_404_until_break_the_glass(world):
    client = world.client("doctor2")
    path = f"{BASE}/Encounter/{world.encounter.pk}"
    refused = client.get(path)
    missing = client.get(f"{BASE}/Encounter/999999")
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json()
    assert client.get(f"{BASE}/Encounter", {"patient": world.patient.pk}).json()["total"] == 0
    with hospital_context("RGH001"):
        from django.utils import timezone

        EmergencyAccess.objects.create(
            patient=world.patient,
            user_id=world.users["doctor2"].pk,
            username="doc2",
            reason="other",
            explanation="test",
            started_at=timezone.now(),
            expires_at=timezone.now() + timezone.timedelta(minutes=30),
        )
    assert client.get(path).status_code == 200
    (event,) = _audit("encounter.view")
    assert event.detail.get("emergency_access") is not None


def test_another_hospitals_records_answer_404_like_missing_ones(world):
    client = world.client("doctor")
    foreign = client.get(f"{BASE}/Patient/{world.other_patient.pk + 1000}")
    assert foreign.status_code == 404
    assert client.get("/fhir/OTH001/Patient").status_code == 404
    assert client.get("/fhir/OTH001/Patient").json() == client.get("/fhir/NOPE01/Patient").json()
    other = world.client("other_doctor")
    assert _ids(other.get("/fhir/OTH001/Patient", {"name": "amina"}).json()) == [str(world.other_patient.pk)]


def test_practitioner_and_organization(world):
    client = world.client("receptionist")
    doctor = client.get(f"{BASE}/Practitioner/{world.users['doctor'].pk}").json()
    assert doctor["name"][0]["family"] == "Ahmed"
    assert client.get(f"{BASE}/Practitioner/{world.users['other_doctor'].pk}").status_code == 404
    assert _ids(client.get(f"{BASE}/Practitioner", {"name": "kar"}).json()) == [str(world.users["doctor"].pk)]
    organization = client.get(f"{BASE}/Organization/rgh001").json()
    assert organization["name"] == "Riverside General"
    assert organization["identifier"] == [{"system": "urn:hms:hospital", "value": "RGH001"}]


def test_formats_methods_and_unknown_types(world):
    client = world.client("receptionist")
    assert client.get(f"{BASE}/Patient", {"_format": "json"}).status_code == 200
    assert client.get(f"{BASE}/Patient", HTTP_ACCEPT="application/json").status_code == 200
    assert client.get(f"{BASE}/Patient", {"_format": "xml"}).status_code == 406
    assert client.delete(f"{BASE}/Patient/{world.patient.pk}").status_code == 405
    assert client.get(f"{BASE}/Spaceship").status_code == 404
    assert (
        client.put_fhir(f"{BASE}/Encounter/{world.encounter.pk}", {"resourceType": "Encounter"}).status_code
        == 405
    )
    fhir_valid(client.get(f"{BASE}/Patient").json())


def test_diagnostic_reports_and_service_requests_of_lab_orders(world):
    client = world.client("doctor")
    reports = client.get(f"{BASE}/DiagnosticReport", {"patient": world.patient.pk, "category": "LAB"}).json()
    (report,) = [e["resource"] for e in reports["entry"]]
    assert report["status"] == "final" and report["result"] == [
        {"reference": f"Observation/lab-{world.lab.pk}"}
    ]
    assert report["code"]["coding"][0]["code"] == "718-7"
    requests = client.get(
        f"{BASE}/ServiceRequest", {"patient": world.patient.pk, "status": "completed"}
    ).json()
    assert _ids(requests) == [str(world.lab.order_id)]
    assert client.get(f"{BASE}/DiagnosticReport", {"category": "laboratory"}).status_code == 400


def test_a_patient_sees_only_verified_lab_results(world):
    from hms.orders.tests.factories import LabResultFactory

    with hospital_context("RGH001"):
        waiting = LabResultFactory(order__encounter=world.encounter)  # not verified yet
    client = world.client("patient")
    report = client.get(f"{BASE}/DiagnosticReport/{waiting.order_id}").json()
    assert report["status"] == "preliminary" and "result" not in report
    assert client.get(f"{BASE}/Observation/lab-{waiting.pk}").status_code == 404
    assert _ids(client.get(f"{BASE}/Observation", {"category": "laboratory"}).json()) == [
        f"lab-{world.lab.pk}"
    ]
    staff = world.client("nurse").get(f"{BASE}/Observation/lab-{waiting.pk}").json()
    assert staff["status"] == "preliminary"


def test_practitioner_roles_and_locations_of_the_hospital(world):
    from hms.staff.tests.factories import DepartmentFactory, StaffMemberFactory

    with hospital_context("RGH001"):
        cardiology = DepartmentFactory(name="Cardiology", code="CARD")
        member = StaffMemberFactory(user=world.users["doctor"], department=cardiology, specialty="Cardiology")
    client = world.client("nurse")
    roles = client.get(
        f"{BASE}/PractitionerRole", {"practitioner": f"Practitioner/{world.users['doctor'].pk}"}
    )
    (role,) = [e["resource"] for e in roles.json()["entry"]]
    assert role["id"] == str(member.pk) and role["code"][0]["coding"][0]["code"] == "doctor"
    assert role["location"][0]["reference"] == f"Location/{cardiology.pk}"
    location = client.get(f"{BASE}/Location/{cardiology.pk}").json()
    assert (
        location["name"] == "Cardiology"
        and location["managingOrganization"]["reference"] == "Organization/rgh001"
    )
    assert _ids(client.get(f"{BASE}/Location", {"name": "card"}).json()) == [str(cardiology.pk)]
    assert world.client("patient").get(f"{BASE}/Location").status_code == 403
    assert client.get(f"{BASE}/Location", {"near": "1|2"}).status_code == 400


def test_a_search_across_patients_names_each_patient_in_its_audit_row(world):
    with hospital_context("RGH001"):
        from hms.encounters.tests.factories import EncounterFactory, ObservationFactory

        other_visit = EncounterFactory(patient=world.stranger, practitioner_user_id=world.users["doctor"].pk)
        ObservationFactory(encounter=other_visit)
    bundle = (
        world.client("nurse").get(f"{BASE}/Observation", {"category": "vital-signs", "_count": "0"}).json()
    )
    assert bundle["total"] == 4 and "entry" not in bundle
    world.client("nurse").get(f"{BASE}/Observation", {"category": "vital-signs"})
    event = _audit("observation.list")[-1]
    assert event.patient_id is None
    assert event.detail["patient_ids"] == sorted([world.patient.pk, world.stranger.pk])
    assert len(event.detail["ids"]) == 4 and event.detail["interface"] == "fhir"


def test_references_to_the_wrong_type_answer_400(world):
    client = world.client("doctor")
    assert client.get(f"{BASE}/Encounter", {"patient": f"Encounter/{world.encounter.pk}"}).status_code == 400
    assert client.get(f"{BASE}/Appointment", {"practitioner": "Patient/1"}).status_code == 400
    assert client.get(f"{BASE}/Encounter", {"patient": "nobody"}).json()["total"] == 0


def test_a_suspended_hospital_answers_an_operation_outcome(world):
    from hms.hospitals.models import Hospital

    client = world.client("receptionist")
    Hospital.objects.filter(code="RGH001").update(status=Hospital.Status.SUSPENDED)
    response = client.get(f"{BASE}/Patient")
    assert response.status_code == 403
    assert response.json()["issue"][0]["diagnostics"].startswith("Refused: this hospital is suspended")
