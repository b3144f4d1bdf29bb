"""The vital signs this hospital records: LOINC code, UCUM unit, accepted input units, limits.

A value outside the plausibility limits is refused as impossible (a typing error, or
the wrong unit); a value outside the normal range is stored with an abnormal flag
(H or L). Normal ranges are for adults at rest; they are a prompt to look, not a
diagnosis. BMI is never typed: it is computed when weight and height are known.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from hms.core.numbers import NumberError, decimal_parse

D = Decimal


def _same(value: Decimal) -> Decimal:
    return value


def _scale(factor: str) -> Callable[[Decimal], Decimal]:
    def convert(value: Decimal) -> Decimal:
        return value * D(factor)

    return convert


def _fahrenheit_to_celsius(value: Decimal) -> Decimal:
    return (value - 32) * 5 / 9


@dataclass(frozen=True)
class InputUnit:
    """A unit a value may be typed in, as UCUM writes it, and how to convert it."""

    ucum: str
    label: str
    to_canonical: Callable[[Decimal], Decimal]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vital:
    code: str  # LOINC
    display: str
    unit: str  # UCUM, the unit values are stored in
    unit_label: str
    decimal_places: int
    plausible: tuple[Decimal, Decimal]  # inclusive; outside is impossible
    normal: tuple[Decimal, Decimal] | None  # inclusive; outside is flagged
    input_units: tuple[InputUnit, ...] = field(default=())
    computed: bool = False

    def unit_find(self, unit: str | None) -> InputUnit | None:
        """The input unit `unit` names (UCUM or a common spelling, any case); blank means the stored one."""
        wanted = (unit or "").strip()
        if not wanted:
            return self.input_units[0] if self.input_units else None
        folded = wanted.casefold()
        for candidate in self.input_units:
            if folded == candidate.ucum.casefold() or folded in candidate.aliases:
                return candidate
        return None

    def round(self, value: Decimal) -> Decimal:
        return value.quantize(D(1).scaleb(-self.decimal_places), rounding=ROUND_HALF_UP)

    def flag(self, value: Decimal) -> str:
        """'H' above the normal range, 'L' below it, '' within it or where there is no range."""
        if self.normal is None:
            return ""
        low, high = self.normal
        if value > high:
            return "H"
        if value < low:
            return "L"
        return ""

    @property
    def plausible_text(self) -> str:
        low, high = self.plausible
        return f"{_show(low)}–{_show(high)} {self.unit_label}"

    @property
    def accepted_units(self) -> str:
        """The units a value may be typed in, as people write them: "cm, m, in"."""
        return ", ".join(unit.label for unit in self.input_units)


PER_MINUTE = InputUnit(
    "/min", "per minute", _same, ("bpm", "{beats}/min", "beats/min", "{breaths}/min", "1/min")
)
MM_HG = InputUnit("mm[Hg]", "mmHg", _same, ("mmhg", "mm hg"))

HEART_RATE = "8867-4"
SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"
TEMPERATURE = "8310-5"
RESPIRATORY_RATE = "9279-1"
SPO2 = "59408-5"
WEIGHT = "29463-7"
HEIGHT = "8302-2"
BMI = "39156-5"

VITALS: Mapping[str, Vital] = {
    vital.code: vital
    for vital in (
        Vital(HEART_RATE, "Heart rate", "/min", "/min", 0, (D(20), D(300)), (D(60), D(100)), (PER_MINUTE,)),
        Vital(
            SYSTOLIC,
            "Systolic blood pressure",
            "mm[Hg]",
            "mmHg",
            0,
            (D(40), D(300)),
            (D(90), D(139)),
            (MM_HG,),
        ),
        Vital(
            DIASTOLIC,
            "Diastolic blood pressure",
            "mm[Hg]",
            "mmHg",
            0,
            (D(20), D(200)),
            (D(60), D(89)),
            (MM_HG,),
        ),
        Vital(
            TEMPERATURE,
            "Body temperature",
            "Cel",
            "°C",
            1,
            (D(25), D(45)),
            (D("36.0"), D("37.9")),
            (
                InputUnit("Cel", "°C", _same, ("°c", "c", "degc", "celsius")),
                InputUnit("[degF]", "°F", _fahrenheit_to_celsius, ("degf", "°f", "f", "fahrenheit")),
            ),
        ),
        Vital(
            RESPIRATORY_RATE,
            "Respiratory rate",
            "/min",
            "/min",
            0,
            (D(4), D(80)),
            (D(12), D(20)),
            (PER_MINUTE,),
        ),
        Vital(
            SPO2,
            "Oxygen saturation (SpO2)",
            "%",
            "%",
            0,
            (D(50), D(100)),
            (D(95), D(100)),
            (InputUnit("%", "%", _same, ("percent",)),),
        ),
        Vital(
            WEIGHT,
            "Body weight",
            "kg",
            "kg",
            2,
            (D("0.2"), D(500)),
            None,
            (
                InputUnit("kg", "kg", _same, ("kilogram", "kilograms")),
                InputUnit("g", "g", _scale("0.001"), ("gram", "grams")),
                InputUnit("[lb_av]", "lb", _scale("0.45359237"), ("lb", "lbs", "pound", "pounds")),
            ),
        ),
        Vital(
            HEIGHT,
            "Body height",
            "cm",
            "cm",
            1,
            (D(20), D(272)),
            None,
            (
                InputUnit("cm", "cm", _same, ("centimetre", "centimeter")),
                InputUnit("m", "m", _scale("100"), ("metre", "meter")),
                InputUnit("[in_i]", "in", _scale("2.54"), ("in", "inch", "inches")),
            ),
        ),
        # Computed from weight and height; the limits catch a weight and a height that cannot be one person's.
        Vital(
            BMI,
            "Body mass index (BMI)",
            "kg/m2",
            "kg/m²",
            1,
            (D(5), D(250)),
            (D("18.5"), D("24.9")),
            computed=True,
        ),
    )
}


# Observation.value and entered_value: DecimalField(max_digits=12, decimal_places=4).
VALUE_DIGITS, VALUE_PLACES = 12, 4


class VitalError(ValueError):
    """A value that cannot be recorded; the message is for the person who typed it."""


@dataclass(frozen=True)
class Measurement:
    vital: Vital
    value: Decimal  # in vital.unit, rounded
    entered_value: Decimal | None
    entered_unit: str
    flag: str


def vital_value_parse(value: object, *, label: str = "The value") -> Decimal:
    """A finite Decimal from a number or a string ("72", "98.6", "37,5") that the observation's
    columns hold (rounded to their 4 places); VitalError, in `label`'s words, otherwise."""
    if isinstance(value, bool) or value is None:
        raise VitalError("Enter a number.")
    if isinstance(value, float):
        value = repr(value)  # as written: 98.6, not 98.599999999999994315658...
    if isinstance(value, str):
        value = value.strip().replace(",", ".")
        if not value:
            raise VitalError("Enter a number.")
    try:
        return decimal_parse(
            value,
            field="value",
            label=label,
            max_digits=VALUE_DIGITS,
            decimal_places=VALUE_PLACES,
            rounding=True,
        )
    except NumberError as exc:
        raise VitalError(exc.message) from None


