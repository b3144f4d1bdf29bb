"""The demo's clinical content as a physician reads it (issue 14): rules that hold whatever the
random draws, checked on the content itself (test_activity checks the seeded hospitals)."""

import datetime
import random
from dataclasses import replace
from decimal import Decimal

import pytest

from hms.clinical.ages import Age
from hms.clinical.renal import egfr
from hms.demo import clinical
from hms.demo.data.billing import DEMO_PRICES
from hms.demo.data.conditions import CHRONIC, CONDITIONS, FEBRILE_INFANT_MONTHS
from hms.demo.data.critical import CRITICAL_CASES
from hms.demo.data.drugs import ORS_SACHETS
from hms.encounters import vitals
from hms.encounters.icd10 import icd10_lookup
from hms.orders.lab_catalogue import TESTS, catalogue_tests, limits_for

CHILD = clinical.Person(30, "female", Decimal(13), Decimal(90))  # 2 years 6 months
ADULT = clinical.Person(480, "male", Decimal(75), Decimal(175))


@pytest.mark.parametrize(
    ("country", "product", "water"),
    [
        ("BD", "ORSaline-N", "500 mL"),
        ("GB", "Dioralyte", "200 mL"),
        ("US", "WHO low-osmolarity ORS", "1000 mL"),
    ],
)
def test_oral_rehydration_salts_are_made_up_in_the_volume_of_the_countrys_sachet(country, product, water):
    rx = clinical.rx_for("ors", CHILD, country)
    assert rx.drug_name == f"Oral rehydration salts ({product})"
    assert f"Dissolve one sachet in {water} of clean drinking water, never less" in rx.instructions
    # The volume given after each loose stool goes by age (WHO Plan A), in mL of the solution.
    assert (rx.dose, rx.dose_unit) == (Decimal(200), "mL")
    assert clinical.rx_for("ors", clinical.Person(10, "male", Decimal(9), Decimal(72)), country).dose == 100
    assert clinical.rx_for("ors", ADULT, country).dose == 400


def test_the_bangladeshi_sachet_is_for_half_a_litre_with_its_source():
    sachet = ORS_SACHETS["BD"]
    assert sachet.water_ml == 500 and "ORSaline-N" in sachet.source and "500 mL" in sachet.source
    assert "200 mL" not in clinical.rx_for("ors", CHILD, "BD").instructions


def test_no_infant_under_three_months_comes_to_clinic_with_a_fever():
    feverish = [c for c in CONDITIONS.values() if "fever" in c.signs]
    assert feverish
    for months in range(FEBRILE_INFANT_MONTHS):
        assert not [c.code for c in feverish if c.fits(months)]
        rng = random.Random(months)
        drawn = {clinical.visit_condition(rng, months=months, chronic=()).code for _ in range(300)}
        assert drawn and not drawn & {c.code for c in feverish}
    # From 3 months a fever is seen in clinic (an infant of 3-6 months with 39 °C is "amber").
    assert [c for c in feverish if c.fits(FEBRILE_INFANT_MONTHS)]
    assert CONDITIONS["Z00.129"].fits(1) and not CONDITIONS["Z00.129"].fits(24)


def test_a_raised_tsh_on_levothyroxine_raises_the_dose():
    thyroid = CONDITIONS["E03.9"]
    assert "continue levothyroxine" not in thyroid.plan.lower() and "adjusted on the result" in thyroid.plan
    assert "increase the daily dose of levothyroxine by 25 micrograms" in thyroid.results_plan
    prescribed = clinical.prescriptions_for([thyroid], ADULT, [])
    assert [(key, rx.dose) for key, rx in prescribed] == [("levothyroxine", 50)]
    stepped = clinical.dose_stepped(prescribed, thyroid)
    assert [(key, rx.dose, rx.dose_unit) for key, rx in stepped] == [("levothyroxine", 75, "mcg")]
    # Lipids above target on atorvastatin 20 mg: 40 mg.
    lipids = CONDITIONS["E78.5"]
    statin = clinical.dose_stepped(clinical.prescriptions_for([lipids], ADULT, []), lipids)
    assert [(key, rx.dose) for key, rx in statin] == [("atorvastatin", 40)]
    assert "atorvastatin increased to 40 mg" in lipids.results_plan
    # A condition without a dose step leaves the prescriptions as they are.
    assert clinical.dose_stepped(prescribed, CONDITIONS["I10"]) == prescribed


