"""What the demo's doctors do with the demo's content (hms.demo.data): who has which long-term
condition, why a patient comes today, what is prescribed (dosed for the patient, leaving out
what their allergies rule out), plausible vital signs and lab values, and the wording of the
notes. Arithmetic on a random.Random, no database.

`demo_content_problems()` checks the content against the clinical apps' own rules (billable
codes, valid dose units/routes/frequencies, catalogue tests, price list codes); the
seed refuses to run if it reports anything.
"""

import datetime
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError

from hms.clinical.ages import Age
from hms.clinical.ranges import reference_band
from hms.clinical.renal import egfr
from hms.demo.data.allergies import ALTERNATIVES, CROSS_REACTIONS
from hms.demo.data.conditions import (
    CHRONIC,
    CHRONIC_RISKS,
    CONDITIONS,
    SPECIALTY_FOCUS,
    ChronicRisk,
    Condition,
)
from hms.demo.data.critical import CREATININE_STEP, CRITICAL_CASES
from hms.demo.data.drugs import COUNTRY_DRUGS, DRUGS, ByAge, Dose, PerKg, Regimen
from hms.encounters import vitals
from hms.encounters.icd10 import CODE_SETS, Icd10Code, code_set, icd10_lookup
from hms.orders.lab_catalogue import (
    CONVENTIONAL,
    SI,
    LabPanel,
    LabTest,
    Limits,
    Range,
    ResultForm,
    UnitsFor,
    catalogue_lookup,
    catalogue_tests,
    limits_for,
)
from hms.orders.models import Prescription
from hms.orders.services.lab_results import CREATININE
from hms.patients.normalise import name_normalise

D = Decimal


Rx = Regimen[Decimal]  # a drug as prescribed for one patient: its dose settled


def rx_text(rx: Rx) -> str:
    """The prescription as a note's plan says it: "Amoxicillin 500 mg oral TDS for 7 days"."""
    course = f" for {rx.duration_days} days" if rx.duration_days else ""
    return f"{rx.drug_name} {rx.dose.normalize():f} {rx.dose_unit} {rx.route} {rx.frequency}{course}"


def rx_prescription(rx: Rx, **fields: Any) -> Prescription:
    """An unsaved Prescription row of `rx`; `fields` add the rest (patient, prescriber...)."""
    return Prescription(
        drug_name=rx.drug_name,
        dose=rx.dose,
        dose_unit=rx.dose_unit,
        route=rx.route,
        frequency=rx.frequency,
        duration_days=rx.duration_days,
        instructions=rx.instructions,
        **fields,
    )


@dataclass(frozen=True)
class Person:
    """What the demo needs to know about a patient to treat them plausibly."""

    months: int  # age in whole months
    sex: str
    weight_kg: Decimal  # baseline, varies a little per visit
    height_cm: Decimal

    @property
    def age(self) -> int:
        """Whole years."""
        return self.months // 12

    @property
    def is_adult(self) -> bool:
        return self.age >= 12 and self.weight_kg >= 40


def rx_for(drug: str, patient: Person, country: str = "") -> Rx:
    """The DRUGS entry `drug` (the country's own product where COUNTRY_DRUGS has one) as prescribed
    for `patient`: the child's regimen for a child, if any."""
    entry = COUNTRY_DRUGS.get(country, {}).get(drug) or DRUGS[drug]
    regimen = entry.child if entry.child is not None and not patient.is_adult else entry.adult
    return Regimen(
        regimen.drug_name,
        _dose(regimen.dose, patient),
        regimen.dose_unit,
        regimen.route,
        regimen.frequency,
        regimen.duration_days,
        regimen.instructions,
        regimen.price_code,
    )


