"""The laboratory catalogue: tests (by LOINC code) with units, adult reference and critical ranges, panels.

Pure data and arithmetic, no database: the services copy what a result needs (unit,
ranges, flag) onto the result row, so changing this file never changes old results.
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


def _d(text: str) -> Decimal:
    return Decimal(text)


def _r(low: str | None, high: str | None) -> Range:
    return Range(_d(low) if low is not None else None, _d(high) if high is not None else None)


def _same(*units: str) -> tuple[UnitConversion, ...]:
    return tuple(UnitConversion(unit) for unit in units)


# 10*3/uL and 10*9/L are the same count, written the two usual ways.
_THOUSANDS_PER_UL = (
    *_same("10^3/uL", "K/uL", "10*9/L", "10^9/L", "G/L", "/nL"),
    UnitConversion("/uL", divisor=_d("1000")),
)
_MILLIONS_PER_UL = _same("10^6/uL", "M/uL", "10*12/L", "10^12/L", "T/L")
_MEQ = _same("mEq/L")
_UNITS_PER_L = (*_same("IU/L"), UnitConversion("ukat/L", factor=_d("60")))
_CHOLESTEROL_MMOL = UnitConversion("mmol/L", factor=_d("38.67"))

TESTS: dict[str, LabTest] = {
    test.code: test
    for test in [
        # Haematology
        LabTest(
            "718-7",
            "Haemoglobin [Mass/volume] in Blood",
            "Hb",
            unit="g/dL",
            decimals=1,
            reference_female=_r("12.0", "15.5"),
            reference_male=_r("13.5", "17.5"),
            critical=_r("7.0", "20.0"),
            conversions=(UnitConversion("g/L", divisor=_d("10")),),
            plausible=_r("0", "25.0"),
        ),
        LabTest(
            "4544-3",
            "Haematocrit [Volume fraction] of Blood",
            "Hct",
            unit="%",
            decimals=1,
            reference_female=_r("36.0", "46.0"),
            reference_male=_r("41.0", "53.0"),
            critical=_r("20.0", "60.0"),
            conversions=(UnitConversion("L/L", factor=_d("100")),),
            plausible=_r("0", "80.0"),
        ),
        LabTest(
            "6690-2",
            "Leukocytes (WBC) [#/volume] in Blood",
            "WBC",
            unit="10*3/uL",
            decimals=1,
            reference=_r("4.5", "11.0"),
            critical=_r("2.0", "30.0"),
            conversions=_THOUSANDS_PER_UL,
            plausible=_r("0", "1000.0"),
        ),
        LabTest(
            "789-8",
            "Erythrocytes (RBC) [#/volume] in Blood",
            "RBC",
            unit="10*6/uL",
            decimals=2,
            reference_female=_r("4.00", "5.20"),
            reference_male=_r("4.50", "5.90"),
            conversions=_MILLIONS_PER_UL,
            plausible=_r("0", "12.00"),
        ),
        LabTest(
            "777-3",
            "Platelets [#/volume] in Blood",
            "PLT",
            unit="10*3/uL",
            decimals=0,
            reference=_r("150", "450"),
            critical=_r("20", "1000"),
            conversions=_THOUSANDS_PER_UL,
            plausible=_r("0", "5000"),
        ),
        # Chemistry
        LabTest(
            "2345-7",
            "Glucose [Mass/volume] in Serum or Plasma",
            "Glucose",
            unit="mg/dL",
            decimals=0,
            reference=_r("70", "99"),
            critical=_r("50", "400"),
            conversions=(UnitConversion("mmol/L", factor=_d("18.016")),),
            note="Reference range for a fasting sample.",
            plausible=_r("0", "3000"),
        ),
        LabTest(
            "2160-0",
            "Creatinine [Mass/volume] in Serum or Plasma",
            "Creatinine",
            unit="mg/dL",
            decimals=2,
            reference_female=_r("0.59", "1.04"),
            reference_male=_r("0.74", "1.35"),
            critical=_r(None, "7.00"),
            conversions=(UnitConversion("umol/L", divisor=_d("88.4")),),
            plausible=_r("0", "40.00"),
        ),
        LabTest(
            "3094-0",
            "Urea nitrogen (BUN) [Mass/volume] in Serum or Plasma",
            "BUN",
            unit="mg/dL",
            decimals=0,
            reference=_r("7", "20"),
            critical=_r(None, "100"),
            conversions=(UnitConversion("mmol/L", factor=_d("2.801")),),
            plausible=_r("0", "300"),
        ),
        LabTest(
            "2951-2",
            "Sodium [Moles/volume] in Serum or Plasma",
            "Na",
            unit="mmol/L",
            decimals=0,
            reference=_r("135", "145"),
            critical=_r("120", "160"),
            conversions=_MEQ,
            plausible=_r("80", "200"),
        ),
        LabTest(
            "2823-3",
            "Potassium [Moles/volume] in Serum or Plasma",
            "K",
            unit="mmol/L",
            decimals=1,
            reference=_r("3.5", "5.1"),
            critical=_r("2.8", "6.2"),
            conversions=_MEQ,
            plausible=_r("0.5", "15.0"),
        ),
        LabTest(
            "2075-0",
            "Chloride [Moles/volume] in Serum or Plasma",
            "Cl",
            unit="mmol/L",
            decimals=0,
            reference=_r("98", "107"),
            critical=_r("80", "120"),
            conversions=_MEQ,
            plausible=_r("50", "160"),
        ),
        LabTest(
            "2028-9",
            "Carbon dioxide, total (bicarbonate) [Moles/volume] in Serum or Plasma",
            "CO2",
            unit="mmol/L",
            decimals=0,
            reference=_r("22", "29"),
            critical=_r("10", "40"),
            conversions=_MEQ,
            plausible=_r("1", "60"),
        ),
        LabTest(
            "17861-6",
            "Calcium [Mass/volume] in Serum or Plasma",
            "Ca",
            unit="mg/dL",
            decimals=1,
            reference=_r("8.6", "10.3"),
            critical=_r("6.5", "13.0"),
            conversions=(UnitConversion("mmol/L", factor=_d("4.008")),),
            plausible=_r("1.0", "25.0"),
        ),
        LabTest(
            "4548-4",
            "Haemoglobin A1c/Haemoglobin.total in Blood",
            "HbA1c",
            unit="%",
            decimals=1,
            reference=_r("4.0", "5.6"),
            # IFCC mmol/mol to NGSP %: the master equation % = 0.09148 * mmol/mol + 2.152.
            conversions=(UnitConversion("mmol/mol", factor=_d("0.09148"), offset=_d("2.152")),),
            plausible=_r("2.0", "25.0"),
        ),
        LabTest(
            "2093-3",
            "Cholesterol [Mass/volume] in Serum or Plasma",
            "Cholesterol",
            unit="mg/dL",
            decimals=0,
            reference=_r(None, "199"),
            conversions=(_CHOLESTEROL_MMOL,),
            note="Desirable below 200 mg/dL.",
            plausible=_r("0", "3000"),
        ),
        LabTest(
            "2085-9",
            "HDL cholesterol [Mass/volume] in Serum or Plasma",
            "HDL",
            unit="mg/dL",
            decimals=0,
            reference=_r("40", None),
            conversions=(_CHOLESTEROL_MMOL,),
            plausible=_r("0", "300"),
        ),
        LabTest(
            "13457-7",
            "LDL cholesterol [Mass/volume] in Serum or Plasma by calculation",
            "LDL",
            unit="mg/dL",
            decimals=0,
            reference=_r(None, "129"),
            conversions=(_CHOLESTEROL_MMOL,),
            plausible=_r("0", "2000"),
        ),
        LabTest(
            "2571-8",
            "Triglyceride [Mass/volume] in Serum or Plasma",
            "TG",
            unit="mg/dL",
            decimals=0,
            reference=_r(None, "149"),
            conversions=(UnitConversion("mmol/L", factor=_d("88.57")),),
            plausible=_r("0", "20000"),
        ),
        LabTest(
            "1742-6",
            "Alanine aminotransferase (ALT) [Enzymatic activity/volume] in Serum or Plasma",
            "ALT",
            unit="U/L",
            decimals=0,
            reference=_r("7", "56"),
            conversions=_UNITS_PER_L,
            plausible=_r("0", "50000"),
        ),
        LabTest(
            "1920-8",
            "Aspartate aminotransferase (AST) [Enzymatic activity/volume] in Serum or Plasma",
            "AST",
            unit="U/L",
            decimals=0,
            reference=_r("10", "40"),
            conversions=_UNITS_PER_L,
            plausible=_r("0", "50000"),
        ),
        LabTest(
            "6768-6",
            "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma",
            "ALP",
            unit="U/L",
            decimals=0,
            reference=_r("44", "147"),
            conversions=_UNITS_PER_L,
            plausible=_r("0", "10000"),
        ),
        LabTest(
            "1975-2",
            "Bilirubin.total [Mass/volume] in Serum or Plasma",
            "T. bili",
            unit="mg/dL",
            decimals=1,
            reference=_r("0.1", "1.2"),
            conversions=(UnitConversion("umol/L", divisor=_d("17.1")),),
            plausible=_r("0", "80.0"),
        ),
        LabTest(
            "1751-7",
            "Albumin [Mass/volume] in Serum or Plasma",
            "Albumin",
            unit="g/dL",
            decimals=1,
            reference=_r("3.5", "5.5"),
            conversions=(UnitConversion("g/L", divisor=_d("10")),),
            plausible=_r("0", "8.0"),
        ),
        LabTest(
            "3016-3",
            "Thyrotropin (TSH) [Units/volume] in Serum or Plasma",
            "TSH",
            unit="mIU/L",
            decimals=2,
            reference=_r("0.40", "4.00"),
            conversions=_same("uIU/mL", "mU/L"),
            plausible=_r("0", "1000.00"),
        ),
        # Qualitative
        LabTest(
            "882-1",
            "ABO and Rh group [Type] in Blood",
            "Blood group",
            kind=TEXT,
            answers=("A Rh+", "A Rh-", "B Rh+", "B Rh-", "AB Rh+", "AB Rh-", "O Rh+", "O Rh-"),
        ),
        LabTest(
            "5196-1",
            "Hepatitis B virus surface Ag [Presence] in Serum or Plasma",
            "HBsAg",
            kind=TEXT,
            answers=("Negative", "Positive", "Indeterminate"),
            normal_answers=("Negative",),
        ),
    ]
}

PANELS: dict[str, LabPanel] = {
    panel.code: panel
    for panel in [
        LabPanel("58410-2", "CBC", "Complete blood count", ("718-7", "4544-3", "6690-2", "789-8", "777-3")),
        LabPanel(
            "24321-2",
            "BMP",
            "Basic metabolic panel",
            ("2345-7", "3094-0", "2160-0", "2951-2", "2823-3", "2075-0", "2028-9", "17861-6"),
        ),
        LabPanel("24331-1", "LIPID", "Lipid panel", ("2093-3", "2085-9", "13457-7", "2571-8")),
        LabPanel(
            "24325-3", "LFT", "Hepatic function panel", ("1742-6", "1920-8", "6768-6", "1975-2", "1751-7")
        ),
    ]
}

PLAUSIBILITY_SOURCE = (
    "Tietz Textbook of Clinical Chemistry and Molecular Diagnostics, 6th ed. (2018); Kost GJ, JAMA "
    "1990;263:704-707; widened to the extremes of published case reports"
)

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
