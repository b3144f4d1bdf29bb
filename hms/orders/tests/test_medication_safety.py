"""Medication safety in prescription_create: allergies by class, dose limits (a child's by weight),
duplicate therapy, overrides with a reason; the formulary and its data."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError
from hms.encounters.allergens import GROUPS, SUBSTANCES, allergen_match
from hms.encounters.tests.factories import AllergyFactory, ObservationFactory
from hms.encounters.vitals import WEIGHT
from hms.orders import services
from hms.orders.data.medicines import MEDICINES
from hms.orders.formulary import formulary_name_match
from hms.orders.models import FormularyDrug, Prescription
from hms.orders.tests.helpers import prescribe
from hms.patients.models import Patient
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db


def _actions():
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def _drug(code):
    return FormularyDrug.objects.get(code=code)


# The formulary and its data


def test_every_hospital_starts_with_the_packaged_formulary(dmc):
    with hospital_context("DMC001"):
        codes = set(FormularyDrug.objects.values_list("code", flat=True))
        amoxicillin = _drug("amoxicillin")
    assert codes == {medicine.code for medicine in MEDICINES}
    assert amoxicillin.allergy_groups == ["penicillins"]
    assert (amoxicillin.adult_max_dose, amoxicillin.dose_unit) == (Decimal("2000.000"), "mg")
    assert "BNF" in amoxicillin.source


def test_every_medicine_cites_a_source_and_names_known_substances():
    required = {
        "amoxicillin", "co-amoxiclav", "ampicillin", "flucloxacillin", "phenoxymethylpenicillin",
        "benzylpenicillin", "piperacillin-tazobactam", "cefalexin", "cefuroxime", "ceftriaxone",
        "clarithromycin", "paracetamol", "ibuprofen", "aspirin", "metformin", "amlodipine", "salbutamol",
        "omeprazole", "morphine", "insulin-human-soluble", "co-trimoxazole",
    }  # fmt: skip
    assert required <= {medicine.code for medicine in MEDICINES}
    for medicine in MEDICINES:
        assert medicine.source, medicine.code
        assert set(medicine.substances) <= set(SUBSTANCES), medicine.code
        assert medicine.dose_unit in {"mg", "mcg", "g", "units"}
    for group in GROUPS.values():
        assert set(group.cross_reactive) | set(group.includes) <= set(GROUPS)


def test_allergy_text_and_drug_names_are_matched_to_codes():
    assert allergen_match("Penicillin") == "group:penicillins"
    assert allergen_match(" penicillins ") == "group:penicillins"
    assert allergen_match("Amoxycillin") == "substance:amoxicillin"
    assert allergen_match("Strawberries") == ""
    assert formulary_name_match("Co-amoxiclav 625 mg", MEDICINES).code == "co-amoxiclav"
    assert formulary_name_match("Paracetamol 500 mg tablets", MEDICINES).code == "paracetamol"
    assert formulary_name_match("Paracetamolx", MEDICINES) is None


# Allergies


@pytest.mark.parametrize("code", ["amoxicillin", "co-amoxiclav", "ampicillin", "piperacillin-tazobactam"])
def test_a_penicillin_is_refused_for_a_recorded_penicillin_allergy(doctor, patient, encounter, code):
    with hospital_context("DMC001"):
        AllergyFactory(patient=patient, substance="Penicillins", allergen_code="group:penicillins")
        with pytest.raises(services.PrescriptionRefused) as raised:
            prescribe(doctor, encounter, formulary_drug=_drug(code), drug_name="", dose=Decimal("500"))
        assert not Prescription.objects.exists()
        assert _actions() == ["prescription.allergy_refused"]
        event = AuditEvent.objects.get()
    assert "active allergy recorded to Penicillins" in raised.value.message
    assert raised.value.details["reasons"][0]["code"] == "allergy"
    assert event.detail["allergies"] == ["Penicillins"]


def test_amoxicillin_is_refused_for_an_allergy_recorded_as_free_text_before_coding(
    doctor, patient, encounter
):
    with hospital_context("DMC001"):
        AllergyFactory(patient=patient, substance="Penicillin", allergen_code="")
        with pytest.raises(services.PrescriptionRefused, match="active allergy recorded to Penicillin"):
            prescribe(doctor, encounter, drug_name="Amoxicillin", dose=Decimal("500"), frequency="TDS")


def test_an_allergy_to_one_penicillin_refuses_the_others_and_an_nsaid_warns_for_another(
    doctor, patient, encounter
):
    with hospital_context("DMC001"):
        AllergyFactory(patient=patient, substance="Amoxicillin", allergen_code="substance:amoxicillin")
        AllergyFactory(patient=patient, substance="Ibuprofen", allergen_code="substance:ibuprofen")
        with pytest.raises(services.PrescriptionRefused, match="an allergy to one is an allergy to all"):
            prescribe(doctor, encounter, drug_name="Flucloxacillin", dose=Decimal("500"))
        with pytest.raises(services.OverrideRequired) as raised:
            prescribe(doctor, encounter, drug_name="Naproxen", dose=Decimal("250"), frequency="BD")
    assert [w["code"] for w in raised.value.details["warnings"]] == ["allergy_class"]


def test_a_cephalosporin_is_warned_for_a_penicillin_allergy_and_prescribed_with_a_reason(
    doctor, patient, encounter
):
    cefalexin = {"drug_name": "Cefalexin", "dose": Decimal("500"), "frequency": "TDS"}
    with hospital_context("DMC001"):
        AllergyFactory(patient=patient, substance="Penicillin", allergen_code="group:penicillins")
        with pytest.raises(services.OverrideRequired) as raised:
            prescribe(doctor, encounter, **cefalexin)
        assert not Prescription.objects.exists()
        prescription = prescribe(
            doctor, encounter, **cefalexin, override_reason=" Rash only, tolerated cefalexin in 2024 "
        )
        stored = Prescription.objects.get()
        stored_drug = stored.formulary_drug.code
        override = AuditEvent.objects.get(action="prescription.override")
    warning = raised.value.details["warnings"][0]
    assert warning["code"] == "allergy_cross_reactive"
    assert "cephalosporins" in warning["message"] and "override_reason" in raised.value.details
    assert stored.pk == prescription.pk and stored_drug == "cefalexin"
    assert stored.override_reason == "Rash only, tolerated cefalexin in 2024"
    assert stored.overridden_warnings == [warning]
    assert override.detail["warnings"] == [warning]
    assert override.detail["reason"] == "Rash only, tolerated cefalexin in 2024"
    assert override.patient_id == patient.pk


def test_an_intolerance_warns_where_an_allergy_refuses_and_is_prescribed_with_a_reason(
    doctor, patient, encounter
):
    """Nausea with amoxicillin is an intolerance: prescribing it warns (code intolerance), a reason lets it
    be given; the same substance recorded as an allergy refuses it whatever is said."""
    amoxicillin = {"drug_name": "Amoxicillin", "dose": Decimal("500"), "frequency": "TDS"}
    with hospital_context("DMC001"):
        intolerance = AllergyFactory(
            patient=patient,
            substance="Amoxicillin",
            allergen_code="substance:amoxicillin",
            type="intolerance",
        )
        with pytest.raises(services.OverrideRequired) as raised:
            prescribe(doctor, encounter, **amoxicillin)
        prescribe(doctor, encounter, **amoxicillin, override_reason="Nausea only; takes it with food")
        assert Prescription.objects.count() == 1
        intolerance.type = "allergy"
        intolerance.save()
        with pytest.raises(services.PrescriptionRefused):
            prescribe(doctor, encounter, **amoxicillin, override_reason="Nausea only")
    warning = raised.value.details["warnings"][0]
    assert warning["code"] == "intolerance"
    assert "active intolerance recorded to Amoxicillin" in warning["message"]


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_without_a_reason_is_refused_and_nothing_written(doctor, patient, encounter, reason):
    with hospital_context("DMC001"):
        AllergyFactory(patient=patient, substance="Penicillin", allergen_code="group:penicillins")
        with pytest.raises(services.OverrideRequired, match="give a reason"):
            prescribe(doctor, encounter, drug_name="Ceftriaxone", dose=Decimal("1000"), frequency="OD",
                      override_reason=reason)  # fmt: skip
        assert not Prescription.objects.exists() and not AuditEvent.objects.exists()


# Doses


def test_fifty_grams_of_paracetamol_four_times_a_day_is_refused(doctor, encounter):
    with hospital_context("DMC001"):
        with pytest.raises(services.PrescriptionRefused) as raised:
            prescribe(doctor, encounter, drug_name="Paracetamol", dose=Decimal("50"), dose_unit="g")
        # Not even with a reason: a dose beyond twice the limit is a wrong number or unit.
        with pytest.raises(services.PrescriptionRefused):
            prescribe(doctor, encounter, drug_name="Paracetamol", dose=Decimal("50"), dose_unit="g",
                      override_reason="I am sure")  # fmt: skip
        assert not Prescription.objects.exists()
        assert _actions() == ["prescription.safety_refused", "prescription.safety_refused"]
    codes = [r["code"] for r in raised.value.details["reasons"]]
    assert codes == ["dose_per_dose", "dose_per_day"]
    assert "50 g a dose is more than the usual maximum of 1 g a dose for an adult" in raised.value.message


def test_a_dose_just_over_the_limit_warns_and_tablets_are_measured_by_their_strength(doctor, encounter):
    with hospital_context("DMC001"):
        # 2 x 500 mg tablets QDS = 1 g a dose, 4 g a day: within the limits.
        prescribe(
            doctor, encounter, drug_name="Paracetamol 500 mg tablets", dose=Decimal("2"), dose_unit="tablet"
        )
        stored = Prescription.objects.get()
        assert stored.strength == "500 mg"
        with pytest.raises(services.OverrideRequired) as raised:
            prescribe(doctor, encounter, drug_name="Ibuprofen", dose=Decimal("800"), frequency="QDS")
        assert [w["code"] for w in raised.value.details["warnings"]] == ["dose_per_day"]
        with pytest.raises(services.OverrideRequired) as unchecked:
            prescribe(doctor, encounter, drug_name="Omeprazole", dose=Decimal("1"), dose_unit="capsule",
                      frequency="OD")  # fmt: skip
    assert unchecked.value.details["warnings"][0]["code"] == "dose_unchecked"


def test_a_childs_dose_is_checked_against_the_last_recorded_weight(doctor, patient, encounter):
    today = timezone.localdate()
    with hospital_context("DMC001"):
        Patient.objects.filter(pk=patient.pk).update(birth_date=today.replace(year=today.year - 5))
        paracetamol = {"drug_name": "Paracetamol", "dose_unit": "mg"}
        with pytest.raises(services.OverrideRequired) as unweighed:
            prescribe(doctor, encounter, **paracetamol, dose=Decimal("200"))
        now = timezone.now()
        ObservationFactory(encounter=encounter, loinc_code=WEIGHT, value=Decimal("10"), unit="kg",
                           recorded_at=now - datetime.timedelta(days=30))  # fmt: skip
        ObservationFactory(encounter=encounter, loinc_code=WEIGHT, value=Decimal("18"), unit="kg",
                           recorded_at=now - datetime.timedelta(days=1))  # fmt: skip
        # 20 mg/kg x 18 kg = 360 mg a dose; 75 mg/kg a day = 1350 mg. At 10 kg, 300 mg would be refused.
        prescribe(doctor, encounter, **paracetamol, dose=Decimal("300"), frequency="QDS")
        with pytest.raises(services.OverrideRequired) as over:
            prescribe(doctor, encounter, **paracetamol, dose=Decimal("400"), override_reason="")
        with pytest.raises(services.PrescriptionRefused) as far_over:
            prescribe(doctor, encounter, **paracetamol, dose=Decimal("1000"))
    assert unweighed.value.details["warnings"][0]["code"] == "dose_unchecked"
    assert "No weight is recorded for this child" in unweighed.value.message
    codes = {w["code"] for w in over.value.details["warnings"]}
    assert {"dose_per_dose", "duplicate_drug"} <= codes
    assert "for a child of 18 kg (20 mg/kg" in over.value.message
    assert "360 mg a dose" in far_over.value.message


# Duplicate therapy


def test_the_same_drug_or_class_already_running_warns(doctor, encounter):
    with hospital_context("DMC001"):
        prescribe(doctor, encounter, drug_name="Amoxicillin", dose=Decimal("500"), frequency="TDS")
        with pytest.raises(services.OverrideRequired) as same:
            prescribe(doctor, encounter, drug_name="Amoxicillin", dose=Decimal("500"), frequency="TDS")
        with pytest.raises(services.OverrideRequired) as same_class:
            prescribe(doctor, encounter, drug_name="Flucloxacillin", dose=Decimal("500"), frequency="QDS")
    assert [w["code"] for w in same.value.details["warnings"]] == ["duplicate_drug"]
    assert [w["code"] for w in same_class.value.details["warnings"]] == ["duplicate_class"]


def test_a_drug_outside_the_formulary_needs_a_reason_which_is_audited(doctor, encounter):
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError) as raised:
            prescribe(doctor, encounter, drug_name="Artesunate", dose=Decimal("120"), frequency="OD")
        prescription = prescribe(
            doctor,
            encounter,
            drug_name="Artesunate",
            dose=Decimal("120"),
            frequency="OD",
            free_text_reason="Severe malaria; not yet in our formulary",
        )
        event = AuditEvent.objects.get(action="prescription.create")
    assert "free_text_reason" in raised.value.details
    assert prescription.formulary_drug is None
    assert event.detail["free_text_reason"] == "Severe malaria; not yet in our formulary"


def test_an_inactive_formulary_drug_cannot_be_chosen(doctor, encounter):
    with hospital_context("DMC001"):
        FormularyDrug.objects.filter(code="aspirin").update(is_active=False)
        with pytest.raises(ApplicationError) as raised:
            prescribe(doctor, encounter, formulary_drug=_drug("aspirin").pk, drug_name="", dose=Decimal("75"))
    assert "formulary_drug" in raised.value.details