def _dose(dose: Dose, patient: Person) -> Decimal:
    if isinstance(dose, PerKg):
        by_weight = _round_to(dose.mg_per_kg * patient.weight_kg, dose.step)
        return max(D(dose.step), min(D(dose.most), by_weight))
    if isinstance(dose, ByAge):
        return next((band_dose for under, band_dose in dose.bands if patient.age < under), dose.older)
    return dose


def _round_to(value: Decimal, step: int) -> Decimal:
    return (value / step).quantize(D(1), rounding=ROUND_HALF_UP) * step


def icd10_entry(condition: Condition, system: str | None = None) -> Icd10Code:
    """A demo condition's entry in the code system (the hospital's unless given); demo_content_problems
    checks that every condition has a codable entry in every installed system."""
    codes = code_set(system)
    entry = icd10_lookup(condition.code_in(codes.key), codes.key)
    assert entry is not None, condition.code
    return entry


def lab_price_code(code: str) -> str:
    """The price list code a lab order is billed under: the panel's or the test's LOINC code."""
    item = catalogue_lookup(code)
    assert item is not None, code
    return item.code


# Patients


def body_baseline(rng: random.Random, *, age_months: int, sex: str) -> tuple[Decimal, Decimal]:
    """A plausible (height cm, weight kg) for the age and sex."""
    years = age_months / 12
    if years < 1:
        height = 50 + age_months * 2.1 + rng.uniform(-2, 2)
        weight = 3.4 + age_months * 0.55 + rng.uniform(-0.4, 0.4)
    elif years < 18:
        grown = 76 + 6.2 * min(years - 1, 11)
        if years > 12:
            grown += (years - 12) * (3.2 if sex == "female" else 5.8)
        height = grown + rng.uniform(-5, 5)
        weight = rng.uniform(14.5, 20.5) * (height / 100) ** 2
    else:
        height = rng.uniform(150, 170) if sex == "female" else rng.uniform(162, 186)
        weight = rng.uniform(19.5, 24.5 + min(years, 60) / 6) * (height / 100) ** 2
    return D(f"{height:.1f}"), D(f"{weight:.1f}")


def chronic_conditions(rng: random.Random, *, age: int, sex: str) -> list[str]:
    """The long-term conditions a patient of this age has (often none)."""
    return [code for code in CHRONIC if rng.random() < _chance(CHRONIC_RISKS[code], age=age, sex=sex)]


def _chance(risk: ChronicRisk, *, age: int, sex: str) -> float:
    if age < risk.min_age or (risk.max_age is not None and age > risk.max_age):
        return 0
    chance = risk.chance_female if sex == "female" and risk.chance_female is not None else risk.chance
    if risk.per_year:
        chance = min(risk.most, chance + (age - risk.min_age) * risk.per_year)
    return chance


def visit_condition(
    rng: random.Random, *, months: int, chronic: Sequence[str], specialty: str = ""
) -> Condition:
    """Why the patient (`months` old on the day) came: a review of a long-term condition, or
    something new that fits the age (never a fever under 3 months: Condition.fits)."""
    if chronic and rng.random() < 0.55:
        return CONDITIONS[rng.choice(list(chronic))]
    focus = SPECIALTY_FOCUS.get(specialty, {})
    fitting = [c for c in CONDITIONS.values() if c.drawn and c.fits(months) and c.code not in CHRONIC]
    fitting += [CONDITIONS[code] for code in chronic if code in focus]
    weights = [c.weight * focus.get(c.code, 1) for c in fitting]
    return rng.choices(fitting, weights=weights)[0]


def prescriptions_for(
    conditions: Sequence[Condition], patient: Person, allergies: Sequence[str], country: str = ""
) -> list[tuple[str, Rx]]:
    """(drug key, Rx) for the conditions treated today, leaving out what the allergies rule out;
    the country's own products where it has them (the sachet of oral rehydration salts)."""
    substances = [name_normalise(s) for s in allergies]
    ruled_out = {drug for s in substances for drug in CROSS_REACTIONS.get(s, ())}
    chosen: list[tuple[str, Rx]] = []
    names: set[str] = set()
    for condition in conditions:
        for key in condition.drugs:
            if key in ruled_out:
                key = ALTERNATIVES.get(key, "")
                if not key or key in ruled_out:
                    continue
            rx = rx_for(key, patient, country)
            if rx.drug_name in names or _name_clash(rx.drug_name, substances):
                continue
            names.add(rx.drug_name)
            chosen.append((key, rx))
    return chosen


