"""NEWS2, the National Early Warning Score 2, from one set of observations (data/news2.toml, RCP 2017).

For adults (16 years and over) and not in pregnancy: `news2_score` refuses to score a child,
whose vital signs need an age-banded score (PEWS), rather than give a misleading number. A
missing parameter means no score at all: NEWS2 is only valid on a complete set.
"""

from dataclasses import dataclass
from decimal import Decimal

from hms.core.datafiles import data_file

_DATA = data_file("hms.clinical", "data/news2.toml")
SOURCE: str = _DATA["source"]
MINIMUM_AGE_YEARS: int = _DATA["minimum_age_years"]
ACVPU = ("A", "C", "V", "P", "U")  # Alert, new Confusion, Voice, Pain, Unresponsive


@dataclass(frozen=True)
class News2Input:
    respiratory_rate: Decimal
    spo2: Decimal
    on_oxygen: bool
    systolic: Decimal
    pulse: Decimal
    consciousness: str  # one of ACVPU
    temperature: Decimal  # degrees Celsius
    spo2_scale_2: bool = False  # hypercapnic respiratory failure, target 88-92 % prescribed


@dataclass(frozen=True)
class News2Score:
    total: int
    points: dict[str, int]  # parameter -> its points
    risk: str  # low, low-medium, medium, high
    frequency: str
    response: str
    source: str = SOURCE

    @property
    def any_single_3(self) -> bool:
        return 3 in self.points.values()


class News2NotApplicable(ValueError):
    """NEWS2 does not apply (a child), or the set of observations is incomplete."""


def _points(parameter: str, value: Decimal) -> int:
    for band in _DATA["band"]:
        if band["parameter"] != parameter:
            continue
        low = Decimal(band["low"]) if "low" in band else None
        high = Decimal(band["high"]) if "high" in band else None
        if (low is None or value >= low) and (high is None or value <= high):
            return int(band["points"])
    raise ValueError(f"No NEWS2 band for {parameter} = {value}.")


def _spo2_points(values: News2Input) -> int:
    if not values.spo2_scale_2:
        return _points("spo2_scale_1", values.spo2)
    return _points("spo2_scale_2_on_oxygen" if values.on_oxygen else "spo2_scale_2", values.spo2)


def news2_score(values: News2Input, *, age_years: int) -> News2Score:
    if age_years < MINIMUM_AGE_YEARS:
        raise News2NotApplicable(f"NEWS2 is for patients aged {MINIMUM_AGE_YEARS} and over.")
    if values.consciousness not in ACVPU:
        raise News2NotApplicable("Consciousness is one of A, C, V, P or U (ACVPU).")
    fixed = _DATA["points"]
    points = {
        "respiratory_rate": _points("respiratory_rate", values.respiratory_rate),
        "spo2": _spo2_points(values),
        "air_or_oxygen": fixed["oxygen"] if values.on_oxygen else fixed["air"],
        "systolic": _points("systolic", values.systolic),
        "pulse": _points("pulse", values.pulse),
        "consciousness": fixed["alert"]
        if values.consciousness == "A"
        else fixed["new_confusion_voice_pain_unresponsive"],
        "temperature": _points("temperature", values.temperature.quantize(Decimal("0.1"))),
    }
    total = sum(points.values())
    response = _response(total, single_3=3 in points.values())
    return News2Score(total, points, response["risk"], response["frequency"], response["response"])


def _response(total: int, *, single_3: bool) -> dict[str, str]:
    by_total = next(
        row for row in _DATA["response"] if row.get("from_score", 99) <= total <= row.get("to_score", -1)
    )
    if single_3 and by_total["risk"] == "low":
        return next(row for row in _DATA["response"] if row.get("single_parameter_3"))
    return by_total
