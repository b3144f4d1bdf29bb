"""FHIR Observation of a blood pressure: the panel (LOINC 85354-9) with its systolic and diastolic
as components and its position; a coded ACVPU as a CodeableConcept; the time taken."""

import datetime
from decimal import Decimal

from django.utils import timezone

from hms.encounters.tests.factories import ObservationFactory
from hms.encounters.vitals import BP_PANEL, CONSCIOUSNESS, DIASTOLIC, LOCAL_SYSTEM, PEWS_BEHAVIOUR, SYSTOLIC
from hms.fhir.tests.conftest import fhir_valid
from hms.tenancy.context import hospital_context

BASE = "/fhir/RGH001"


def test_a_blood_pressure_is_the_panel_with_its_components_and_position(world):
    taken = timezone.now() - datetime.timedelta(minutes=30)
    with hospital_context("RGH001"):
        encounter = world.encounter
        panel = ObservationFactory(
            encounter=encounter,
            loinc_code=BP_PANEL,
            value=None,
            unit="",
            entered_value=None,
            entered_unit="",
            body_position="sitting",
            effective_at=taken,
        )
        for code, value, flag in ((SYSTOLIC, "150", "H"), (DIASTOLIC, "95", "H")):
            ObservationFactory(
                encounter=encounter,
                loinc_code=code,
                value=Decimal(value),
                unit="mm[Hg]",
                abnormal_flag=flag,
                panel=panel,
                effective_at=taken,
            )
        alert = ObservationFactory(
            encounter=encounter,
            loinc_code=CONSCIOUSNESS,
            value=None,
            value_code="V",
            unit="",
            entered_value=None,
        )

    client = world.client("doctor")
    resource = client.get(f"{BASE}/Observation/vital-{panel.pk}").json()
    fhir_valid(resource)
    assert resource["code"]["coding"][0]["code"] == "85354-9" and "valueQuantity" not in resource
    assert [
        (
            c["code"]["coding"][0]["code"],
            c["valueQuantity"]["value"],
            c["valueQuantity"]["code"],
            c["interpretation"][0]["coding"][0]["code"],
        )
        for c in resource["component"]
    ] == [("8480-6", 150, "mm[Hg]", "H"), ("8462-4", 95, "mm[Hg]", "H")]
    (position,) = resource["extension"]
    assert position["url"].endswith("observation-bodyPosition")
    assert position["valueCodeableConcept"]["coding"][0]["code"] == "33586001"  # sitting
    assert resource["effectiveDateTime"].startswith(taken.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M"))

    coded = client.get(f"{BASE}/Observation/vital-{alert.pk}").json()
    fhir_valid(coded)
    assert coded["valueCodeableConcept"]["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "300202002",
        "display": "Responds to voice",
    }


def test_a_pews_observation_of_ours_is_coded_in_our_system_not_loinc(world):
    with hospital_context("RGH001"):
        behaviour = ObservationFactory(
            encounter=world.encounter,
            loinc_code=PEWS_BEHAVIOUR,
            value=None,
            value_code="irritable",
            unit="",
            entered_value=None,
        )
    resource = world.client("doctor").get(f"{BASE}/Observation/vital-{behaviour.pk}").json()
    fhir_valid(resource)
    assert resource["code"]["coding"][0]["system"] == LOCAL_SYSTEM
    assert resource["code"]["coding"][0]["code"] == "pews-behaviour"
    assert resource["valueCodeableConcept"] == {"coding": [], "text": "irritable"}
