"""FHIR Observation of a lab result: the code and unit it was stored with (issue 14). A glucose
entered in mmol/L reads as LOINC 14749-6 with a UCUM mmol/L quantity and its reference range in
mmol/L; one in mg/dL as 2345-7; a code search finds each by its own code."""

from decimal import Decimal

from hms.fhir.tests.conftest import fhir_valid
from hms.orders import services
from hms.tenancy.context import hospital_context

BASE = "/fhir/RGH001"


def _glucose(world, value, unit):
    doctor, nurse = world.users["doctor"], world.users["nurse"]
    with hospital_context("RGH001"):
        (order,) = services.lab_order_create(
            acting_user=doctor, encounter_id=world.encounter.pk, test_code="2345-7"
        )
        services.lab_order_collect(acting_user=nurse, order_id=order.pk)
        return services.lab_result_enter(acting_user=nurse, order_id=order.pk, value=value, unit=unit)


def test_a_lab_observation_carries_the_unit_and_code_it_was_stored_with(world):
    si = _glucose(world, "22", "mmol/L")
    mass = _glucose(world, "396", "mg/dL")
    client = world.client("doctor")

    resource = client.get(f"{BASE}/Observation/lab-{si.pk}").json()
    fhir_valid(resource)
    assert resource["code"]["coding"] == [
        {
            "system": "http://loinc.org",
            "code": "14749-6",
            "display": "Glucose [Moles/volume] in Serum or Plasma",
        }
    ]
    assert resource["valueQuantity"] == {
        "value": 22,
        "unit": "mmol/L",
        "system": "http://unitsofmeasure.org",
        "code": "mmol/L",
    }
    (reference,) = resource["referenceRange"]
    assert (reference["low"]["code"], Decimal(str(reference["high"]["value"]))) == ("mmol/L", Decimal("5.5"))
    assert resource["interpretation"][0]["coding"][0]["code"] == "H"

    other = client.get(f"{BASE}/Observation/lab-{mass.pk}").json()
    assert (other["code"]["coding"][0]["code"], other["valueQuantity"]["code"]) == ("2345-7", "mg/dL")

    patient = f"Patient/{world.patient.pk}"
    for code, found in (("14749-6", si), ("2345-7", mass)):
        bundle = client.get(
            f"{BASE}/Observation", {"patient": patient, "code": f"http://loinc.org|{code}"}
        ).json()
        assert [e["resource"]["id"] for e in bundle["entry"]] == [f"lab-{found.pk}"]
