"""How an encounter's vital signs are shown: the latest value of each, in the vital-sign table's
order, and the early warning score of the latest complete set (NEWS2 for adults, the Brighton
PEWS for children under 16)."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from hms.clinical.ages import age_on
from hms.clinical.news2 import MINIMUM_AGE_YEARS, News2Input, News2NotApplicable, News2Score, news2_score
from hms.clinical.pews import PewsInput, PewsNotApplicable, PewsScore, pews_score
from hms.encounters import vitals
from hms.encounters.models import Observation
from hms.encounters.selectors import VitalRow
from hms.encounters.vitals import VITALS
from hms.scheduling.wallclock import hospital_zone

ORDER = {code: place for place, code in enumerate(VITALS)}

# What NEWS2 reads, beside air or oxygen (an oxygen flow or FiO2 in the same set).
NEWS2_CODES = (
    vitals.RESPIRATORY_RATE,
    vitals.SPO2,
    vitals.SYSTOLIC,
    vitals.HEART_RATE,
    vitals.CONSCIOUSNESS,
    vitals.TEMPERATURE,
)
# What the Brighton PEWS reads, beside air or oxygen; nebulisers and post-operative vomiting add
# to it only when recorded as yes.
PEWS_CODES = (
    vitals.PEWS_BEHAVIOUR,
    vitals.SKIN_COLOUR,
    vitals.CAPILLARY_REFILL,
    vitals.HEART_RATE,
    vitals.RESPIRATORY_RATE,
    vitals.WORK_OF_BREATHING,
)


def vitals_latest(rows: list[VitalRow] | None) -> list[VitalRow]:
    """The newest reading of each vital sign not entered in error, in the table's order (a blood
    pressure panel is shown by its systolic and diastolic rows)."""
    latest: dict[str, VitalRow] = {}
    for row in rows or ():
        observation = row.observation
        if observation.is_voided or observation.loinc_code == vitals.BP_PANEL:
            continue
        shown = latest.get(observation.loinc_code)
        if shown is None or _newer(observation, shown.observation):
            latest[observation.loinc_code] = row
    return sorted(latest.values(), key=lambda row: ORDER.get(row.observation.loinc_code, len(ORDER)))


def _newer(one: Observation, other: Observation) -> bool:
    return (one.effective_at, one.recorded_at, one.pk) > (other.effective_at, other.recorded_at, other.pk)


@dataclass(frozen=True)
class EarlyWarning:
    """The score of one set of observations taken together, or why there is none."""

    taken_at: datetime.datetime
    score: News2Score | None
    note: str = ""
    pews: PewsScore | None = None  # a child's score (score is then None)


def early_warning(
    observations: Iterable[Observation], birth_date: datetime.date, sex: str = ""
) -> EarlyWarning | None:
    """The score of the newest set (the values recorded together) complete for the patient's age on
    the day it was taken: NEWS2 from 16 years, the Brighton PEWS below (read against the reference
    interval for the age and `sex`, the sex for clinical use); None when no set is complete."""
    sets: dict[datetime.datetime, dict[str, Observation]] = {}
    for row in observations:
        if not row.is_voided:
            sets.setdefault(row.recorded_at, {})[row.loinc_code] = row
    for recorded_at in sorted(sets, reverse=True):
        found = sets[recorded_at]
        child, values = _pews_input(found), _news2_input(found)
        if child is None and values is None:
            continue  # the time zone (and so the age) is only looked up for a complete set
        taken = next(iter(found.values())).effective_at
        age = age_on(birth_date, timezone.localtime(taken, hospital_zone()).date())
        if age.years < MINIMUM_AGE_YEARS:
            if child is None:
                continue
            try:
                return EarlyWarning(taken, None, pews=pews_score(child, age=age, sex=sex))
            except PewsNotApplicable as reason:
                return EarlyWarning(taken, None, str(reason))
        if values is None:
            continue
        try:
            return EarlyWarning(taken, news2_score(values, age_years=age.years))
        except News2NotApplicable as reason:
            return EarlyWarning(taken, None, str(reason))
    return None


def _complete(found: dict[str, Observation], codes: tuple[str, ...]) -> bool:
    """Whether the set holds each of `codes` and says air or oxygen (an oxygen flow or FiO2)."""
    return all(code in found for code in codes) and (vitals.OXYGEN_FLOW in found or vitals.FIO2 in found)


def _number(found: dict[str, Observation], code: str) -> Decimal:
    number = found[code].value
    return Decimal(0) if number is None else Decimal(number)


def _pews_input(found: dict[str, Observation]) -> PewsInput | None:
    if not _complete(found, PEWS_CODES):
        return None
    flow, fio2 = found.get(vitals.OXYGEN_FLOW), found.get(vitals.FIO2)

    def said_yes(code: str) -> bool:
        return code in found and found[code].value_code == "yes"

    return PewsInput(
        behaviour=found[vitals.PEWS_BEHAVIOUR].value_code,
        skin_colour=found[vitals.SKIN_COLOUR].value_code,
        capillary_refill_s=_number(found, vitals.CAPILLARY_REFILL),
        heart_rate=_number(found, vitals.HEART_RATE),
        respiratory_rate=_number(found, vitals.RESPIRATORY_RATE),
        work_of_breathing=found[vitals.WORK_OF_BREATHING].value_code,
        fio2=None if fio2 is None else _number(found, vitals.FIO2),
        oxygen_flow=None if flow is None else _number(found, vitals.OXYGEN_FLOW),
        nebulisers=said_yes(vitals.NEBULISERS),
        post_operative_vomiting=said_yes(vitals.POST_OP_VOMITING),
    )


def _news2_input(found: dict[str, Observation]) -> News2Input | None:
    if not _complete(found, NEWS2_CODES):
        return None
    flow, fio2 = found.get(vitals.OXYGEN_FLOW), found.get(vitals.FIO2)

    on_oxygen = (flow is not None and (flow.value or 0) > 0) or (
        fio2 is not None and (fio2.value or 0) > vitals.AIR_FIO2
    )
    return News2Input(
        respiratory_rate=_number(found, vitals.RESPIRATORY_RATE),
        spo2=_number(found, vitals.SPO2),
        on_oxygen=on_oxygen,
        systolic=_number(found, vitals.SYSTOLIC),
        pulse=_number(found, vitals.HEART_RATE),
        consciousness=found[vitals.CONSCIOUSNESS].value_code,
        temperature=_number(found, vitals.TEMPERATURE),
    )
