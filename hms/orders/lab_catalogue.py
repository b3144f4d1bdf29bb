"""The laboratory catalogue: tests (by LOINC code) with units, adult reference and critical ranges, panels.

Data (data/lab_catalogue.toml) and arithmetic, no database: the services copy what a result
needs (unit, ranges, flag) onto the result row, so changing the catalogue never changes old results.
Ranges are common adult values; a hospital's own laboratory may publish others.

Plausibility limits (`plausible`, in the test's own unit; a value entered in another unit is
converted first) refuse what cannot be a patient's value, as vital signs do: a typing or unit
error (WBC 5000 x10^3/uL, potassium 55 mmol/L). They lie deliberately beyond the most extreme
values reported in survivors, so they never refuse a true critical result. Basis
(PLAUSIBILITY_SOURCE): the critical and extreme values tabulated in Tietz Textbook of Clinical
Chemistry and Molecular Diagnostics (6th ed., 2018, reference-interval appendix) and Kost GJ,
"Critical limits for urgent clinician notification at US medical centers", JAMA
1990;263:704-707, widened to the extremes of case reports (hyperleukocytosis, extreme
thrombocytosis, hyperglycaemic crisis, ischaemic hepatitis).
"""

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from hms.core.datafiles import data_file, data_rows

NUMERIC = "numeric"
TEXT = "text"

# Result flags (HL7 v2 table 0078 spelling).
NORMAL, LOW, HIGH, CRITICAL_LOW, CRITICAL_HIGH, ABNORMAL = "N", "L", "H", "LL", "HH", "A"


def unit_normalise(unit: str) -> str:
    """A unit as compared: no spaces, case folded, micro as u, powers as `*` ("x10^3/uL" -> "10*3/ul")."""
    text = unit.strip().replace(" ", "").replace("\u00b5", "u").replace("\u03bc", "u").replace("^", "*")
    text = text.casefold()
    if text.startswith("x10") or text.startswith("\u00d710"):
        text = text[1:]
    return text


@dataclass(frozen=True)
class Range:
    low: Decimal | None = None
    high: Decimal | None = None

    def __str__(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.low}\u2013{self.high}"
        if self.low is not None:
            return f"\u2265 {self.low}"
        if self.high is not None:
            return f"\u2264 {self.high}"
        return ""


@dataclass(frozen=True)
class UnitConversion:
    """Another unit a value may be entered in: canonical = value * factor / divisor + offset."""

    unit: str
    factor: Decimal = Decimal(1)
    divisor: Decimal = Decimal(1)
    offset: Decimal = Decimal(0)

    def to_canonical(self, value: Decimal) -> Decimal:
        return value * self.factor / self.divisor + self.offset


@dataclass(frozen=True)
class LabTest:
    code: str  # LOINC
    name: str
    short_name: str
    kind: str = NUMERIC
    unit: str = ""
    decimals: int = 1  # the precision results are reported to after a unit conversion
    reference: Range = Range()
    reference_female: Range | None = None
    reference_male: Range | None = None
    critical: Range = Range()
    conversions: tuple[UnitConversion, ...] = ()
    plausible: Range = Range()  # numeric tests: a value outside is impossible (refused)
    answers: tuple[str, ...] = ()  # text tests: the allowed answers (empty: free text)
    normal_answers: tuple[str, ...] = ()  # text tests: answers that are not abnormal
    note: str = ""

    @property
    def is_numeric(self) -> bool:
        return self.kind == NUMERIC

    def implausible(self, value: Decimal) -> bool:
        """Whether `value` (in this test's unit) lies outside what any patient's value can be."""
        low, high = self.plausible.low, self.plausible.high
        return (low is not None and value < low) or (high is not None and value > high)

    def reference_for(self, sex: str) -> Range:
        """The reference range for a patient's sex; for other/unknown, the span covering both."""
        female, male = self.reference_female, self.reference_male
        if sex == "female" and female is not None:
            return female
        if sex == "male" and male is not None:
            return male
        if female is not None and male is not None:
            lows = [r.low for r in (female, male) if r.low is not None]
            highs = [r.high for r in (female, male) if r.high is not None]
            return Range(min(lows) if lows else None, max(highs) if highs else None)
        return self.reference

    def accepted_units(self) -> list[str]:
        return [self.unit, *(c.unit for c in self.conversions)]

    def to_canonical(self, value: Decimal, unit: str) -> Decimal | None:
        """`value` in `unit` expressed in this test's unit, or None if the unit is not one it accepts.

        A converted value is rounded to the precision the test is reported to; a value
        already in the test's unit is returned as entered.
        """
        wanted = unit_normalise(unit)
        if not wanted or wanted == unit_normalise(self.unit):
            return value
        for conversion in self.conversions:
            if unit_normalise(conversion.unit) == wanted:
                exponent = Decimal(1).scaleb(-self.decimals)
                return conversion.to_canonical(value).quantize(exponent, rounding=ROUND_HALF_UP)
        return None

    def flag(self, value: Decimal, sex: str) -> str:
        """N, L, H, LL or HH: critical limits are strict (beyond them), reference limits inclusive."""
        if self.critical.low is not None and value < self.critical.low:
            return CRITICAL_LOW
        if self.critical.high is not None and value > self.critical.high:
            return CRITICAL_HIGH
        reference = self.reference_for(sex)
        if reference.low is not None and value < reference.low:
            return LOW
        if reference.high is not None and value > reference.high:
            return HIGH
        return NORMAL

    def text_flag(self, answer: str) -> str:
        """A for an answer outside the normal ones, N inside them, "" when the test has no normal answer."""
        if not self.normal_answers:
            return ""
        return NORMAL if answer in self.normal_answers else ABNORMAL

    def answer_match(self, text: str) -> str | None:
        """The allowed answer `text` names (case ignored), `text` itself for free-text tests, or None."""
        if not self.answers:
            return text
        folded = text.strip().casefold()
        return next((answer for answer in self.answers if answer.casefold() == folded), None)


@dataclass(frozen=True)
class LabPanel:
    code: str  # LOINC
    abbreviation: str
    name: str
    members: tuple[str, ...] = field(default=())


_DATA = data_file("hms.orders", "data/lab_catalogue.toml")
TESTS: dict[str, LabTest] = {test.code: test for test in data_rows(LabTest, _DATA["test"])}
PANELS: dict[str, LabPanel] = {panel.code: panel for panel in data_rows(LabPanel, _DATA["panel"])}
PLAUSIBILITY_SOURCE: str = _DATA["plausibility_source"]

_CODE = re.compile(r"[0-9A-Za-z-]{1,16}")


def catalogue_lookup(code: str) -> LabTest | LabPanel | None:
    """The test or panel a code names: a LOINC code, or a panel's abbreviation (case ignored)."""
    code = code.strip()
    if not _CODE.fullmatch(code):
        return None
    if code in TESTS:
        return TESTS[code]
    if code in PANELS:
        return PANELS[code]
    upper = code.upper()
    return next((panel for panel in PANELS.values() if panel.abbreviation == upper), None)


def catalogue_tests(code: str) -> list[LabTest]:
    """The tests ordering `code` means: the test itself, or a panel's members; empty if unknown."""
    item = catalogue_lookup(code)
    if isinstance(item, LabTest):
        return [item]
    if isinstance(item, LabPanel):
        return [TESTS[member] for member in item.members]
    return []
