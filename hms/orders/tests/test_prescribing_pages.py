"""The prescribing page: formulary search, the allergy banner, warnings acknowledged with a reason."""

from decimal import Decimal

import pytest
from django.urls import reverse

from hms.audit.models import AuditEvent
from hms.encounters.tests.factories import AllergyFactory
from hms.orders.models import Prescription
from hms.orders.tests.helpers import PRESCRIPTION
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db


def _url(name, **kwargs):
    return reverse(f"orders:{name}", kwargs={"hospital_code": "DMC001", **kwargs})


def test_the_formulary_search_answers_matching_drugs_as_json(client, doctor, nurse):
    client.force_login(doctor)
    found = client.get(_url("formulary-search"), {"q": "amox"}).json()["results"]
    assert [drug["name"] for drug in found][:2] == [
        "Amoxicillin",
        "Co-amoxiclav (amoxicillin with clavulanic acid)",
    ]
    assert "500 mg" in found[0]["strengths"]
    assert client.get(_url("formulary-search"), {"q": "cephalosporin"}).json()["results"][0]["name"] == (
        "Cefalexin"
    )
    assert client.get(_url("formulary-search"), {"q": ""}).json() == {"results": []}
    client.force_login(nurse)
    assert client.get(_url("formulary-search"), {"q": "amox"}).status_code == 403


def test_the_form_shows_the_allergy_banner_refuses_amoxicillin_and_asks_a_reason_for_a_warning(
    client, doctor, patient, encounter
):
    with hospital_context("DMC001"):
        AllergyFactory(patient=patient, substance="Penicillin", allergen_code="group:penicillins")
    client.force_login(doctor)
    url = _url("prescription-new", encounter_id=encounter.pk)
    page = client.get(url).content.decode()
    assert "Allergies:" in page and "Penicillin" in page and "hms/formulary.js" in page
    refused = client.post(
        url, {**PRESCRIPTION, "drug_name": "Amoxicillin", "dose": "500", "frequency": "TDS"}
    )
    assert refused.status_code == 400
    assert "active allergy recorded to Penicillin" in refused.content.decode()
    cefalexin = {**PRESCRIPTION, "drug_name": "Cefalexin", "dose": "500", "frequency": "TDS"}
    warned = client.post(url, cefalexin)
    text = warned.content.decode()
    assert warned.status_code == 400
    assert "Check before prescribing" in text and "cross-react" in text and 'name="override_reason"' in text
    with hospital_context("DMC001"):
        assert not Prescription.objects.exists()
    done = client.post(url, {**cefalexin, "override_reason": "Tolerated cefalexin before"})
    assert done.status_code == 302
    with hospital_context("DMC001"):
        stored = Prescription.objects.get()
        assert stored.formulary_drug.code == "cefalexin" and stored.dose == Decimal("500")
        assert AuditEvent.objects.filter(action="prescription.override").count() == 1


def test_a_picked_formulary_drug_is_prescribed_by_its_id(client, doctor, encounter):
    client.force_login(doctor)
    with hospital_context("DMC001"):
        from hms.orders.models import FormularyDrug

        omeprazole = FormularyDrug.objects.get(code="omeprazole")
    response = client.post(
        _url("prescription-new", encounter_id=encounter.pk),
        {**PRESCRIPTION, "formulary_drug": str(omeprazole.pk), "drug_name": "Omeprazole", "dose": "20",
         "frequency": "OD"},
    )  # fmt: skip
    assert response.status_code == 302
    with hospital_context("DMC001"):
        assert Prescription.objects.get().formulary_drug_id == omeprazole.pk


def test_the_lab_order_form_shows_the_allergy_banner(client, doctor, patient, encounter):
    with hospital_context("DMC001"):
        AllergyFactory(patient=patient, substance="Latex", allergen_code="group:latex")
    client.force_login(doctor)
    page = client.get(_url("lab-order-new", encounter_id=encounter.pk)).content.decode()
    assert "Allergies:" in page and "Latex" in page
