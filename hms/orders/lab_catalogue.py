"""The laboratory catalogue: tests (by LOINC code) with units, adult reference and critical ranges, panels.

Data (data/lab_catalogue.toml) and arithmetic, no database: the services copy what a result
needs (unit, LOINC code, ranges, flag) onto the result row, so changing the catalogue never
changes old results. Ranges are common adult values in the test's conventional unit;
children's come by age from hms.clinical.ranges (`limits_for`); a hospital's own laboratory
may publish others.

Units: a result is stored in the unit it was entered in (or the unit that one is a spelling
or scale of) with the LOINC code of that unit's form (`ResultForm`): glucose in mmol/L is
14749-6, in mg/dL 2345-7. It is flagged after conversion into the ranges' unit, with the
factors of CONVERSION_SOURCE (molar masses), kept as data.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from hms.clinical.ages import Age
from hms.clinical.ranges import has_bands, interval_text, reference_band
from hms.core.datafiles import data_file, data_rows

NUMERIC = "numeric"
TEXT = "text"

# Result flags (HL7 v2 table 0078 spelling).
NORMAL, LOW, HIGH, CRITICAL_LOW, CRITICAL_HIGH, ABNORMAL = "N", "L", "H", "LL", "HH", "A"

SI, CONVENTIONAL = "SI", "CONVENTIONAL"  # a hospital's laboratory units (hms.clinical LabUnits)
ADULT_YEARS = 18  # the catalogue's reference intervals are adults'; children's are by age
UNKNOWN_SEX_NOTE = "Sex for clinical use not recorded: the narrower of the female and male ranges applies."


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
        return interval_text(self.low, self.high)


@dataclass(frozen=True)
class UnitConversion:
    """Another unit a value may be entered in: converted = value * factor / divisor + offset."""

    unit: str
    factor: Decimal = Decimal(1)
    divisor: Decimal = Decimal(1)
    offset: Decimal = Decimal(0)

    def to_canonical(self, value: Decimal) -> Decimal:
        return value * self.factor / self.divisor + self.offset

    def from_canonical(self, value: Decimal) -> Decimal:
        return (value - self.offset) * self.divisor / self.factor


@dataclass(frozen=True)
class SiUnits:
    """How a laboratory reporting SI units gives a test, where that differs from the conventional
    unit: the unit, the LOINC code and long name where LOINC names the SI property apart (moles
    rather than mass), and the conversion into the conventional unit with its basis."""

    unit: str
    code: str = ""  # empty: the test's own code (the same property in another unit, g/L for g/dL)
    name: str = ""
    decimals: int = 1
    factor: Decimal = Decimal(1)
    divisor: Decimal = Decimal(1)
    offset: Decimal = Decimal(0)
    basis: str = ""  # the molar mass (or other reason) the factor comes from
    conversions: tuple[UnitConversion, ...] = ()  # other spellings of `unit`, converted into it


@dataclass(frozen=True)
class ResultForm:
    """One way a numeric result is stored: with the unit and the LOINC code that matches it.

    `conventional` turns a value in `unit` into the test's conventional unit, the unit its
    ranges are in, exactly; `conversions` are the other units read into this form."""

    code: str
    name: str
    short_name: str
    unit: str
    decimals: int
    conventional: UnitConversion
    conversions: tuple[UnitConversion, ...] = ()

    def rounded(self, value: Decimal) -> Decimal:
        return value.quantize(Decimal(1).scaleb(-self.decimals), rounding=ROUND_HALF_UP)

    def limit(self, conventional_value: Decimal | None) -> Decimal | None:
        """A limit given in the conventional unit, in this form's unit (rounded, for display)."""
        if conventional_value is None or self.conventional.unit == self.unit:
            return conventional_value
        # One more decimal than results: a limit shown rounded must not look like a value inside it.
        value = self.conventional.from_canonical(conventional_value)
        return value.quantize(Decimal(1).scaleb(-self.decimals - 1), rounding=ROUND_HALF_UP).normalize()

    def reading(self, value: Decimal, unit: str) -> Decimal | None:
        """`value` in `unit` as a value of this form, or None if `unit` is not one of its units.
        A value converted from another unit is rounded to the precision the form reports to."""
        wanted = unit_normalise(unit)
        if wanted == unit_normalise(self.unit):
            return value
        for conversion in self.conversions:
            if unit_normalise(conversion.unit) == wanted:
                return self.rounded(conversion.to_canonical(value))
        return None


