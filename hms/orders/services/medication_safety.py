"""Medication safety checks of a prescription before it is written: allergies, dose, duplicates.

Each finding is data (a code and a message in people's words), so pages show them and the
API can answer 422 with them. Refusals stop the prescription whatever is said; warnings
stop it until the prescriber gives a reason for going on (the override, audited).

- Allergy: a drug in the group an allergy is recorded to (or containing the substance, or
  in a whole class with it: one penicillin means all) is refused; partial cross-reactivity
  (penicillin and cephalosporins) and a shared class that is not whole (NSAIDs) warn.
  Free-text allergies naming nothing known are matched by name, as before: refused.
  An intolerance (not immune-mediated: nausea with codeine) is recorded as one: whatever
  an allergy would refuse only warns (code `intolerance`), so a reason lets it be given.
- Dose: per dose and per day (dose times the frequency's doses a day) against the
  formulary's limits: adults' (from 12 years), or for a child (under 12) mg/kg times the
  latest recorded weight, capped. Over the limit warns; over twice the limit is refused (a wrong number
  or unit). A dose that cannot be checked (a child with no weight, tablets with no
  strength) warns that it was not checked.
- Duplicate therapy: the same drug, or another of the same class, already active warns.
"""

import datetime
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from hms.core.exceptions import ApplicationError
from hms.encounters.allergens import GROUP_PREFIX, GROUPS, SUBSTANCE_PREFIX, SUBSTANCES, allergen_match
from hms.encounters.models import Allergy
from hms.encounters.selectors import allergy_list_active, weight_latest
from hms.orders.formulary import amount_text, dose_in_unit
from hms.orders.models import FormularyDrug, Prescription
from hms.patients.models import Patient
from hms.patients.normalise import name_normalise

# From 12 the adult limits apply: the BNFc gives most medicines' adult doses from 12 years.
ADULT_AGE = 12
# Beyond this many times the limit a dose is refused outright, not warned.
REFUSE_FACTOR = Decimal(2)
# An allergy text shorter than this is not matched inside drug names ("Fe", "K").
ALLERGY_MIN_MATCH = 3
DOSES_A_DAY: dict[str, int | None] = {
    "OD": 1,
    "BD": 2,
    "TDS": 3,
    "QDS": 4,
    "Q4H": 6,
    "Q6H": 4,
    "Q8H": 3,
    "Q12H": 2,
    "MANE": 1,
    "NOCTE": 1,
    "STAT": 1,
    "WEEKLY": None,  # per dose only
    "PRN": None,  # as needed: the instructions say how often; per dose only
}


@dataclass(frozen=True)
class Finding:
    code: str  # allergy, allergy_cross_reactive, allergy_class, intolerance, dose_per_dose,
    # dose_per_day, dose_unchecked, duplicate_drug, duplicate_class
    message: str


@dataclass
class SafetyReview:
    refusals: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    allergies: list[str] = field(default_factory=list)  # the substances of refusing allergies


def findings_data(findings: list[Finding]) -> list[dict[str, str]]:
    return [asdict(finding) for finding in findings]


class PrescriptionRefused(ApplicationError):
    """The prescription breaks a rule no reason overrides (an allergy, a dose far beyond the limit)."""

    code = "prescription_refused"

    def __init__(self, drug_name: str, review: SafetyReview) -> None:
        reasons = " ".join(finding.message for finding in review.refusals)
        advice = (
            " Choose another drug, or review the allergy record if it is wrong."
            if review.allergies
            else " Check the dose and its unit."
        )
        super().__init__(
            f"{reasons} {drug_name} was not prescribed.{advice}",
            details={
                "drug_name": [finding.message for finding in review.refusals],
                "reasons": findings_data(review.refusals),
                "allergies": review.allergies,
            },
        )
        self.review = review
        self.substances = review.allergies


class OverrideRequired(ApplicationError):
    """The prescription has warnings and no reason was given for going on despite them."""

    code = "override_required"

    def __init__(self, review: SafetyReview) -> None:
        count = len(review.warnings)
        super().__init__(
            f"Check {'this warning' if count == 1 else f'these {count} warnings'}; to prescribe all the "
            "same, give a reason for overriding "
            f"{'it' if count == 1 else 'them'}: " + " ".join(w.message for w in review.warnings),
            details={
                "override_reason": ["Give a reason for prescribing despite the warnings."],
                "warnings": findings_data(review.warnings),
            },
        )
        self.review = review


def _group_members(group_code: str) -> set[str]:
    """The drug groups an allergy group covers: itself, or those of an umbrella group (beta-lactams)."""
    group = GROUPS.get(group_code)
    if group is None:
        return set()
    return {group_code, *group.includes}


def _group_name(code: str) -> str:
    group = GROUPS.get(code)
    return group.name.lower() if group else code