def dose_stepped(prescribed: Sequence[tuple[str, Rx]], condition: Condition) -> list[tuple[str, Rx]]:
    """`prescribed` with the dose of the condition's results_dose drug raised by its step (a raised
    TSH on levothyroxine: 25 micrograms more a day)."""
    if condition.results_dose is None:
        return list(prescribed)
    drug, step = condition.results_dose
    return [(key, replace(rx, dose=rx.dose + D(step)) if key == drug else rx) for key, rx in prescribed]


def _name_clash(drug_name: str, substances: Sequence[str]) -> bool:
    """The orders service's own rule: a drug whose name contains an allergy's substance, or the reverse."""
    drug = name_normalise(drug_name)
    return any(len(s) >= 3 and (s in drug or (len(drug) >= 3 and drug in s)) for s in substances)


# Vital signs, as a nurse types them: values and units.


def vital_signs(
    rng: random.Random, *, patient: Person, age: Age, signs: Sequence[str], units: Mapping[str, str]
) -> dict[str, tuple[str, str]]:
    """{LOINC code: (value, unit)} for one visit of a patient of `age`: the usual values inside the
    reference bands of that age (hms.clinical.ranges, as the flags read them), abnormal where the
    condition says. Blood pressure from 3 years."""
    heart = _usual(rng, vitals.HEART_RATE, age, patient.sex)
    breaths = _usual(rng, vitals.RESPIRATORY_RATE, age, patient.sex)
    band = reference_band(vitals.TEMPERATURE, age, patient.sex)  # a newborn's is narrower
    assert band is not None and band.low is not None and band.high is not None, age
    temperature = rng.uniform(max(36.3, float(band.low) + 0.15), min(37.3, float(band.high) - 0.15))
    spo2 = rng.randint(96, 99)
    measures_pressure = age.years >= 3
    systolic, diastolic = (
        (_usual(rng, vitals.SYSTOLIC, age, patient.sex), _usual(rng, vitals.DIASTOLIC, age, patient.sex))
        if measures_pressure
        else (0, 0)
    )
    if "fever" in signs and rng.random() < 0.6:
        temperature = rng.uniform(38.0, 39.4)
        heart += rng.randint(10, 20)
    if "tachycardia" in signs:
        heart += rng.randint(8, 22)
    if "wheeze" in signs:
        breaths += rng.randint(4, 9)
        spo2 = rng.randint(92, 97)
    if "hypertensive" in signs and age.years >= 18 and rng.random() < 0.7:
        systolic, diastolic = rng.randint(140, 172), rng.randint(88, 104)
    values: dict[str, tuple[str, str]] = {
        vitals.HEART_RATE: (str(heart), "/min"),
        vitals.RESPIRATORY_RATE: (str(breaths), "/min"),
        vitals.SPO2: (str(spo2), "%"),
    }
    if units["temperature"] == "[degF]":
        values[vitals.TEMPERATURE] = (f"{temperature * 9 / 5 + 32:.1f}", "[degF]")
    else:
        values[vitals.TEMPERATURE] = (f"{temperature:.1f}", "Cel")
    if measures_pressure:
        values[vitals.SYSTOLIC] = (str(systolic), "mm[Hg]")
        values[vitals.DIASTOLIC] = (str(min(diastolic, systolic - 25)), "mm[Hg]")
    weight = patient.weight_kg + D(f"{rng.uniform(-0.6, 0.6):.1f}") * (1 if age.years >= 12 else D("0.2"))
    if units["weight"] == "[lb_av]":
        values[vitals.WEIGHT] = (f"{weight / D('0.45359237'):.1f}", "[lb_av]")
    else:
        values[vitals.WEIGHT] = (f"{weight:.1f}", "kg")
    if units["height"] == "[in_i]":
        values[vitals.HEIGHT] = (f"{patient.height_cm / D('2.54'):.1f}", "[in_i]")
    else:
        values[vitals.HEIGHT] = (f"{patient.height_cm:.1f}", "cm")
    return values


