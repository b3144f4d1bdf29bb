"""PEWS, the Brighton Paediatric Early Warning Score, from one set of observations (data/pews.toml,
Monaghan 2005).

For children (under 16 years, the age NEWS2 starts at): `pews_score` refuses an adult. Heart and
respiratory rates are read against the reference interval for the child's age and sex
(hms.clinical.ranges, Fleming 2011), which is the chart's "normal rate". Every observation the
chart reads is needed: an incomplete set has no score. The response names the escalation step and
says that escalation thresholds are set locally.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hms.clinical.ages import Age
from hms.clinical.ranges import Band, reference_band
from hms.core.datafiles import data_file

_DATA = data_file("hms.clinical", "data/pews.toml")
SOURCE: str = _DATA["source"]
MAXIMUM_AGE_YEARS: int = _DATA["maximum_age_years"]
LOCAL_ESCALATION: str = _DATA["escalation"]["local"]
BEHAVIOURS = tuple(_DATA["behaviour"])
SKIN_COLOURS = tuple(_DATA["skin_colour"])
WORK_OF_BREATHING = tuple(_DATA["work_of_breathing"])


@dataclass(frozen=True)
class PewsInput:
    behaviour: str  # one of BEHAVIOURS
    skin_colour: str  # one of SKIN_COLOURS
    capillary_refill_s: Decimal
    heart_rate: Decimal
    respiratory_rate: Decimal
    work_of_breathing: str  # one of WORK_OF_BREATHING
    fio2: Decimal | None = None  # % (21 = air)
    oxygen_flow: Decimal | None = None  # L/min (0 = air)
    nebulisers: bool = False  # quarter-hourly
    post_operative_vomiting: bool = False  # persistent


@dataclass(frozen=True)
class PewsScore:
    total: int
    points: dict[str, int]  # behaviour, cardiovascular, respiratory, and any extra
    level: str  # routine, increased observation, medical review, urgent review
    response: str
    local: str = LOCAL_ESCALATION
    source: str = SOURCE

    @property
    def any_single_3(self) -> bool:
        return 3 in (self.points[part] for part in COMPONENTS)


COMPONENTS = ("behaviour", "cardiovascular", "respiratory")


class PewsNotApplicable(ValueError):
    """PEWS does not apply (an adult, an age no reference interval covers) or an answer is unknown."""


def _answer(table: str, given: str) -> int:
    points: dict[str, int] = _DATA[table]
    if given not in points:
        raise PewsNotApplicable(f"{table.replace('_', ' ').capitalize()} is one of: {', '.join(points)}.")
    return points[given]


def _from(rows: list[dict[str, Any]], key: str, value: Decimal) -> int:
    """The points of the last row whose `key` threshold `value` reaches (0 if none)."""
    return max((row["points"] for row in rows if value >= Decimal(row[key])), default=0)


def _band(code: str, age: Age, sex: str) -> Band:
    band = reference_band(code, age, sex)
    if band is None or band.low is None or band.high is None:
        raise PewsNotApplicable(f"No normal range covers a child of {age}.")
    return band


def _cardiovascular(values: PewsInput, heart: Band) -> int:
    rules = _DATA["heart_rate"]
    assert heart.low is not None and heart.high is not None
    rate = 0
    if values.heart_rate < heart.low:
        rate = rules["bradycardia_points"]
    elif values.heart_rate >= heart.high + Decimal(rules["tachycardia_3_above"]):
        rate = 3
    elif values.heart_rate >= heart.high + Decimal(rules["tachycardia_2_above"]):
        rate = 2
    return max(
        _answer("skin_colour", values.skin_colour),
        _from(_DATA["capillary_refill"], "from_seconds", values.capillary_refill_s),
        rate,
    )


def _respiratory(values: PewsInput, breathing: Band) -> int:
    rules = _DATA["respiratory_rate"]
    assert breathing.low is not None and breathing.high is not None
    rate = 0
    if values.respiratory_rate <= breathing.low - Decimal(rules["below_3"]):
        rate = 3
    elif values.respiratory_rate > breathing.high + Decimal(rules["more_than_above_2"]):
        rate = 2
    elif values.respiratory_rate > breathing.high + Decimal(rules["more_than_above_1"]):
        rate = 1
    oxygen = max(
        _from(_DATA["oxygen"], "from_fio2", values.fio2) if values.fio2 is not None else 0,
        _from(_DATA["oxygen"], "from_flow", values.oxygen_flow) if values.oxygen_flow is not None else 0,
    )
    return max(_answer("work_of_breathing", values.work_of_breathing), rate, oxygen)


def pews_score(values: PewsInput, *, age: Age, sex: str) -> PewsScore:
    """The Brighton PEWS of `values` for a child of `age` and sex for clinical use `sex` (female,
    male or ""); PewsNotApplicable for an adult or an unknown answer."""
    if age.years >= MAXIMUM_AGE_YEARS:
        raise PewsNotApplicable(f"PEWS is for children under {MAXIMUM_AGE_YEARS}; NEWS2 applies.")
    heart = _band(_DATA["heart_rate_code"], age, sex)
    breathing = _band(_DATA["respiratory_rate_code"], age, sex)
    points = {
        "behaviour": _answer("behaviour", values.behaviour),
        "cardiovascular": _cardiovascular(values, heart),
        "respiratory": _respiratory(values, breathing),
    }
    extra = _DATA["extra"]
    if values.nebulisers:
        points["nebulisers"] = extra["nebulisers"]
    if values.post_operative_vomiting:
        points["post_operative_vomiting"] = extra["post_operative_vomiting"]
    total = sum(points.values())
    highest = max(points[part] for part in COMPONENTS)
    row = next(
        row
        for row in _DATA["response"]
        if total >= row["from_score"] or highest >= row.get("any_component", 99)
    )
    return PewsScore(total, points, row["level"], row["response"])