def _recorded(allergy: Allergy) -> str:
    return f"The patient has an active {allergy.get_type_display().lower()} recorded to {allergy.substance}"


def _allergy_findings(
    allergy: Allergy, drug: FormularyDrug | None, drug_name: str, review: SafetyReview
) -> None:
    """What `allergy` says against the drug; an intolerance's refusals become warnings."""
    if allergy.type != Allergy.Type.INTOLERANCE:
        _allergy_refusals(allergy, drug, drug_name, review)
        return
    found = SafetyReview()
    _allergy_refusals(allergy, drug, drug_name, found)
    review.warnings.extend(Finding("intolerance", finding.message) for finding in found.refusals)
    review.warnings.extend(found.warnings)


def _allergy_refusals(
    allergy: Allergy, drug: FormularyDrug | None, drug_name: str, review: SafetyReview
) -> None:
    recorded = _recorded(allergy)
    if drug is None:
        if _name_clash(allergy.substance, drug_name):
            review.refusals.append(Finding("allergy", f"{recorded}; {drug_name} matches it by name."))
            review.allergies.append(allergy.substance)
        return
    code = allergy.allergen_code or allergen_match(allergy.substance)
    drug_groups = set(drug.allergy_groups)
    if code.startswith(GROUP_PREFIX):
        group = code.removeprefix(GROUP_PREFIX)
        covered = _group_members(group) & drug_groups
        if covered:
            review.refusals.append(
                Finding("allergy", f"{recorded}; {drug.name} is one of the {_group_name(min(covered))}.")
            )
            review.allergies.append(allergy.substance)
            return
        _cross_reactive(recorded, {group}, drug, drug_groups, review)
        return
    if code.startswith(SUBSTANCE_PREFIX):
        substance = SUBSTANCES.get(code.removeprefix(SUBSTANCE_PREFIX))
        if substance is None:
            return
        if substance.code in drug.substances:
            review.refusals.append(Finding("allergy", f"{recorded}; {drug.name} contains it."))
            review.allergies.append(allergy.substance)
            return
        shared = set(substance.groups) & drug_groups
        whole = sorted(g for g in shared if GROUPS[g].whole_class)
        if whole:
            review.refusals.append(
                Finding(
                    "allergy_class",
                    f"{recorded}; {drug.name} is also one of the {_group_name(whole[0])}, "
                    "and an allergy to one is an allergy to all.",
                )
            )
            review.allergies.append(allergy.substance)
            return
        if shared:
            review.warnings.append(
                Finding(
                    "allergy_class",
                    f"{recorded}; {drug.name} is also one of the {_group_name(min(shared))} "
                    "(cross-reactivity possible).",
                )
            )
            return
        _cross_reactive(recorded, set(substance.groups), drug, drug_groups, review)
        return
    if _name_clash(allergy.substance, drug.name, *drug.other_names):
        review.refusals.append(Finding("allergy", f"{recorded}; {drug.name} matches it by name."))
        review.allergies.append(allergy.substance)


def _cross_reactive(
    recorded: str, groups: set[str], drug: FormularyDrug, drug_groups: set[str], review: SafetyReview
) -> None:
    for group in sorted(groups):
        for other in GROUPS[group].cross_reactive if group in GROUPS else ():
            if other in drug_groups:
                review.warnings.append(
                    Finding(
                        "allergy_cross_reactive",
                        f"{recorded}; {drug.name} is one of the {_group_name(other)}, which partly "
                        f"cross-react with {_group_name(group)}.",
                    )
                )
                return


def _name_clash(substance: str, *drug_names: str) -> bool:
    """The legacy name rule: the drug's name contains the allergy's text, or the reverse."""
    folded = name_normalise(substance or "")
    if len(folded) < ALLERGY_MIN_MATCH:
        return False
    for name in drug_names:
        drug = name_normalise(name)
        if folded in drug or (len(drug) >= ALLERGY_MIN_MATCH and drug in folded):
            return True
    return False


