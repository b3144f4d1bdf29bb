"""How an encounter's vital signs are shown: the latest value of each, in the vital-sign table's
order, and the early warning score of the latest complete set (NEWS2 for adults)."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from hms.clinical.ages import age_on
from hms.clinical.news2 import MINIMUM_AGE_YEARS, News2Input, News2NotApplicable, News2Score, news2_score
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
PEWS_NOT_PROVIDED = (
    "NEWS2 is for patients aged 16 and over. A paediatric early warning score (PEWS) applies to this "
    "child; it is not calculated here yet: score the child on the hospital's PEWS chart."
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


def early_warning(observations: Iterable[Observation], birth_date: datetime.date) -> EarlyWarning | None:
    """NEWS2 of the newest set (the values recorded together) that NEWS2 could read, for an adult;
    for a child, the note that a paediatric score applies; None when no set is complete."""
    sets: dict[datetime.datetime, dict[str, Observation]] = {}
    for row in observations:
        if not row.is_voided:
            sets.setdefault(row.recorded_at, {})[row.loinc_code] = row
    for recorded_at in sorted(sets, reverse=True):
        found = sets[recorded_at]
        values = _news2_input(found)
        if values is None:
            continue
        taken = next(iter(found.values())).effective_at
        age = age_on(birth_date, timezone.localtime(taken, hospital_zone()).date())
        if age.years < MINIMUM_AGE_YEARS:
            return EarlyWarning(taken, None, PEWS_NOT_PROVIDED)
        try:
            return EarlyWarning(taken, news2_score(values, age_years=age.years))
        except News2NotApplicable as reason:
            return EarlyWarning(taken, None, str(reason))
    return None


def _news2_input(found: dict[str, Observation]) -> News2Input | None:
    if any(code not in found for code in NEWS2_CODES):
        return None
    flow, fio2 = found.get(vitals.OXYGEN_FLOW), found.get(vitals.FIO2)
    if flow is None and fio2 is None:
        return None  # air or oxygen not said

    def value(code: str) -> Decimal:
        number = found[code].value
        return Decimal(0) if number is None else Decimal(number)

    on_oxygen = (flow is not None and (flow.value or 0) > 0) or (
        fio2 is not None and (fio2.value or 0) > vitals.AIR_FIO2
    )
    return News2Input(
        respiratory_rate=value(vitals.RESPIRATORY_RATE),
        spo2=value(vitals.SPO2),
        on_oxygen=on_oxygen,
        systolic=value(vitals.SYSTOLIC),
        pulse=value(vitals.HEART_RATE),
        consciousness=found[vitals.CONSCIOUSNESS].value_code,
        temperature=value(vitals.TEMPERATURE),
    )