def vitals_refused(codes: Iterable[str]) -> str:
    """What to say when vital signs were refused: nothing was recorded, and which to check."""
    named = [VITALS[code].display if code in VITALS else code for code in codes]
    return f"Nothing was recorded; check {', '.join(named)}."


def _show(value: Decimal) -> str:
    return f"{value.normalize():f}"


def vital_measure(code: str, value: object, unit: str | None) -> Measurement:
    """Convert and check one typed vital sign; VitalError says what is wrong with it."""
    vital = VITALS.get(code)
    if vital is None:
        raise VitalError(f"{code} is not a vital sign recorded here.")
    if vital.computed:
        raise VitalError(f"{vital.display} is calculated from weight and height; it is not typed in.")
    input_unit = vital.unit_find(unit)
    if input_unit is None:
        raise VitalError(f"{vital.display} cannot be given in {unit!r}; use one of: {vital.accepted_units}.")
    entered = vital_value_parse(value, label=vital.display)
    canonical = vital.round(input_unit.to_canonical(entered))
    _check_plausible(vital, canonical, f"{_show(entered)} {input_unit.label}")
    return Measurement(
        vital=vital,
        value=canonical,
        entered_value=entered.quantize(D("0.0001"), rounding=ROUND_HALF_UP),
        entered_unit=input_unit.ucum,
        flag=vital.flag(canonical),
    )


def bmi_measure(*, weight_kg: Decimal, height_cm: Decimal) -> Measurement:
    """The BMI of a weight and a height; VitalError if together they are impossible."""
    vital = VITALS[BMI]
    metres = height_cm / 100
    value = vital.round(weight_kg / (metres * metres))
    _check_plausible(
        vital,
        value,
        f"{_show(value)} {vital.unit_label} (from {_show(weight_kg)} kg and {_show(height_cm)} cm)",
    )
    return Measurement(vital=vital, value=value, entered_value=None, entered_unit="", flag=vital.flag(value))


def _check_plausible(vital: Vital, value: Decimal, typed: str) -> None:
    low, high = vital.plausible
    if not low <= value <= high:
        converted = "" if typed.startswith(f"{_show(value)} ") else f" = {_show(value)} {vital.unit_label}"
        raise VitalError(
            f"{vital.display} of {typed}{converted} is impossible; a value must lie between "
            f"{_show(low)} and {_show(high)} {vital.unit_label}. Check the number and the unit."
        )