def _usual(rng: random.Random, code: str, age: Age, sex: str) -> int:
    """A usual value of a vital sign at `age`: in the middle of its reference band, or just under
    the upper limit where the band has no lower one (a child's blood pressure: the 90th centile)."""
    band = reference_band(code, age, sex)
    assert band is not None and band.high is not None, (code, age)
    if band.low is None:
        return rng.randint(int(band.high) - 15, int(band.high) - 3)
    margin = (band.high - band.low) * D("0.15")
    return rng.randint(int(band.low + margin) + 1, int(band.high - margin))


def vitals_text(measured: Mapping[str, Decimal]) -> str:
    """The vital signs as a note's objective section starts: "BP 128/82 mmHg, HR 76/min, ..."."""
    parts = []
    if vitals.SYSTOLIC in measured and vitals.DIASTOLIC in measured:
        parts.append(f"BP {measured[vitals.SYSTOLIC]:f}/{measured[vitals.DIASTOLIC]:f} mmHg")
    labels = (
        (vitals.HEART_RATE, "HR", "/min"),
        (vitals.RESPIRATORY_RATE, "RR", "/min"),
        (vitals.TEMPERATURE, "T", " °C"),
        (vitals.SPO2, "SpO2", "%"),
        (vitals.WEIGHT, "weight", " kg"),
        (vitals.BMI, "BMI", ""),
    )
    for code, label, unit in labels:
        if code in measured:
            parts.append(f"{label} {measured[code].normalize():f}{unit}")
    return ", ".join(parts) + "."


# Lab values: drawn in the test's conventional unit (the unit of its ranges), reported in the
# hospital's (SI in Bangladesh and the United Kingdom, conventional in the United States).


@dataclass(frozen=True)
class LabReading:
    """A demo result as the laboratory reports it: `value` in the unit of `form` (the hospital's
    reporting unit and the LOINC code that matches it), `conventional` the same value in the
    ranges' unit, flagged against the patient's `limits` (age and sex) as the result service does."""

    form: ResultForm
    value: Decimal
    conventional: Decimal
    limits: Limits
    flag: str


def lab_reading(
    rng: random.Random,
    test: LabTest,
    *,
    age: Age,
    sex: str,
    ranges: Mapping[str, tuple[str, str]],
    lab_units: str,
) -> LabReading:
    """A result for `test` for a patient of `age` and `sex`, in the hospital's `lab_units`: within
    `ranges` (conventional unit) if the condition sets one, else mostly within the patient's
    reference interval (a child's own where hms.clinical has one)."""
    limits = limits_for(test, age, sex)
    reference = limits.reference
    if reference.low is None and reference.high is None:  # a child without a band: the adult's
        reference = test.reference_for(sex)
    drawn = lab_value(rng, test, reference=reference, ranges=ranges)
    form, value = lab_reported(test, drawn, lab_units)
    conventional = form.conventional.to_canonical(value)
    return LabReading(form, value, conventional, limits, limits.flag(conventional))


def lab_reported(test: LabTest, conventional: Decimal, lab_units: str) -> tuple[ResultForm, Decimal]:
    """A value of `test` in its conventional unit as a laboratory reporting `lab_units` gives it:
    the form (unit and LOINC code) and the number, rounded as that unit is."""
    form = test.form_for(lab_units)
    return form, form.rounded(form.conventional.from_canonical(conventional))