def test_chest_pain_always_gets_an_urgent_troponin_and_an_ecg():
    chest_pain = CONDITIONS["R07.9"]
    assert ("10839-9", 1.0) in chest_pain.labs and chest_pain.urgent_labs
    assert chest_pain.procedure == ("PROC-ECG", 1.0)
    troponin = TESTS["10839-9"]
    assert troponin.name.startswith("Troponin I.cardiac") and troponin.reference.high == Decimal("0.04")


def test_a_panel_has_urea_in_si_hospitals_and_bun_in_conventional_ones():
    si = {t.code for t in catalogue_tests("BMP", lambda code: "SI")}
    conventional = {t.code for t in catalogue_tests("BMP", lambda code: "CONVENTIONAL")}
    assert "22664-7" in si and "3094-0" not in si
    assert "3094-0" in conventional and "22664-7" not in conventional


def _reading(code, value, years, sex, units):
    """A demo result of `code` drawn at exactly `value` (conventional unit) for a patient of `years`."""
    age = Age(years * 365, years * 12, years)
    ranges = {code: (value, value)}
    return clinical.lab_reading(
        random.Random(1), TESTS[code], age=age, sex=sex, ranges=ranges, lab_units=units
    )


@pytest.mark.parametrize(
    ("units", "code", "unit"), [("SI", "14749-6", "mmol/L"), ("CONVENTIONAL", "2345-7", "mg/dL")]
)
def test_lab_values_are_reported_in_the_hospitals_unit_and_flagged_for_the_patient(units, code, unit):
    reading = _reading("2345-7", "300", 40, "male", units)
    assert (reading.form.code, reading.form.unit) == (code, unit)
    assert reading.flag == "H" and abs(reading.conventional - 300) < 1
    # A child's creatinine is read against the child's interval, not the adult's.
    assert _reading("2160-0", "0.9", 2, "female", units).flag == "H"
    assert _reading("2160-0", "0.9", 40, "female", units).flag == "N"


def test_every_demo_diagnosis_is_valid_in_both_code_systems():
    for condition in CONDITIONS.values():
        for system in ("icd10-who", "icd10-cm"):
            entry = icd10_lookup(condition.code_in(system), system)
            assert entry is not None and entry.billable, (condition.code, system)


