"""A nurse in a hospital in the United Kingdom, in the browser: the hospital's time zone
(Europe/London) gives it the UK's clinical profile, so the vital-sign form starts on °C, kg and
cm and the lab result form on SI units. She finds the patient, records a full set of vital signs
(NEWS2 is shown), then collects a glucose specimen and types "22": it is kept as 22 mmol/L with
the SI LOINC code and flagged high, not read as 22 mg/dL (critically low)."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from hms.accounts.models import Role
from hms.care.assignments import care_assign
from hms.clinical.models import CodeSystem, LabUnits, TemperatureUnit, WeightUnit
from hms.clinical.profiles import clinical_profile
from hms.encounters.models import Encounter, Observation
from hms.encounters.services import encounter_start
from hms.orders.models import LabOrder
from hms.orders.services import lab_order_create
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context
from hms.web.tests.browser.clinic import look

pytestmark = pytest.mark.django_db(transaction=True)

UK = "TGH001"


def test_a_uk_nurse_records_vital_signs_and_an_si_glucose(screen, make_hospital, make_user):
    hospital = make_hospital(UK, name="Thames General Hospital", time_zone="Europe/London")
    doctor = make_user("dr_evans", role=Role.DOCTOR, hospital=hospital)
    nurse = make_user("nurse_okafor", role=Role.NURSE, hospital=hospital)
    desk = make_user("desk_patel", role=Role.RECEPTIONIST, hospital=hospital)
    nurse.first_name, nurse.last_name = "Grace", "Okafor"
    nurse.save()
    with hospital_context(UK):
        profile = clinical_profile()
        assert (profile.country, profile.lab_units) == ("GB", LabUnits.SI)
        assert profile.diagnosis_code_system == CodeSystem.ICD10_WHO
        assert (profile.temperature_unit, profile.weight_unit) == (TemperatureUnit.CELSIUS, WeightUnit.KG)
        patient = PatientFactory(
            given_name="Margaret", family_name="Hughes", sex="female", birth_date=datetime.date(1957, 3, 14)
        )
        # A walk-in: the desk sends her to the doctor, who starts the visit and orders a glucose.
        care_assign(acting_user=desk, patient_id=patient.pk, clinician_user_id=doctor.pk, reason="Walk-in")
        visit = encounter_start(acting_user=doctor, patient=patient, reason="Thirsty, passing urine often")
        (order,) = lab_order_create(acting_user=doctor, encounter_id=visit.pk, test_code="2345-7")

    page = screen.page
    screen.sign_in("nurse_okafor")
    expect(page.locator("header")).to_contain_text("Grace Okafor (Nurse)")
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Find a patient").fill("Hughes")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Hughes, Margaret").click()
    page.get_by_role("link", name=re.compile("^Encounters, vital signs")).click()
    page.get_by_role("link", name="Open").first.click()
    page.get_by_role("link", name="Record vital signs").click()

    # The hospital's units, already chosen: nothing to change for a UK nurse.
    for vital, unit in (("Body temperature", "°C"), ("Body weight", "kg"), ("Body height", "cm")):
        expect(page.get_by_label(f"{vital} unit").locator("option:checked")).to_have_text(unit)
    measured = {
        "Body temperature": "38.6",
        "Heart rate": "112",
        "Systolic blood pressure": "104",
        "Diastolic blood pressure": "62",
        "Respiratory rate": "24",
        "Oxygen saturation (SpO2)": "94",
        "Oxygen flow (0 = on air)": "0",
        "Body weight": "68.5",
        "Body height": "162",
    }
    for vital, value in measured.items():
        page.get_by_label(vital, exact=True).fill(value)
    page.get_by_label("Consciousness (ACVPU)", exact=True).select_option(label="A: Alert")
    look(screen, "uk-vitals-form")
    page.get_by_role("button", name="Record").click()
    expect(page.locator(".messages")).to_contain_text("Recorded")
    main = page.locator("main")
    expect(main).to_contain_text("38.6 °C")
    expect(main).to_contain_text("68.5 kg")
    # NEWS2 (RCP 2017, scale 1): RR 24 (2) + SpO2 94 (1) + air (0) + SBP 104 (1) + HR 112 (2)
    # + alert (0) + temperature 38.6 (1) = 7: high clinical risk.
    expect(main).to_contain_text("NEWS2 7 · high clinical risk")
    look(screen, "uk-vitals-recorded")
    with hospital_context(UK):
        temperature = Observation.objects.get(encounter=visit, loinc_code="8310-5")
        assert (temperature.value, temperature.unit) == (Decimal("38.6"), "Cel")
        assert temperature.abnormal_flag == "H"
        weight = Observation.objects.get(encounter=visit, loinc_code="29463-7")
        assert (weight.value, weight.unit) == (Decimal("68.5"), "kg")

    # The lab worklist: her glucose specimen is collected and "22" entered, in mmol/L unasked.
    page.get_by_role("link", name="Lab worklist").click()
    row = page.locator("tr", has_text="Hughes, Margaret")
    row.get_by_role("link", name="Glucose").click()
    page.get_by_role("button", name="Specimen collected").click()
    expect(page.locator(".messages")).to_contain_text("Specimen collected: enter the result.")
    unit = page.get_by_label(re.compile("^Unit"))
    expect(unit.locator("option:checked")).to_have_text("mmol/L")
    page.get_by_label("Value", exact=True).fill("22")
    look(screen, "uk-lab-result-form")
    page.get_by_role("button", name="Save result").click()
    expect(page.locator(".messages")).to_contain_text("Result saved: 22 mmol/L (high).")
    # The test is named as this laboratory reports it: the SI (moles) form, not mg/dL's name.
    expect(page.locator("tr", has_text="Test")).to_contain_text("Glucose [Moles/volume] in Serum or Plasma")
    look(screen, "uk-lab-result-entered")
    with hospital_context(UK):
        order.refresh_from_db()
        assert order.status == LabOrder.Status.RESULTED
        result = order.results.get()
        assert (result.value_numeric, result.unit, result.loinc_code) == (Decimal("22"), "mmol/L", "14749-6")
        assert result.flag == "H"  # about 396 mg/dL: high, below the critical 400 mg/dL
        assert Encounter.objects.get(pk=visit.pk).status == Encounter.Status.IN_PROGRESS