@dataclass(frozen=True)
class Limits:
    """The limits a numeric result is read against, in the test's conventional unit, with a note
    saying where the reference interval comes from or why there is none."""

    reference: Range
    critical: Range
    note: str = ""

    def flag(self, value: Decimal) -> str:
        """N, L, H, LL or HH: critical limits are strict (beyond them), reference limits inclusive."""
        if self.critical.low is not None and value < self.critical.low:
            return CRITICAL_LOW
        if self.critical.high is not None and value > self.critical.high:
            return CRITICAL_HIGH
        if self.reference.low is not None and value < self.reference.low:
            return LOW
        if self.reference.high is not None and value > self.reference.high:
            return HIGH
        return NORMAL


@dataclass(frozen=True)
class LabTest:
    code: str  # LOINC, of the conventional unit
    name: str
    short_name: str
    kind: str = NUMERIC
    unit: str = ""  # the conventional unit: the ranges below are in it
    decimals: int = 1  # the precision results are reported to after a unit conversion
    reference: Range = Range()
    reference_female: Range | None = None
    reference_male: Range | None = None
    critical: Range = Range()
    conversions: tuple[UnitConversion, ...] = ()  # other spellings or scales of `unit`
    si: SiUnits | None = None  # where SI reporting differs (unit, and LOINC code where it has one)
    for_units: str = ""  # SI or CONVENTIONAL: only hospitals reporting so order it; "" every one
    plausible: Range = Range()  # numeric tests: a value outside is impossible (refused)
    answers: tuple[str, ...] = ()  # text tests: the allowed answers (empty: free text)
    normal_answers: tuple[str, ...] = ()  # text tests: answers that are not abnormal
    note: str = ""

    @property
    def is_numeric(self) -> bool:
        return self.kind == NUMERIC

    @cached_property
    def forms(self) -> tuple[ResultForm, ...]:
        """The conventional form, then the SI one where it differs."""
        conventional = ResultForm(
            code=self.code,
            name=self.name,
            short_name=self.short_name,
            unit=self.unit,
            decimals=self.decimals,
            conventional=UnitConversion(self.unit),
            conversions=self.conversions,
        )
        if self.si is None:
            return (conventional,)
        si = self.si
        return (
            conventional,
            ResultForm(
                code=si.code or self.code,
                name=si.name or self.name,
                short_name=self.short_name,
                unit=si.unit,
                decimals=si.decimals,
                conventional=UnitConversion(self.unit, si.factor, si.divisor, si.offset),
                conversions=si.conversions,
            ),
        )

    def form_for(self, lab_units: str) -> ResultForm:
        """The form a hospital reporting in `lab_units` (SI or CONVENTIONAL) gives this test in."""
        forms = self.forms
        return forms[-1] if lab_units == SI else forms[0]

    def form_of_code(self, code: str) -> ResultForm | None:
        return next((form for form in self.forms if form.code == code), None)

    def reading(self, value: Decimal, unit: str) -> tuple[ResultForm, Decimal] | None:
        """The form `unit` belongs to and `value` in that form's unit; None for a unit it does not take."""
        for form in self.forms:
            read = form.reading(value, unit)
            if read is not None:
                return form, read
        return None

    def accepted_units(self, lab_units: str = "") -> list[str]:
        """Every unit a value may be entered in: the one the hospital reports in first."""
        first = self.form_for(lab_units)
        forms = [first, *(form for form in self.forms if form != first)]
        return [unit for form in forms for unit in (form.unit, *(c.unit for c in form.conversions))]

    def implausible(self, value: Decimal) -> bool:
        """Whether `value` (in this test's conventional unit) lies outside what any patient's value can be."""
        low, high = self.plausible.low, self.plausible.high
        return (low is not None and value < low) or (high is not None and value > high)

    def reference_for(self, sex: str) -> Range:
        """The adult reference range for a sex for clinical use (female, male); when neither is
        known, the narrower of the two (the higher low, the lower high), so that a value abnormal
        for either sex is flagged."""
        female, male = self.reference_female, self.reference_male
        if sex == "female" and female is not None:
            return female
        if sex == "male" and male is not None:
            return male
        if female is not None and male is not None:
            lows = [r.low for r in (female, male) if r.low is not None]
            highs = [r.high for r in (female, male) if r.high is not None]
            return Range(max(lows) if lows else None, min(highs) if highs else None)
        return self.reference

    def adult_limits(self, sex: str) -> Limits:
        note = ""
        if sex not in ("female", "male") and self.reference_female is not None:
            note = UNKNOWN_SEX_NOTE
        return Limits(self.reference_for(sex), self.critical, note)

    def flag(self, value: Decimal, sex: str) -> str:
        """The flag of `value` (conventional unit) against the adult ranges for `sex`."""
        return self.adult_limits(sex).flag(value)

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
CONVERSION_SOURCE: str = _DATA["conversion_source"]
# Every LOINC code a result may carry (the SI codes too) -> its test.
TEST_OF_CODE: dict[str, LabTest] = {form.code: test for test in TESTS.values() for form in test.forms}