def creatinine_for_egfr(*, age_years: int, sex: str, band: tuple[int, int]) -> Decimal:
    """The lowest creatinine (mg/dL, in steps of CREATININE_STEP) whose CKD-EPI eGFR for an adult of
    this age and sex is at most the top of `band` (demo_content_problems checks it is in the band)."""
    creatinine = CREATININE_STEP
    while (estimate := egfr(creatinine_mg_dl=creatinine, age_years=age_years, sex=sex).value) is not None:
        if estimate <= band[1]:
            return creatinine
        creatinine += CREATININE_STEP
    raise ValueError(f"No eGFR for an adult of {age_years} years, sex {sex!r}.")


def onset_date(
    rng: random.Random, *, born: datetime.date, before: datetime.date, min_age: int
) -> datetime.date:
    """When a long-term condition began: from the age it starts at (at most 20 years back) to three
    months before `before` (the patient's first visit here); never before birth."""
    latest = max(born, before - datetime.timedelta(days=90))
    of_age = born + datetime.timedelta(days=round(365.25 * min_age))
    earliest = min(latest, max(of_age, before - datetime.timedelta(days=round(365.25 * 20))))
    return earliest + datetime.timedelta(days=rng.randint(0, (latest - earliest).days))


def lab_value(
    rng: random.Random, test: LabTest, *, reference: Range, ranges: Mapping[str, tuple[str, str]]
) -> Decimal:
    """A value of `test` in its conventional unit: within `ranges` if the condition sets one, else
    mostly within `reference`."""
    if test.code in ranges:
        low, high = (D(v) for v in ranges[test.code])
    else:
        low = reference.low if reference.low is not None else (reference.high or D(1)) * D("0.6")
        high = reference.high if reference.high is not None else low * D("1.6")
        span = high - low
        if rng.random() < 0.07:  # a mildly abnormal result now and then
            low, high = (
                (high, high + span * D("0.15")) if rng.random() < 0.6 else (low - span * D("0.1"), low)
            )
        else:
            low, high = low + span * D("0.1"), high - span * D("0.1")
    value = D(str(rng.uniform(float(low), float(high))))
    return max(D(0), value.quantize(D(1).scaleb(-test.decimals), rounding=ROUND_HALF_UP))


def lab_tests(code: str, lab_units_for: UnitsFor) -> tuple[LabPanel | LabTest, list[LabTest]]:
    """The catalogue item `code` and its tests as the hospital orders them (urea or BUN)."""
    item = catalogue_lookup(code)
    assert item is not None, code
    return item, catalogue_tests(code, lab_units_for)


# Notes


def note_sections(
    rng: random.Random,
    *,
    condition: Condition,
    code: str,
    description: str,
    secondary: Sequence[tuple[str, str]],
    vitals_summary: str,
    prescriptions: Sequence[Rx],
    lab_names: Sequence[str],
    procedure_name: str,
    follow_up: str = "",
) -> dict[str, str]:
    """The four SOAP sections of a visit's note; `follow_up` opens the plan (acting on an earlier
    result)."""
    objective = vitals_summary + " " + condition.findings
    if procedure_name:
        objective += f" {procedure_name} done in clinic."
    assessment = f"{description} ({code})."
    if secondary:
        assessment += " Also: " + "; ".join(f"{text} ({code})" for code, text in secondary) + "."
    plan = [follow_up] if follow_up else []
    if prescriptions:
        plan.append("Prescribed: " + "; ".join(rx_text(rx) for rx in prescriptions) + ".")
    if lab_names:
        plan.append("Tests: " + ", ".join(lab_names) + ".")
    plan.append(condition.plan)
    return {
        "subjective": rng.choice(condition.complaints),
        "objective": objective,
        "assessment": assessment,
        "plan": " ".join(plan),
    }


# Checks


