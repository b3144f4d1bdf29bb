"""Why the demo's patients come to clinic: common outpatient conditions (billable ICD-10-CM codes,
and the WHO's ICD-10 code where it differs) with what the patient says, what the doctor finds and
plans, the drugs, lab tests and procedures they lead to, and how the vital signs and lab values
lean. The long-term ones come with the chance that a patient of a given age and sex has them.
The conditions are data/conditions.toml."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from hms.core.datafiles import data_file, data_rows

# An infant younger than this (months) with a fever is at high risk of serious bacterial
# infection and is assessed in hospital, never sent home from a clinic (NICE NG143, Fever in
# under 5s: assessment and initial management (2019, updated 2021), 1.2 and 1.5: a temperature of
# 38 °C or more under 3 months is a "red" feature, referred urgently to paediatric care). The
# demo's clinics therefore see no feverish illness at that age.
FEBRILE_INFANT_MONTHS = 3


@dataclass(frozen=True)
class Condition:
    code: str  # ICD-10-CM, billable
    reason: str  # what the appointment is booked for
    complaints: tuple[str, ...]  # the subjective part, one chosen per visit
    findings: str  # examination, added to the vital signs
    plan: str
    drugs: tuple[str, ...] = ()
    labs: tuple[tuple[str, float], ...] = ()  # (catalogue code or panel abbreviation, chance)
    procedure: tuple[str, float] | None = None  # (price code, chance)
    min_age: int = 0
    max_age: int = 120
    weight: int = 1  # how common, among the conditions that fit the patient
    signs: tuple[str, ...] = ()  # vital sign tendencies: hypertensive, fever, wheeze, tachycardia
    lab_ranges: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # LOINC -> abnormal range
    lab_ranges_by_sex: Mapping[str, Mapping[str, tuple[str, str]]] = field(default_factory=dict)
    urgent_labs: bool = False  # its lab orders are urgent, not routine
    who_code: str = ""  # the WHO's ICD-10 code where it differs (ICD-10-CM's extra characters)
    # What the doctor does once the results the condition leans abnormal come back abnormal (the
    # note's amendment when they are reviewed); empty: nothing beyond the plan.
    results_plan: str = ""
    results_dose: tuple[str, str] | None = None  # (drug, step): its dose raised by the step then
    # False: never drawn as a visit's reason or a patient's long-term condition; the demo gives it
    # to a chosen patient (data/critical.py).
    drawn: bool = True

    def code_in(self, system: str) -> str:
        """The condition's code in a code system ("icd10-who" or "icd10-cm")."""
        return self.who_code if system == "icd10-who" and self.who_code else self.code

    def fits(self, months: int) -> bool:
        """Whether a patient `months` old may come with it: within its ages, and no fever under
        FEBRILE_INFANT_MONTHS (such an infant is referred, not seen in clinic)."""
        if "fever" in self.signs and months < FEBRILE_INFANT_MONTHS:
            return False
        return self.min_age <= months // 12 <= self.max_age


CONDITIONS: dict[str, Condition] = {
    c.code: c for c in data_rows(Condition, data_file("hms.demo", "data/conditions.toml")["condition"])
}


@dataclass(frozen=True)
class ChronicRisk:
    """The chance that a patient has a long-term condition: none outside min_age..max_age (years,
    inclusive); from min_age, `chance` (`chance_female` for women, if set) rising by `per_year`
    to at most `most`."""

    min_age: int
    chance: float
    per_year: float = 0.0
    most: float = 1.0
    max_age: int | None = None
    chance_female: float | None = None


# The long-term conditions, in the order a patient's are drawn: seen again and again.
CHRONIC_RISKS = {
    "I10": ChronicRisk(35, 0.12, per_year=0.01, most=0.55),
    "E11.9": ChronicRisk(35, 0.08, per_year=0.005, most=0.3),
    "E78.5": ChronicRisk(40, 0.18),
    "E03.9": ChronicRisk(18, 0.02, chance_female=0.08),
    "J45.909": ChronicRisk(4, 0.07),
    "M17.9": ChronicRisk(55, 0.15),
    "F41.9": ChronicRisk(18, 0.05, max_age=70),
}
CHRONIC = tuple(CHRONIC_RISKS)
# A portal user's record shows these (those their age fits), if it drew no long-term condition.
PORTAL_PATIENT_CONDITIONS = ("I10", "E78.5")

# Conditions a specialist sees more of: code -> weight multiplier.
SPECIALTY_FOCUS = {"Cardiology": {"I10": 4, "E78.5": 4, "R07.9": 6}}