def _age_years(birth_date: datetime.date, today: datetime.date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


@dataclass(frozen=True)
class _Limits:
    per_dose: Decimal | None
    per_day: Decimal | None
    basis: str  # "for an adult", "for a child of 12 kg (15 mg/kg)"


def _child_limits(drug: FormularyDrug, weight: Decimal | None, review: SafetyReview) -> _Limits | None:
    per_kg = drug.child_per_kg_dose
    if per_kg is None and drug.child_max_dose is None:
        review.warnings.append(
            Finding(
                "dose_unchecked",
                f"The formulary gives no children's dose of {drug.name}; the dose could not be checked.",
            )
        )
        return None
    if per_kg is None:
        return _Limits(drug.child_max_dose, drug.adult_max_daily, "for a child (the children's cap)")
    if weight is None:
        review.warnings.append(
            Finding(
                "dose_unchecked",
                f"No weight is recorded for this child, so the dose of {drug.name} "
                f"({per_kg.normalize():f} {drug.dose_unit}/kg) could not be checked; record a weight.",
            )
        )
        return None
    cap_dose = drug.child_max_dose or drug.adult_max_dose
    per_dose = per_kg * weight
    if cap_dose is not None:
        per_dose = min(per_dose, cap_dose)
    per_day = drug.child_per_kg_daily * weight if drug.child_per_kg_daily is not None else None
    if drug.adult_max_daily is not None:
        per_day = drug.adult_max_daily if per_day is None else min(per_day, drug.adult_max_daily)
    basis = f"for a child of {weight.normalize():f} kg ({per_kg.normalize():f} {drug.dose_unit}/kg"
    if drug.child_per_kg_daily is not None:
        basis += f", {drug.child_per_kg_daily.normalize():f} {drug.dose_unit}/kg a day"
    return _Limits(per_dose, per_day, basis + ", capped at the usual maximum)")


def _dose_findings(
    *,
    patient: Patient,
    drug: FormularyDrug,
    dose: Decimal,
    dose_unit: str,
    strength: str,
    frequency: str,
    today: datetime.date,
    review: SafetyReview,
) -> None:
    amount = dose_in_unit(dose=dose, dose_unit=dose_unit, strength=strength, wanted=drug.dose_unit)
    if amount is None:
        review.warnings.append(
            Finding(
                "dose_unchecked",
                f"A dose in {dose_unit} of {drug.name} cannot be measured in {drug.dose_unit} without "
                "the product's strength; the dose could not be checked (choose the strength).",
            )
        )
        return
    if _age_years(patient.birth_date, today) < ADULT_AGE:
        weight = weight_latest(patient_id=patient.pk)
        limits = _child_limits(drug, weight.value if weight is not None else None, review)
        if limits is None:
            return
    else:
        limits = _Limits(drug.adult_max_dose, drug.adult_max_daily, "for an adult")
    doses_a_day = DOSES_A_DAY.get(frequency)
    checks = [("dose_per_dose", amount, limits.per_dose, "a dose")]
    if doses_a_day is not None:
        checks.append(("dose_per_day", amount * doses_a_day, limits.per_day, "a day"))
    for code, given, limit, per in checks:
        if limit is None or given <= limit:
            continue
        text = (
            f"{drug.name} {amount_text(given, drug.dose_unit)} {per} is more than the usual maximum of "
            f"{amount_text(limit, drug.dose_unit)} {per} {limits.basis}"
        )
        if given > limit * REFUSE_FACTOR:
            review.refusals.append(Finding(code, text + ", more than twice it."))
        else:
            review.warnings.append(Finding(code, text + "."))


def _duplicate_findings(
    *,
    patient: Patient,
    drug: FormularyDrug | None,
    drug_name: str,
    now: datetime.datetime,
    review: SafetyReview,
) -> None:
    running = (
        Prescription.objects.live()
        .filter(patient=patient, status=Prescription.Status.ACTIVE, ends_at__gt=now)
        .select_related("formulary_drug")
        .order_by("starts_at", "id")
    )
    folded = name_normalise(drug_name)
    for other in running:
        other_drug = other.formulary_drug
        same = (
            other_drug.pk == drug.pk
            if drug is not None and other_drug is not None
            else name_normalise(other.drug_name) == folded
        )
        if same:
            review.warnings.append(
                Finding(
                    "duplicate_drug",
                    f"{other.drug_name} is already prescribed and active ({_course(other)}).",
                )
            )
        elif drug is not None and other_drug is not None and other_drug.drug_class == drug.drug_class:
            review.warnings.append(
                Finding(
                    "duplicate_class",
                    f"{other.drug_name} is already prescribed and active; it and {drug.name} are both "
                    f"{drug.drug_class.split(' (')[0].lower()}.",
                )
            )


def _course(prescription: Prescription) -> str:
    return (
        f"{prescription.dose.normalize():f} {prescription.get_dose_unit_display()} "
        f"{prescription.get_frequency_display().split(':')[0]}"
    )


def prescription_review(
    *,
    patient: Patient,
    drug: FormularyDrug | None,
    drug_name: str,
    dose: Decimal,
    dose_unit: str,
    strength: str,
    frequency: str,
    now: datetime.datetime,
    today: datetime.date,
) -> SafetyReview:
    """What stands against prescribing `drug` (or `drug_name`, outside the formulary) to `patient`."""
    review = SafetyReview()
    for allergy in allergy_list_active(patient_id=patient.pk):
        _allergy_findings(allergy, drug, drug_name, review)
    if drug is not None:
        _dose_findings(
            patient=patient,
            drug=drug,
            dose=dose,
            dose_unit=dose_unit,
            strength=strength,
            frequency=frequency,
            today=today,
            review=review,
        )
    _duplicate_findings(patient=patient, drug=drug, drug_name=drug_name, now=now, review=review)
    return review