@pytest.mark.parametrize("months", [0, 2, 11, 18, 40, 96, 168, 480, 960])
def test_a_well_patients_vital_signs_are_normal_for_their_age(months):
    """Drawn inside the age's reference bands, so no healthy child is flagged by an adult's."""
    age = Age(months * 30 + 15, months, months // 12)
    subject = vitals.Subject(age, "female")
    rng = random.Random(months)
    units = {"temperature": "Cel", "weight": "kg", "height": "cm"}
    for _ in range(50):
        typed = clinical.vital_signs(rng, patient=CHILD, age=age, signs=(), units=units)
        flags = {
            code: vitals.vital_measure(code, v, u, subject=subject).flag for code, (v, u) in typed.items()
        }
        assert not any(flags.values()), flags


def test_kidney_disease_is_never_a_random_visits_reason_nor_drawn_by_age():
    ckd = CONDITIONS["N18.32"]
    assert not ckd.drawn and "N18.32" not in CHRONIC
    assert (ckd.code_in("icd10-who"), ckd.code_in("icd10-cm")) == ("N18.3", "N18.32")
    rng = random.Random(14)
    drawn = {clinical.visit_condition(rng, months=70 * 12, chronic=()).code for _ in range(3000)}
    assert len(drawn) > 10 and "N18.32" not in drawn
    # A patient who has it is seen for it like any long-term condition.
    assert "N18.32" in {clinical.visit_condition(rng, months=840, chronic=["N18.32"]).code for _ in range(50)}


@pytest.mark.parametrize(
    ("units", "haemoglobin", "creatinine_unit"),
    [("SI", ("62", "g/L"), "umol/L"), ("CONVENTIONAL", ("6.2", "g/dL"), "mg/dL")],
)
def test_the_critical_cases_are_critical_in_the_hospitals_units(units, haemoglobin, creatinine_unit):
    anaemia, kidney = CRITICAL_CASES
    assert anaemia.read_back and anaemia.amendment and not kidney.read_back  # older read back, newer waits
    hb_form, hb = clinical.lab_reported(TESTS["718-7"], Decimal(anaemia.values["718-7"]), units)
    assert (f"{hb:f}", hb_form.unit) == haemoglobin
    k_form, potassium = clinical.lab_reported(TESTS["2823-3"], Decimal(kidney.values["2823-3"]), units)
    assert (potassium, k_form.unit) == (Decimal("6.8"), "mmol/L")
    adult = Age(60 * 365, 720, 60)
    for case, code in ((anaemia, "718-7"), (kidney, "2823-3")):
        assert limits_for(TESTS[code], adult, "female").flag(Decimal(case.values[code])) in ("LL", "HH")
    # The rest of the kidney panel: low bicarbonate and raised urea (or BUN) of reduced kidney
    # function, nothing else critical.
    for test in catalogue_tests("BMP", lambda code: units):
        if test.code in ("2823-3", "2160-0"):
            continue
        flag = limits_for(test, adult, "female").flag(Decimal(kidney.values[test.code]))
        assert flag == {"2028-9": "L", "3094-0": "H", "22664-7": "H"}.get(test.code, "N"), test.code
    assert TESTS["2160-0"].form_for(units).unit == creatinine_unit


@pytest.mark.parametrize("sex", ["female", "male"])
def test_the_kidney_cases_creatinine_gives_stage_3b_at_every_adult_age_in_either_unit(sex):
    for years in range(18, 100):
        creatinine = clinical.creatinine_for_egfr(age_years=years, sex=sex, band=(32, 40))
        for units in ("SI", "CONVENTIONAL"):
            form, reported = clinical.lab_reported(TESTS["2160-0"], creatinine, units)
            read = form.conventional.to_canonical(reported)  # as the result service reads it back
            assert 30 <= egfr(creatinine_mg_dl=read, age_years=years, sex=sex).value <= 44, (years, units)


def test_the_content_check_reports_a_critical_case_that_is_not_critical(monkeypatch):
    anaemia, kidney = CRITICAL_CASES
    mild = replace(anaemia, values={**anaemia.values, "718-7": "10.5"})
    monkeypatch.setattr(clinical, "CRITICAL_CASES", [mild, replace(kidney, panel="CBC")])
    problems = clinical.demo_content_problems(price_codes={code for code, _, _, _ in DEMO_PRICES})
    assert "critical case D64.9: nothing critical at 18 (female)" in problems
    assert "critical case N18.32: the condition does not order CBC" in problems


DAY = datetime.date


@pytest.mark.parametrize(
    ("born", "before", "min_age", "earliest", "latest"),
    [
        # An adult with hypertension: within the 20 years before the first visit, 3 months before it.
        (DAY(1950, 6, 1), DAY(2026, 3, 1), 35, DAY(2006, 3, 1), DAY(2025, 12, 1)),
        # Of age for it only lately: not before the age it starts at.
        (DAY(1990, 6, 1), DAY(2026, 3, 1), 35, DAY(2025, 6, 1), DAY(2025, 12, 1)),
        # A child of 4 with asthma: 3 months before the visit, though a little under the usual age.
        (DAY(2022, 1, 15), DAY(2026, 3, 1), 4, DAY(2025, 12, 1), DAY(2025, 12, 1)),
        # Never before birth.
        (DAY(2025, 12, 20), DAY(2026, 3, 1), 0, DAY(2025, 12, 20), DAY(2025, 12, 20)),
    ],
)
def test_a_long_term_conditions_onset_is_before_the_first_visit(born, before, min_age, earliest, latest):
    rng = random.Random(3)
    onsets = {clinical.onset_date(rng, born=born, before=before, min_age=min_age) for _ in range(300)}
    assert earliest - datetime.timedelta(days=1) <= min(onsets) and max(onsets) <= latest
    assert all(born <= onset < before for onset in onsets)
