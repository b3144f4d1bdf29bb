"""Reference and critical ranges by age and sex (data/reference_ranges.toml, each row cited).

`reference_band(code, age, sex)` is the row that applies to a patient, and `band_flag` reads a
value against it: N inside, L/H outside the reference interval, LL/HH beyond a critical limit.
Critical values are recorded and flagged, never refused; refusing is for values no patient can
have (plausibility limits, kept with the vital sign or laboratory test).

Sex: a row may be for female, male or both. When the sex for clinical use is neither (not
recorded, or "other"), the narrower of the two intervals applies (the higher low, the lower
high), so that a value abnormal for either is flagged; the band says so.
"""

from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache

from hms.clinical.ages import Age, age_bound_reached
from hms.core.datafiles import data_file, data_rows

NORMAL, LOW, HIGH, CRITICAL_LOW, CRITICAL_HIGH = "N", "L", "H", "LL", "HH"
FEMALE, MALE = "female", "male"


def clinical_sex(recorded_sex: str, sex_for_clinical_use: str = "") -> str:
    """female or male as ranges read them, or "" when neither is known: the sex for clinical use
    where it is recorded, else the recorded sex where it is female or male."""
    for sex in (sex_for_clinical_use, recorded_sex):
        if sex in (FEMALE, MALE):
            return sex
    return ""


def interval_text(low: Decimal | None, high: Decimal | None) -> str:
    """An interval as people read it: "3.5\u20135.1", "\u2265 60", "\u2264 5.7", or "" with neither end."""
    if low is not None and high is not None:
        return f"{low}\u2013{high}"
    if low is not None:
        return f"\u2265 {low}"
    if high is not None:
        return f"\u2264 {high}"
    return ""


@dataclass(frozen=True)
class RangeRow:
    code: str  # LOINC
    unit: str  # UCUM, the unit the values below are in
    from_age: str
    source: str  # a key of [sources]
    to_age: str = ""
    sex: str = ""
    low: Decimal | None = None
    high: Decimal | None = None
    critical_low: Decimal | None = None
    critical_high: Decimal | None = None


@dataclass(frozen=True)
class Band:
    """The limits that apply to one patient, with where they come from."""

    code: str
    unit: str
    low: Decimal | None
    high: Decimal | None
    critical_low: Decimal | None
    critical_high: Decimal | None
    ages: str  # "18 months to 2 years", "18 years and over"
    citation: str
    sex_note: str = ""  # set when the narrower of two sexes' intervals applies

    @property
    def interval(self) -> str:
        return interval_text(self.low, self.high)


_DATA = data_file("hms.clinical", "data/reference_ranges.toml")
SOURCES: dict[str, str] = dict(_DATA["sources"])
ROWS: tuple[RangeRow, ...] = data_rows(RangeRow, _DATA["range"])


@cache
def _rows_for(code: str) -> tuple[RangeRow, ...]:
    return tuple(row for row in ROWS if row.code == code)


def has_bands(code: str) -> bool:
    return bool(_rows_for(code))


def _applies(row: RangeRow, age: Age) -> bool:
    return age_bound_reached(age, row.from_age) and not (row.to_age and age_bound_reached(age, row.to_age))


def reference_band(code: str, age: Age, sex: str) -> Band | None:
    """The band for a patient of `age` and sex for clinical use `sex`, or None where no row covers
    the age (then no reference interval applies: the caller must not fall back to another age's)."""
    rows = [row for row in _rows_for(code) if _applies(row, age)]
    if not rows:
        return None
    exact = [row for row in rows if row.sex == sex] or [row for row in rows if not row.sex]
    if exact:
        return _band(exact[0])
    return _narrowest([_band(row) for row in rows])


def _band(row: RangeRow) -> Band:
    return Band(
        code=row.code,
        unit=row.unit,
        low=row.low,
        high=row.high,
        critical_low=row.critical_low,
        critical_high=row.critical_high,
        ages=_ages_text(row),
        citation=SOURCES[row.source],
    )


def _highest(values: list[Decimal | None]) -> Decimal | None:
    present = [value for value in values if value is not None]
    return max(present) if present else None


def _lowest(values: list[Decimal | None]) -> Decimal | None:
    present = [value for value in values if value is not None]
    return min(present) if present else None


def _narrowest(bands: list[Band]) -> Band:
    return replace(
        bands[0],
        low=_highest([band.low for band in bands]),
        high=_lowest([band.high for band in bands]),
        critical_low=_highest([band.critical_low for band in bands]),
        critical_high=_lowest([band.critical_high for band in bands]),
        citation=" / ".join(dict.fromkeys(band.citation for band in bands)),
        sex_note="Sex for clinical use not recorded: the narrower of the female and male ranges applies.",
    )


def band_flag(value: Decimal, band: Band) -> str:
    """N, L, H, LL or HH: critical limits are strict (beyond them), reference limits inclusive."""
    if band.critical_low is not None and value < band.critical_low:
        return CRITICAL_LOW
    if band.critical_high is not None and value > band.critical_high:
        return CRITICAL_HIGH
    if band.low is not None and value < band.low:
        return LOW
    if band.high is not None and value > band.high:
        return HIGH
    return NORMAL


_UNIT_WORDS = {"d": ("day", "days"), "m": ("month", "months"), "y": ("year", "years")}


def _age_text(bound: str) -> str:
    number, unit = int(bound[:-1]), bound[-1]
    singular, plural = _UNIT_WORDS[unit]
    return f"{number} {singular if number == 1 else plural}"


def _ages_text(row: RangeRow) -> str:
    if not row.to_age:
        return f"{_age_text(row.from_age)} and over"
    if row.from_age == "0d":
        return f"under {_age_text(row.to_age)}"
    return f"{_age_text(row.from_age)} to under {_age_text(row.to_age)}"


def ranges_markdown() -> str:
    """Every row as the Markdown tables of docs/clinical/ranges.md (a test keeps them equal)."""
    lines: list[str] = []
    for code in dict.fromkeys(row.code for row in ROWS):
        rows = _rows_for(code)
        lines += [f"### LOINC {code} ({rows[0].unit})", ""]
        lines += [
            "| ages | sex | reference | critical below | critical above | source |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for row in rows:
            band = _band(row)
            cells = [
                band.ages,
                row.sex or "both",
                band.interval or "-",
                row.critical_low,
                row.critical_high,
                row.source,
            ]
            lines.append("| " + " | ".join("-" if cell is None else str(cell) for cell in cells) + " |")
        lines.append("")
    lines += ["### Sources", ""]
    lines += [f"- **{key}**: {text}" for key, text in SOURCES.items()]
    return "\n".join(lines) + "\n"