_CODE = re.compile(r"[0-9A-Za-z-]{1,16}")

UnitsFor = Callable[[str], str]  # LOINC code -> SI or CONVENTIONAL (ClinicalProfile.lab_units_for)


def catalogue_lookup(code: str) -> LabTest | LabPanel | None:
    """The test or panel a code names: a LOINC code (an SI code names its test), or a panel's
    abbreviation (case ignored)."""
    code = code.strip()
    if not _CODE.fullmatch(code):
        return None
    if code in TEST_OF_CODE:
        return TEST_OF_CODE[code]
    if code in PANELS:
        return PANELS[code]
    upper = code.upper()
    return next((panel for panel in PANELS.values() if panel.abbreviation == upper), None)


def _ordered_here(test: LabTest, lab_units_for: UnitsFor | None) -> bool:
    return not test.for_units or lab_units_for is None or lab_units_for(test.code) == test.for_units


def catalogue_tests(code: str, lab_units_for: UnitsFor | None = None) -> list[LabTest]:
    """The tests ordering `code` means: the test itself, or a panel's members; empty if unknown.
    With the hospital's `lab_units_for`, a panel has the members for its units (urea or BUN)."""
    item = catalogue_lookup(code)
    if isinstance(item, LabTest):
        return [item]
    if isinstance(item, LabPanel):
        return [TESTS[member] for member in item.members if _ordered_here(TESTS[member], lab_units_for)]
    return []


def catalogue_orderable(lab_units_for: UnitsFor) -> list[LabTest]:
    """The tests a hospital reporting as `lab_units_for` says orders from its list, by name."""
    return sorted((t for t in TESTS.values() if _ordered_here(t, lab_units_for)), key=lambda t: t.name)


def value_here(value: Decimal, code: str, lab_units_for: UnitsFor) -> tuple[Decimal, str] | None:
    """A stored value of LOINC `code` in the unit the hospital reports its test in (converted and
    rounded as reported where it was stored in another), for display and trends; None for a code
    the catalogue does not know."""
    test = TEST_OF_CODE.get(code)
    form = test.form_of_code(code) if test is not None else None
    if test is None or form is None:
        return None
    here = test.form_for(lab_units_for(test.code))
    if here == form:
        return value, form.unit
    return here.rounded(here.conventional.from_canonical(form.conventional.to_canonical(value))), here.unit


