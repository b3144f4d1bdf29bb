"""Prescriptions and lab orders through the API: the medication safety checks' 422s, the lab's steps."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hms.api.tests.clinic import NOW, OTHER, problem, url
from hms.audit.models import AuditEvent
from hms.encounters.tests.factories import EncounterFactory
from hms.orders.models import Prescription
from hms.orders.tests.factories import LabResultFactory, PrescriptionFactory
from hms.orders.tests.helpers import PRESCRIPTION as PARACETAMOL
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.connections import hospital_alias
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _encounter(clinic, patient=None) -> int:
    patient = patient or clinic.in_care
    started = clinic.api("doctor").post(url(f"patients/{patient.pk}/encounters"), {}, content_type=JSON)
    assert started.status_code == 201, started.content
    return started.json()["id"]


def _prescribe(clinic, encounter, who="doctor", **changes):
    body = {**PARACETAMOL, **changes}
    return clinic.api(who).post(url(f"encounters/{encounter}/prescriptions"), body, content_type=JSON)


def test_prescribe_and_the_warnings_an_override_reason_passes(clinic):
    encounter = _encounter(clinic)
    made = _prescribe(clinic, encounter)
    assert made.status_code == 201, made.content
    assert made.json()["status"] == "active" and made.json()["drug_name"].startswith("Paracetamol")
    high = _prescribe(clinic, encounter, drug_name="Ibuprofen", dose="1000", frequency="QDS")
    body = problem(high, 422)
    assert body["overridable"] is True and body["override_fields"] == ["override_reason"]
    assert body["warnings"] and body["refusals"] == []
    assert body["errors"]["override_reason"] == [w["message"] for w in body["warnings"]]
    passed = _prescribe(
        clinic,
        encounter,
        drug_name="Ibuprofen",
        dose="1000",
        frequency="QDS",
        override_reason="Specialist advice",
    )
    assert passed.status_code == 201, passed.content
    assert passed.json()["override_reason"] == "Specialist advice" and passed.json()["overridden_warnings"]
    with hospital_context("CL001"):
        assert AuditEvent.objects.filter(action="prescription.override").exists()


def test_refusals_no_reason_passes(clinic):
    nurse = clinic.api("nurse")
    allergy = {"substance": "Penicillin", "category": "medication", "severity": "severe"}
    assert (
        nurse.post(url(f"patients/{clinic.in_care.pk}/allergies"), allergy, content_type=JSON).status_code
        == 201
    )
    encounter = _encounter(clinic)
    for attempt in ({}, {"override_reason": "I know"}):
        body = problem(_prescribe(clinic, encounter, drug_name="Amoxicillin", dose="500", **attempt), 422)
        assert body["overridable"] is False and body["override_fields"] == []
        assert body["allergies"] and body["refusals"][0]["code"].startswith("allergy")
        assert "drug_name" in body["errors"]
    huge = problem(_prescribe(clinic, encounter, dose="5000"), 422)
    assert huge["overridable"] is False and "dose" in huge["refusals"][0]["code"]
    with hospital_context("CL001"):
        assert not Prescription.objects.filter(drug_name__icontains="amoxicillin").exists()
        assert AuditEvent.objects.filter(action="prescription.allergy_refused").exists()


def test_bad_prescriptions_roles_and_care(clinic):
    encounter = _encounter(clinic)
    assert "dose" in problem(_prescribe(clinic, encounter, dose=None), 400)["errors"]
    assert "frequency" in problem(_prescribe(clinic, encounter, frequency="often"), 400)["errors"]
    unknown = problem(_prescribe(clinic, encounter, drug_name="Zzzyxil"), 400)
    assert "free_text_reason" in unknown["errors"]
    problem(_prescribe(clinic, encounter, who="nurse"), 403)
    missing = problem(_prescribe(clinic, 99999999, who="doctor2"), 404)
    assert problem(_prescribe(clinic, encounter, who="doctor2"), 404) == missing
    _prescribe(clinic, encounter)
    listed = clinic.api("nurse").get(url(f"patients/{clinic.in_care.pk}/prescriptions")).json()["results"]
    assert [p["drug_name"][:11] for p in listed] == ["Paracetamol"]
    problem(clinic.api("reception").get(url(f"patients/{clinic.in_care.pk}/prescriptions")), 403)
    problem(clinic.api("patient").get(url(f"patients/{clinic.in_care.pk}/prescriptions")), 404)
    assert clinic.api("patient").get(url(f"patients/{clinic.own.pk}/prescriptions")).json()["results"] == []


def test_lab_order_collect_result_verify(clinic):
    encounter = _encounter(clinic)
    doctor, nurse = clinic.api("doctor"), clinic.api("nurse")
    ordered = doctor.post(
        url(f"encounters/{encounter}/lab-orders"), {"test_code": "718-7"}, content_type=JSON
    )
    assert ordered.status_code == 201, ordered.content
    (order,) = ordered.json()
    assert order["status"] == "ordered" and order["results"] == []
    panel = doctor.post(url(f"encounters/{encounter}/lab-orders"), {"test_code": "CBC"}, content_type=JSON)
    assert panel.status_code == 201 and len(panel.json()) > 1
    assert (
        "test_code"
        in problem(
            doctor.post(url(f"encounters/{encounter}/lab-orders"), {"test_code": "NOPE"}, content_type=JSON),
            400,
        )["errors"]
    )
    problem(
        nurse.post(url(f"encounters/{encounter}/lab-orders"), {"test_code": "718-7"}, content_type=JSON), 403
    )
    results = url(f"lab-orders/{order['id']}/results")
    early = problem(nurse.post(results, {"value": "13.2", "unit": "g/dL"}, content_type=JSON), 400)
    assert "collected" in early["detail"]
    collected = nurse.post(url(f"lab-orders/{order['id']}/collect"), content_type=JSON)
    assert collected.status_code == 200 and collected.json()["status"] == "collected"
    problem(nurse.post(url(f"lab-orders/{order['id']}/collect"), content_type=JSON), 400)
    assert "value" in problem(nurse.post(results, {}, content_type=JSON), 400)["errors"]
    entered = nurse.post(results, {"value": "13.2", "unit": "g/dL"}, content_type=JSON)
    assert entered.status_code == 201, entered.content
    result = entered.json()["results"][0]
    assert entered.json()["status"] == "resulted" and result["verified_at"] is None
    verify = url(f"lab-results/{result['id']}/verify")
    problem(nurse.post(verify, content_type=JSON), 403)
    problem(clinic.api("doctor2").post(verify, content_type=JSON), 404)
    verified = doctor.post(verify, content_type=JSON)
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    problem(doctor.post(verify, content_type=JSON), 400)
    read = nurse.get(url(f"lab-orders/{order['id']}"))
    assert read.json()["results"][0]["verified_by_id"] == clinic.users["doctor"].pk


def test_a_patient_sees_verified_results_of_their_own_orders_only(clinic):
    with hospital_context("CL001"):
        AppointmentFactory(patient=clinic.own, practitioner_user_id=clinic.users["doctor"].pk, starts_at=NOW)
    encounter = _encounter(clinic, clinic.own)
    doctor, nurse, patient = clinic.api("doctor"), clinic.api("nurse"), clinic.api("patient")
    (order,) = doctor.post(
        url(f"encounters/{encounter}/lab-orders"), {"test_code": "718-7"}, content_type=JSON
    ).json()
    nurse.post(url(f"lab-orders/{order['id']}/collect"), content_type=JSON)
    result = nurse.post(
        url(f"lab-orders/{order['id']}/results"), {"value": "13.2", "unit": "g/dL"}, content_type=JSON
    ).json()
    assert patient.get(url(f"lab-orders/{order['id']}")).json()["results"] == []
    doctor.post(url(f"lab-results/{result['results'][0]['id']}/verify"), content_type=JSON)
    mine = patient.get(url(f"patients/{clinic.own.pk}/lab-orders")).json()["results"]
    assert [r["value_numeric"] for r in mine[0]["results"]] == [result["results"][0]["value_numeric"]]
    problem(patient.post(url(f"lab-orders/{order['id']}/collect"), content_type=JSON), 403)
    problem(patient.get(url(f"patients/{clinic.in_care.pk}/lab-orders")), 404)


def test_another_hospitals_orders_look_missing(clinic):
    encounter = _encounter(clinic)
    (order,) = (
        clinic.api("doctor")
        .post(url(f"encounters/{encounter}/lab-orders"), {"test_code": "718-7"}, content_type=JSON)
        .json()
    )
    outsider = clinic.api("outsider")
    foreign = problem(outsider.get(url(f"lab-orders/{order['id']}")), 404)
    assert foreign == problem(outsider.get(url(f"lab-orders/{order['id']}", "NOSUCH1")), 404)
    problem(outsider.get(url(f"lab-orders/{order['id']}", OTHER)), 404)
    problem(
        outsider.post(url(f"encounters/{encounter}/prescriptions", OTHER), PARACETAMOL, content_type=JSON),
        404,
    )


def test_a_patients_lists_cost_the_same_queries_for_more_rows(clinic):
    nurse = clinic.api("nurse")
    addresses = [
        url(f"patients/{clinic.stranger.pk}/{kind}") for kind in ("lab-orders", "prescriptions", "encounters")
    ]
    for address in addresses:
        nurse.get(address)  # the token's and the hospital's first look-ups out of the way
    counts = []
    for added in (1, 4):
        with hospital_context("CL001"):
            for _ in range(added):
                encounter = EncounterFactory(
                    patient=clinic.stranger,
                    practitioner_user_id=clinic.users["doctor"].pk,
                    status="finished",
                    ended_at=timezone.now(),
                )
                LabResultFactory(order__encounter=encounter)
                PrescriptionFactory(encounter=encounter)
        for address in addresses:
            with (
                CaptureQueriesContext(connections["default"]) as shared,
                CaptureQueriesContext(connections[hospital_alias("CL001")]) as hospital,
            ):
                rows = nurse.get(address).json()["results"]
            counts.append((address, len(rows) > added - 1, len(shared), len(hospital)))
    assert all(shown for _, shown, *_ in counts)
    assert [c[2:] for c in counts[:3]] == [c[2:] for c in counts[3:]]


def test_a_lab_result_through_the_api_needs_its_unit_and_keeps_it_with_its_code(clinic):
    """The service's unit rules, through the API: a number without its unit is refused, an
    impossible one too; a value is stored in its unit with the LOINC code of that unit."""
    encounter = _encounter(clinic)
    doctor, nurse = clinic.api("doctor"), clinic.api("nurse")

    def collected(code):
        (order,) = doctor.post(
            url(f"encounters/{encounter}/lab-orders"), {"test_code": code}, content_type=JSON
        ).json()
        nurse.post(url(f"lab-orders/{order['id']}/collect"), content_type=JSON)
        return url(f"lab-orders/{order['id']}/results")

    glucose = collected("2345-7")
    refused = problem(nurse.post(glucose, {"value": "22"}, content_type=JSON), 400)
    assert "unit" in refused["errors"] and "without its unit" in refused["detail"]
    entered = nurse.post(glucose, {"value": "22", "unit": "mmol/L"}, content_type=JSON)
    assert entered.status_code == 201, entered.content
    result = entered.json()["results"][0]
    assert (result["value_numeric"], result["unit"], result["loinc_code"], result["flag"]) == (
        "22.0000",
        "mmol/L",
        "14749-6",
        "H",
    )
    assert (result["reference_high"], result["critical_high"]) == ("5.5000", "22.2000")
    potassium = collected("2823-3")
    impossible = problem(nurse.post(potassium, {"value": "55", "unit": "mmol/L"}, content_type=JSON), 400)
    assert "K of 55 mmol/L is impossible" in impossible["detail"]
    assert nurse.get(potassium.removesuffix("/results")).json()["results"] == []