def demo_content_problems(*, price_codes: set[str]) -> list[str]:
    """Everything in the demo's content the clinical apps would refuse; empty when all is well."""
    problems = []
    for condition in CONDITIONS.values():
        for codes in CODE_SETS.values():
            entry = icd10_lookup(condition.code_in(codes.key), codes.key)
            if entry is None or not entry.billable:
                problems.append(f"{condition.code_in(codes.key)} is not a codable {codes.label} code")
        for code, _ in condition.labs:
            if catalogue_lookup(code) is None:
                problems.append(f"{condition.code}: lab {code} is not in the catalogue")
            elif lab_price_code(code) not in price_codes:
                problems.append(f"{condition.code}: lab {code} has no price")
        if condition.procedure and condition.procedure[0] not in price_codes:
            problems.append(f"{condition.code}: procedure {condition.procedure[0]} has no price")
        for key in condition.drugs:
            if key not in DRUGS:
                problems.append(f"{condition.code}: unknown drug {key}")
    bodies = [(8, "7.5", "68"), (36, "14", "95"), (108, "28", "132"), (180, "52", "160")]
    bodies += [(540, "78", "172"), (984, "64", "160")]
    samples = [Person(m, sex, D(w), D(h)) for m, w, h in bodies for sex in ("female", "male")]
    countries = {"": DRUGS, **COUNTRY_DRUGS}  # every country's own products too
    for country, key in ((country, key) for country, drugs in countries.items() for key in drugs):
        for patient in samples:
            rx = rx_for(key, patient, country)
            row = rx_prescription(rx, prescriber_id=1)
            try:
                row.full_clean(
                    exclude=["encounter", "patient", "starts_at", "ends_at"], validate_constraints=False
                )
            except ValidationError as exc:
                problems.append(
                    f"drug {key} ({country or 'default'}) for age {patient.age}: {exc.message_dict}"
                )
            if (rx.frequency == "STAT") != (rx.duration_days is None):
                problems.append(f"drug {key}: a STAT dose has no duration, any other dose has one")
            if rx.price_code and rx.price_code not in price_codes:
                problems.append(f"drug {key}: price code {rx.price_code} is not on the price list")
    return problems + _critical_case_problems()


def _reported_in(units: str) -> UnitsFor:
    """A laboratory that reports every test in `units` (SI or CONVENTIONAL)."""
    return lambda code: units


def _critical_case_problems() -> list[str]:
    """Each critical case's condition orders its panel; every test of the panel (in SI and in
    conventional units) has a value, one of them critical for the patients the case prefers; the
    creatinine found for its eGFR band lies in the band."""
    problems = []
    for case in CRITICAL_CASES:
        condition = CONDITIONS.get(case.condition)
        if condition is None or case.panel not in {code for code, _ in condition.labs}:
            problems.append(f"critical case {case.condition}: the condition does not order {case.panel}")
            continue
        sexes = [case.sex] if case.sex else ["female", "male"]
        for years, sex in ((years, sex) for years in case.ages for sex in sexes):
            age = Age(years * 365, years * 12, years)
            for units in (SI, CONVENTIONAL):
                flags = set()
                for test in catalogue_tests(case.panel, _reported_in(units)):
                    if test.code == CREATININE and case.egfr is not None:
                        found = creatinine_for_egfr(age_years=years, sex=sex, band=case.egfr)
                        estimate = egfr(creatinine_mg_dl=found, age_years=years, sex=sex).value
                        if estimate is None or estimate < case.egfr[0]:
                            problems.append(f"critical case {case.condition}: no creatinine for its eGFR")
                    elif test.code not in case.values:
                        problems.append(f"critical case {case.condition}: no value of {test.code}")
                    else:
                        flags.add(limits_for(test, age, sex).flag(D(case.values[test.code])))
                if not flags & {"LL", "HH"}:
                    problems.append(f"critical case {case.condition}: nothing critical at {years} ({sex})")
    return problems
