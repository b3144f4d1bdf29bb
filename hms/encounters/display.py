"""How an encounter's vital signs are shown: the latest value of each, in the vital-sign table's order."""

from hms.encounters.selectors import VitalRow
from hms.encounters.vitals import VITALS

ORDER = {code: place for place, code in enumerate(VITALS)}


def vitals_latest(rows: list[VitalRow] | None) -> list[VitalRow]:
    """The newest reading of each vital sign not entered in error, in the table's order."""
    latest: dict[str, VitalRow] = {}
    for row in rows or ():
        observation = row.observation
        if observation.is_voided:
            continue
        shown = latest.get(observation.loinc_code)
        if shown is None or (observation.recorded_at, observation.pk) > (
            shown.observation.recorded_at,
            shown.observation.pk,
        ):
            latest[observation.loinc_code] = row
    return sorted(latest.values(), key=lambda row: ORDER.get(row.observation.loinc_code, len(ORDER)))