def limits_for(test: LabTest, age: Age, sex: str) -> Limits:
    """The limits for a patient of `age` and sex for clinical use `sex` ("" when neither).

    The age band of hms.clinical's reference ranges where the test has them (its critical
    limits, else the catalogue's); else, for an adult, the catalogue's interval; for a child
    without a band, no reference interval at all (an adult's would mislead), only the
    catalogue's critical limits, and the note says so."""
    band = reference_band(test.code, age, sex) if has_bands(test.code) else None
    if band is not None:
        if band.unit != test.unit:
            raise ValueError(
                f"The ranges of {test.code} are in {band.unit}, not the catalogue's {test.unit}."
            )
        critical = Range(
            band.critical_low if band.critical_low is not None else test.critical.low,
            band.critical_high if band.critical_high is not None else test.critical.high,
        )
        note = " ".join(filter(None, [f"Reference interval for {band.ages}: {band.citation}", band.sex_note]))
        return Limits(Range(band.low, band.high), critical, note)
    if age.years < ADULT_YEARS:
        return Limits(
            Range(),
            test.critical,
            f"No reference interval for a child of {age}: the laboratory's interval is for adults; "
            "only the critical limits apply.",
        )
    return test.adult_limits(sex)


def _number(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def _adult_reference(test: LabTest) -> str:
    if test.reference_female is not None and test.reference_male is not None:
        return f"F {test.reference_female}, M {test.reference_male}"
    return str(test.reference) or "-"


def _critical(test: LabTest) -> str:
    parts = [f"< {_number(test.critical.low)}" if test.critical.low is not None else ""]
    parts.append(f"> {_number(test.critical.high)}" if test.critical.high is not None else "")
    return ", ".join(filter(None, parts)) or "-"


def _conversion(si: SiUnits) -> str:
    text = " × ".join(filter(None, ["SI", _number(si.factor) if si.factor != 1 else ""]))
    if si.divisor != 1:
        text += f" ÷ {_number(si.divisor)}"
    if si.offset:
        text += f" + {_number(si.offset)}"
    return text


def catalogue_markdown() -> str:
    """The catalogue as the Markdown tables of docs/clinical/orders.md (a test keeps them equal)."""
    lines = [
        "| LOINC | test | unit | reference (adult) | critical | possible | ordered by | other spellings |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for test in TESTS.values():
        if not test.is_numeric:
            cells = [test.code, test.short_name, "answer", ", ".join(test.normal_answers) or "-", "-", "-"]
        else:
            possible = f"{_number(test.plausible.low)}\u2013{_number(test.plausible.high)} {test.unit}"
            cells = [test.code, test.short_name, test.unit, _adult_reference(test), _critical(test), possible]
        spellings = ", ".join(c.unit for form in test.forms for c in form.conversions)
        cells += [
            {SI: "SI hospitals", CONVENTIONAL: "conventional hospitals"}.get(test.for_units, "all"),
            spellings,
        ]
        lines.append("| " + " | ".join(cell or "-" for cell in cells).replace("*", "\\*") + " |")
    lines += [
        "",
        "In SI units (the conventional value = the SI value as shown):",
        "",
        "| test | SI LOINC | LOINC name | SI unit | conventional = | basis |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for test in TESTS.values():
        if test.si is None:
            continue
        form = test.form_for(SI)
        cells = [test.short_name, form.code, form.name, form.unit, _conversion(test.si), test.si.basis]
        lines.append("| " + " | ".join(cells).replace("*", "\\*") + " |")
    lines += ["", "| LOINC | panel | tests |", "| --- | --- | --- |"]
    for panel in PANELS.values():
        members = ", ".join(TESTS[code].short_name for code in panel.members)
        lines.append(f"| {panel.code} | {panel.abbreviation}: {panel.name} | {members} |")
    lines += ["", f"Conversion factors: {CONVERSION_SOURCE}.", f"Plausibility limits: {PLAUSIBILITY_SOURCE}."]
    return "\n".join(lines) + "\n"
