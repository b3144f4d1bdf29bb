"""A nurse in a hospital in the United Kingdom, in the browser: the hospital's time zone
(Europe/London) gives it the UK's clinical profile, so the vital-sign form starts on °C, kg and
cm and the lab result form on SI units. She finds the patient, records a full set of vital signs
(NEWS2 is shown), then collects a glucose specimen and types "22": it is kept as 22 mmol/L with
the SI LOINC code and flagged high, not read as 22 mg/dL (critically low)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hms.accounts.models import Role, User
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


def _thames_general(make_hospital, make_user) -> tuple[User, User]:
    """The UK hospital, its doctor and its desk (who sends walk-ins to the doctor); its nurse
    Grace Okafor signs in."""
    hospital = make_hospital(UK, name="Thames General Hospital", time_zone="Europe/London")
    doctor = make_user("dr_evans", role=Role.DOCTOR, hospital=hospital)
    nurse = make_user("nurse_okafor", role=Role.NURSE, hospital=hospital)
    desk = make_user("desk_patel", role=Role.RECEPTIONIST, hospital=hospital)
    nurse.first_name, nurse.last_name = "Grace", "Okafor"
    nurse.save()
    return doctor, desk


def _walk_in(doctor: User, desk: User, reason: str, **patient: object) -> Encounter:
    with hospital_context(UK):
        person = PatientFactory(**patient)
        care_assign(acting_user=desk, patient_id=person.pk, clinician_user_id=doctor.pk, reason="Walk-in")
        return encounter_start(acting_user=doctor, patient=person, reason=reason)


def _open_vitals_form(screen, family_name: str, given_name: str) -> None:
    """As the nurse: find the patient, open the visit, and its vital-signs form."""
    page = screen.page
    screen.sign_in("nurse_okafor")
    expect(page.locator("header")).to_contain_text("Grace Okafor (Nurse)")
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Find a patient").fill(family_name)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=f"{family_name}, {given_name}").click()
    page.get_by_role("link", name=re.compile("^Encounters, vital signs")).click()
    page.get_by_role("link", name="Open").first.click()
    page.get_by_role("link", name="Record vital signs").click()


def test_a_uk_nurse_records_vital_signs_and_an_si_glucose(screen, make_hospital, make_user):
    doctor, desk = _thames_general(make_hospital, make_user)
    with hospital_context(UK):
        profile = clinical_profile()
        assert (profile.country, profile.lab_units) == ("GB", LabUnits.SI)
        assert profile.diagnosis_code_system == CodeSystem.ICD10_WHO
        assert (profile.temperature_unit, profile.weight_unit) == (TemperatureUnit.CELSIUS, WeightUnit.KG)
    # A walk-in: the desk sends her to the doctor, who starts the visit and orders a glucose.
    visit = _walk_in(
        doctor,
        desk,
        "Thirsty, passing urine often",
        given_name="Margaret",
        family_name="Hughes",
        sex="female",
        birth_date=datetime.date(1957, 3, 14),
    )
    with hospital_context(UK):
        (order,) = lab_order_create(acting_user=doctor, encounter_id=visit.pk, test_code="2345-7")

    page = screen.page
    _open_vitals_form(screen, "Hughes", "Margaret")

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


def test_a_uk_nurse_records_a_childs_vital_signs_and_sees_the_pews(screen, make_hospital, make_user):
    """A 5-year-old (normal heart rate 81-117, respiratory rate 20-27: Fleming 2011), irritable,
    pale with a capillary refill of 3 s, using accessory muscles to breathe: Brighton PEWS
    2 + 1 + 1 = 4, medical review, with the hospital's own escalation policy named."""
    doctor, desk = _thames_general(make_hospital, make_user)
    five = timezone.localdate() - datetime.timedelta(days=5 * 365 + 100)
    visit = _walk_in(
        doctor, desk, "Cough and fever", given_name="Oliver", family_name="Price", sex="male", birth_date=five
    )

    page = screen.page
    _open_vitals_form(screen, "Price", "Oliver")
    for vital, value in (
        ("Heart rate", "100"),
        ("Respiratory rate", "24"),
        ("Oxygen flow (0 = on air)", "0"),
        ("Capillary refill time", "3"),
    ):
        page.get_by_label(vital, exact=True).fill(value)
    for vital, answer in (
        ("Behaviour (PEWS)", "Irritable"),
        ("Skin colour (PEWS)", "Pale"),
        ("Work of breathing (PEWS)", "Using accessory muscles"),
    ):
        page.get_by_label(vital, exact=True).select_option(label=answer)
    look(screen, "uk-child-vitals-form")
    page.get_by_role("button", name="Record").click()
    expect(page.locator(".messages")).to_contain_text("Recorded")
    main = page.locator("main")
    expect(main).to_contain_text("PEWS 4")
    expect(main).to_contain_text("medical review")
    expect(main).to_contain_text("set locally")
    expect(main).not_to_contain_text("NEWS2")
    look(screen, "uk-child-pews")
    with hospital_context(UK):
        assert Observation.objects.filter(
            encounter=visit, loinc_code="pews-behaviour", value_code="irritable"
        ).exists()
