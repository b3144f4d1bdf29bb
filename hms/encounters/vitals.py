"""The vital signs and nursing observations this hospital records: LOINC code, UCUM unit, the
units a value may be typed in, and the limits that refuse or question a value.

Three kinds of limit, each for its own reason:

- **Plausibility** (`plausible`): outside it no living patient can be (a typing error, or the
  wrong unit): refused. The limits are wide on purpose, so that real extremes are recorded;
  each vital names the source of its limits (`limits_source`, a key of LIMIT_SOURCES).
- **Confirmation** (`usual`): inside the plausible limits but outside `usual` a value is real
  but rare (a temperature of 28 °C): it is recorded only when the person confirms it.
- **Reference and critical bands** by age and sex (hms.clinical.ranges): a value outside the
  patient's reference interval is flagged L or H, beyond a critical limit LL or HH. Flagged
  values are always recorded: the flag is a prompt to act, never a refusal.

Units are always explicit: a blank unit is refused where the vital has a unit, because the
same number means different things in different hospitals (154 lb is 69.85 kg). BMI and the
BP panel are never typed: they are made from what is.
"""

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from hms.clinical.ages import Age, age_on
from hms.clinical.profiles import clinical_profile
from hms.clinical.ranges import NORMAL, band_flag, clinical_sex, reference_band
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


def _celsius_to_fahrenheit(value: Decimal) -> Decimal:
    return value * 9 / 5 + 32


@dataclass(frozen=True)
class InputUnit:
    """A unit a value may be typed in, as UCUM writes it, and how to convert it (both ways)."""

    ucum: str
    label: str
    to_canonical: Callable[[Decimal], Decimal]
    aliases: tuple[str, ...] = ()
    from_canonical: Callable[[Decimal], Decimal] | None = None
    decimal_places: int | None = None  # shown with these places (else the vital's)


@dataclass(frozen=True)
class Answer:
    """One answer of a coded observation (ACVPU), with its SNOMED CT code for exchange."""

    code: str
    label: str
    snomed: str = ""  # "" where no SNOMED CT concept is the answer

    @property
    def text(self) -> str:
        """As people read it: a letter with its meaning ("A: Alert"), a word by its label ("Pale")."""
        return f"{self.code}: {self.label}" if len(self.code) == 1 else self.label


LOINC_SYSTEM = "http://loinc.org"
LOCAL_SYSTEM = "urn:hms:observation"  # this system's own codes, where LOINC has none


@dataclass(frozen=True)
class Vital:
    code: str  # LOINC (or, with code_system LOCAL_SYSTEM, a code of ours)
    display: str
    unit: str  # UCUM, the unit values are stored in ("" for a coded observation)
    unit_label: str
    decimal_places: int
    plausible: tuple[Decimal, Decimal]  # inclusive; outside is impossible
    limits_source: str  # a key of LIMIT_SOURCES
    usual: tuple[Decimal, Decimal] | None = None  # inclusive; outside needs confirming
    input_units: tuple[InputUnit, ...] = field(default=())
    computed: bool = False
    whole: bool = False  # a score: whole numbers only
    answers: tuple[Answer, ...] = ()  # a coded observation: one of these, no number
    code_system: str = LOINC_SYSTEM
    paediatric: bool = False  # asked for the children's early warning score (PEWS)

    @property
    def coded(self) -> bool:
        return bool(self.answers)

    def unit_find(self, unit: str | None) -> InputUnit | None:
        """The input unit `unit` names (UCUM or a common spelling, any case); None if none does."""
        folded = (unit or "").strip().casefold()
        for candidate in self.input_units:
            if folded == candidate.ucum.casefold() or folded in candidate.aliases:
                return candidate
        return None

    def round(self, value: Decimal) -> Decimal:
        return value.quantize(D(1).scaleb(-self.decimal_places), rounding=ROUND_HALF_UP)

    def answer_find(self, given: object) -> Answer | None:
        folded = str(given or "").strip().casefold()
        return next((a for a in self.answers if folded in (a.code.casefold(), a.label.casefold())), None)

    def shown(self, value: Decimal, shown_unit: str = "") -> tuple[Decimal, str]:
        """`value` (in the stored unit) rounded as people read it and its unit's label, in
        `shown_unit` where that is one of its units (the hospital's): (98.6, "°F"), (72, "/min")."""
        unit = self.unit_find(shown_unit) if shown_unit and shown_unit != self.unit else None
        if unit is None or unit.from_canonical is None:
            return self.round(value), self.unit_label
        places = self.decimal_places if unit.decimal_places is None else unit.decimal_places
        return unit.from_canonical(value).quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP), unit.label

    def text(self, value: Decimal, shown_unit: str = "") -> str:
        """`value` as `shown` reads it, in words: "98.6 °F", "72 /min"."""
        number, label = self.shown(value, shown_unit)
        return f"{number} {label}"

    @property
    def plausible_text(self) -> str:
        low, high = self.plausible
        return f"{_show(low)}–{_show(high)} {self.unit_label}".strip()

    @property
    def accepted_units(self) -> str:
        """The units a value may be typed in, as people write them: "cm, m, in"."""
        return ", ".join(unit.label for unit in self.input_units)


# Where the plausibility and confirmation limits come from (docs/clinical/encounters.md lists them).
LIMIT_SOURCES: Mapping[str, str] = {
    "heart_rate": "Neonatal supraventricular tachycardia reaches 300/min (Nelson Textbook of Pediatrics, "
    "21st ed., 2020, ch. 462); a rate of 0 is recorded during resuscitation. Below 20 or above 250/min "
    "is asked to be confirmed.",
    "respiratory_rate": "Apnoea (0/min) is recorded; preterm and sick neonates breathe at over 100/min "
    "(Fleming S, et al. Lancet 2011;377:1011-1018, 99th centile 57-66/min in infancy). Below 4 or above "
    "100/min is asked to be confirmed.",
    "blood_pressure": "Intra-arterial pressures up to 480/350 mmHg were measured during heavy lifting "
    "(MacDougall JD, et al. J Appl Physiol 1985;58:785-790); preterm neonates have systolic pressures "
    "near 30 mmHg. Unusual (confirmed): systolic below 40 or above 260, diastolic below 20 or above 180.",
    "temperature": "Survival from accidental hypothermia at a core temperature of 11.8 C (Mroczek T, et "
    "al. Eur J Cardiothorac Surg 2020;58:1091-1092) and from heat stroke at 46.5 C (Grady Memorial "
    "Hospital, Atlanta, 1980); below 30 C is severe hypothermia (Swiss stage III: Durrer B, et al. High "
    "Alt Med Biol 2003;4:99-103) and above 43 C rarely survived: both are asked to be confirmed.",
    "spo2": "Pulse oximeters show readings down to 0 % but are accurate only from 70 % (ISO "
    "80601-2-61:2017); below 40 % a reading is asked to be confirmed (often probe or perfusion "
    "artefact), never refused.",
    "body_size": "Surviving infants from 0.2 kg (University of Iowa Tiniest Babies Registry) to adults of "
    "500 kg; heights from 20 cm (extremely preterm) to 272 cm (the tallest person recorded).",
    "bmi": "A weight and a height whose BMI lies outside 5-250 kg/m2 cannot be one person's.",
    "pain": "Numeric rating scale 0-10 (Hawker GA, et al. Arthritis Care Res 2011;63 Suppl 11:S240-252).",
    "acvpu": "ACVPU (Alert, new Confusion, Voice, Pain, Unresponsive): Royal College of Physicians, "
    "NEWS2, 2017.",
    "gcs": "Glasgow Coma Scale: eye 1-4, verbal 1-5, motor 1-6, total 3-15 (Teasdale G, Jennett B. "
    "Lancet 1974;2:81-84); the total of the three is computed when they are given.",
    "capillary_refill": "Capillary refill time in whole seconds, as the Brighton PEWS reads it "
    "(Monaghan A. Paediatric Nursing 2005;17(1):32-35); the upper limit of normal is about 2 s on a "
    "finger (Fleming S, et al. Arch Dis Child 2015;100:239-249). Over 10 s is asked to be confirmed.",
    "pews": "The Brighton Paediatric Early Warning Score's behaviour, colour, work of breathing and "
    "extra-score observations (Monaghan A. Paediatric Nursing 2005;17(1):32-35).",
    "oxygen": "Inhaled oxygen: flow 0 L/min means breathing air; flows to 60 L/min (high-flow nasal "
    "oxygen) are usual, up to 80 asked to be confirmed; FiO2 21 % (air) to 100 % (BTS guideline for "
    "oxygen use in adults, Thorax 2017;72:ii1-ii90).",
}

PER_MINUTE = InputUnit(
    "/min", "per minute", _same, ("bpm", "{beats}/min", "beats/min", "{breaths}/min", "1/min")
)
MM_HG = InputUnit("mm[Hg]", "mmHg", _same, ("mmhg", "mm hg"))
PERCENT = InputUnit("%", "%", _same, ("percent",))

HEART_RATE = "8867-4"
SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"
BP_PANEL = "85354-9"  # Blood pressure panel with all children optional
TEMPERATURE = "8310-5"
RESPIRATORY_RATE = "9279-1"
SPO2 = "59408-5"
OXYGEN_FLOW = "3151-8"  # Inhaled oxygen flow rate
FIO2 = "3150-0"  # Inhaled oxygen concentration
CONSCIOUSNESS = "67775-7"  # Level of responsiveness (ACVPU)
GCS_TOTAL = "9269-2"  # Glasgow coma score total
GCS_EYE, GCS_VERBAL, GCS_MOTOR = "9267-6", "9270-0", "9268-4"  # its components
GCS_COMPONENTS = (GCS_EYE, GCS_VERBAL, GCS_MOTOR)
PAIN = "72514-3"  # Pain severity - 0-10 verbal numeric rating [Score] - Reported
WEIGHT = "29463-7"
HEIGHT = "8302-2"
BMI = "39156-5"
CAPILLARY_REFILL = "44963-7"  # Capillary refill [Time] of Nail bed
# The Brighton PEWS's own observations, for which LOINC has no code: ours (LOCAL_SYSTEM).
PEWS_BEHAVIOUR = "pews-behaviour"
SKIN_COLOUR = "pews-colour"
WORK_OF_BREATHING = "pews-breathing"
NEBULISERS = "pews-nebulisers"
POST_OP_VOMITING = "pews-vomiting"

BP_PANEL_DISPLAY = "Blood pressure"
AIR_FIO2 = D(21)  # % oxygen in air

ACVPU_ANSWERS = (
    Answer("A", "Alert", "248234008"),
    Answer("C", "New confusion", "130987000"),
    Answer("V", "Responds to voice", "300202002"),
    Answer("P", "Responds to pain", "450847001"),
    Answer("U", "Unresponsive", "422768004"),
)

# The answers' codes are the ones hms.clinical.pews scores (data/pews.toml).
PEWS_BEHAVIOUR_ANSWERS = (
    Answer("playing", "Playing or appropriate"),
    Answer("sleeping", "Sleeping"),
    Answer("irritable", "Irritable"),
    Answer("lethargic", "Lethargic, confused, less response to pain"),
)
SKIN_COLOUR_ANSWERS = (
    Answer("pink", "Pink"),
    Answer("pale", "Pale"),
    Answer("grey", "Grey"),
    Answer("mottled", "Grey and mottled"),
)
WORK_OF_BREATHING_ANSWERS = (
    Answer("none", "No recession or tracheal tug"),
    Answer("accessory", "Using accessory muscles"),
    Answer("recession", "Recession or tracheal tug"),
    Answer("sternal", "Sternal recession, tracheal tug or grunting"),
)
YES_NO_ANSWERS = (Answer("no", "No", "373067005"), Answer("yes", "Yes", "373066001"))


def _pews_coded(code: str, display: str, answers: tuple[Answer, ...]) -> Vital:
    return Vital(
        code,
        display,
        "",
        "",
        0,
        (D(0), D(0)),
        "pews",
        answers=answers,
        code_system=LOCAL_SYSTEM,
        paediatric=True,
    )


VITALS: Mapping[str, Vital] = {
    vital.code: vital
    for vital in (
        Vital(
            HEART_RATE,
            "Heart rate",
            "/min",
            "/min",
            0,
            (D(0), D(350)),
            "heart_rate",
            (D(20), D(250)),
            (PER_MINUTE,),
        ),
        Vital(
            SYSTOLIC,
            "Systolic blood pressure",
            "mm[Hg]",
            "mmHg",
            0,
            (D(20), D(400)),
            "blood_pressure",
            (D(40), D(260)),
            (MM_HG,),
        ),
        Vital(
            DIASTOLIC,
            "Diastolic blood pressure",
            "mm[Hg]",
            "mmHg",
            0,
            (D(10), D(350)),
            "blood_pressure",
            (D(20), D(180)),
            (MM_HG,),
        ),
        Vital(
            TEMPERATURE,
            "Body temperature",
            "Cel",
            "°C",
            1,
            (D(10), D(47)),
            "temperature",
            (D(30), D(43)),
            (
                InputUnit("Cel", "°C", _same, ("°c", "c", "degc", "celsius"), _same),
                InputUnit(
                    "[degF]",
                    "°F",
                    _fahrenheit_to_celsius,
                    ("degf", "°f", "f", "fahrenheit"),
                    _celsius_to_fahrenheit,
                ),
            ),
        ),
        Vital(
            RESPIRATORY_RATE,
            "Respiratory rate",
            "/min",
            "/min",
            0,
            (D(0), D(150)),
            "respiratory_rate",
            (D(4), D(100)),
            (PER_MINUTE,),
        ),
        Vital(
            SPO2,
            "Oxygen saturation (SpO2)",
            "%",
            "%",
            0,
            (D(0), D(100)),
            "spo2",
            (D(40), D(100)),
            (PERCENT,),
        ),
        Vital(
            OXYGEN_FLOW,
            "Oxygen flow (0 = on air)",
            "L/min",
            "L/min",
            1,
            (D(0), D(80)),
            "oxygen",
            (D(0), D(60)),
            (InputUnit("L/min", "L/min", _same, ("l/min", "lpm", "litres/min", "liters/min")),),
        ),
        Vital(FIO2, "Inspired oxygen (FiO2)", "%", "%", 0, (D(21), D(100)), "oxygen", None, (PERCENT,)),
        Vital(
            CONSCIOUSNESS,
            "Consciousness (ACVPU)",
            "",
            "",
            0,
            (D(0), D(0)),
            "acvpu",
            answers=ACVPU_ANSWERS,
        ),
        _pews_coded(PEWS_BEHAVIOUR, "Behaviour (PEWS)", PEWS_BEHAVIOUR_ANSWERS),
        _pews_coded(SKIN_COLOUR, "Skin colour (PEWS)", SKIN_COLOUR_ANSWERS),
        Vital(
            CAPILLARY_REFILL,
            "Capillary refill time",
            "s",
            "s",
            0,
            (D(0), D(30)),
            "capillary_refill",
            (D(0), D(10)),
            (InputUnit("s", "seconds", _same, ("sec", "secs", "second", "seconds")),),
            paediatric=True,
        ),
        _pews_coded(WORK_OF_BREATHING, "Work of breathing (PEWS)", WORK_OF_BREATHING_ANSWERS),
        _pews_coded(NEBULISERS, "Quarter-hourly nebulisers (PEWS)", YES_NO_ANSWERS),
        _pews_coded(POST_OP_VOMITING, "Persistent post-operative vomiting (PEWS)", YES_NO_ANSWERS),
        Vital(GCS_EYE, "GCS eye opening (1-4)", "{score}", "", 0, (D(1), D(4)), "gcs", whole=True),
        Vital(
            GCS_VERBAL, "GCS best verbal response (1-5)", "{score}", "", 0, (D(1), D(5)), "gcs", whole=True
        ),
        Vital(GCS_MOTOR, "GCS best motor response (1-6)", "{score}", "", 0, (D(1), D(6)), "gcs", whole=True),
        Vital(GCS_TOTAL, "Glasgow Coma Scale total", "{score}", "", 0, (D(3), D(15)), "gcs", whole=True),
        Vital(PAIN, "Pain score (0-10)", "{score}", "/10", 0, (D(0), D(10)), "pain", whole=True),
        Vital(
            WEIGHT,
            "Body weight",
            "kg",
            "kg",
            2,
            (D("0.2"), D(500)),
            "body_size",
            None,
            (
                InputUnit("kg", "kg", _same, ("kilogram", "kilograms"), _same),
                InputUnit("g", "g", _scale("0.001"), ("gram", "grams")),
                InputUnit(
                    "[lb_av]",
                    "lb",
                    _scale("0.45359237"),
                    ("lb", "lbs", "pound", "pounds"),
                    lambda kg: kg / D("0.45359237"),
                    1,
                ),
            ),
        ),
        Vital(
            HEIGHT,
            "Body height",
            "cm",
            "cm",
            1,
            (D(20), D(272)),
            "body_size",
            None,
            (
                InputUnit("cm", "cm", _same, ("centimetre", "centimeter"), _same),
                InputUnit("m", "m", _scale("100"), ("metre", "meter")),
                InputUnit(
                    "[in_i]", "in", _scale("2.54"), ("in", "inch", "inches"), lambda cm: cm / D("2.54")
                ),
            ),
        ),
        # Computed from weight and height; the limits catch a weight and a height that cannot be one person's.
        Vital(BMI, "Body mass index (BMI)", "kg/m2", "kg/m²", 1, (D(5), D(250)), "bmi", computed=True),
    )
}

# The blood pressure panel: a row of its own, no value, whose components are the two pressures.
BP_PANEL_VITAL = Vital(BP_PANEL, BP_PANEL_DISPLAY, "", "", 0, (D(0), D(0)), "blood_pressure", computed=True)

# Adults' BMI (18 years and over): WHO. Obesity: preventing and managing the global epidemic.
# WHO Technical Report Series 894, 2000 (underweight below 18.5, overweight from 25.0).
ADULT_BMI_LOW, ADULT_BMI_HIGH = D("18.5"), D("24.9")

# Observation.value and entered_value: DecimalField(max_digits=12, decimal_places=4).
VALUE_DIGITS, VALUE_PLACES = 12, 4


class VitalError(ValueError):
    """A value that cannot be recorded; the message is for the person who typed it."""


class VitalUnconfirmed(VitalError):
    """A possible but unusual value: recorded only when the person confirms it."""


@dataclass(frozen=True)
class Subject:
    """Who a value is read for: the patient's age on the day it was taken, and sex for clinical use
    (female, male, or "" when neither is known)."""

    age: Age
    sex: str


@dataclass(frozen=True)
class Measurement:
    vital: Vital
    value: Decimal | None  # in vital.unit, rounded; None for a coded observation
    entered_value: Decimal | None
    entered_unit: str
    flag: str
    value_code: str = ""  # a coded observation's answer
    centile: Decimal | None = None  # a child's BMI centile

    @property
    def number(self) -> Decimal:
        """The value of a measured (not coded) vital sign."""
        if self.value is None:
            raise VitalError(f"{self.vital.display} is coded; it has no number.")
        return self.value


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


def vital_code_system(code: str) -> str:
    """The code system of an observation's code: LOINC, or ours where LOINC has none."""
    vital = VITALS.get(code)
    return vital.code_system if vital is not None else LOINC_SYSTEM


def vital_name(code: str) -> str:
    if code == BP_PANEL:
        return BP_PANEL_VITAL.display
    return VITALS[code].display if code in VITALS else code


def vitals_refused(codes: Iterable[str]) -> str:
    """What to say when vital signs were refused: nothing was recorded, and which to check."""
    return f"Nothing was recorded; check {', '.join(vital_name(code) for code in codes)}."


def _show(value: Decimal) -> str:
    return f"{value.normalize():f}"


def vital_flag(vital: Vital, value: Decimal, subject: Subject) -> str:
    """'', L, H, LL or HH against the patient's band (age on the day, sex for clinical use); ''
    where no band covers the patient's age (no other age's band is used instead)."""
    band = reference_band(vital.code, subject.age, subject.sex)
    if band is None:
        return ""
    flag = band_flag(value, band)
    return "" if flag == NORMAL else flag


def vital_measure(
    code: str, value: object, unit: str | None, *, subject: Subject, confirmed: bool = False
) -> Measurement:
    """Convert and check one typed vital sign for `subject`; VitalError says what is wrong with it
    (VitalUnconfirmed: unusual, to be confirmed)."""
    vital = VITALS.get(code)
    if vital is None:
        raise VitalError(f"{code} is not a vital sign recorded here.")
    if vital.computed:
        raise VitalError(f"{vital.display} is calculated from weight and height; it is not typed in.")
    if vital.coded:
        answer = vital.answer_find(value)
        if answer is None:
            choices = ", ".join(f"{a.code} ({a.label})" for a in vital.answers)
            raise VitalError(f"{vital.display} is one of: {choices}.")
        return Measurement(vital, None, None, "", "", value_code=answer.code)
    entered = vital_value_parse(value, label=vital.display)
    if vital.input_units:
        input_unit = vital.unit_find(unit)
        if input_unit is None:
            if not (unit or "").strip():
                raise VitalError(f"Choose the unit of {vital.display}: {vital.accepted_units}.")
            raise VitalError(
                f"{vital.display} cannot be given in {unit!r}; use one of: {vital.accepted_units}."
            )
        canonical = vital.round(input_unit.to_canonical(entered))
        typed, entered_unit = f"{_show(entered)} {input_unit.label}", input_unit.ucum
    else:  # a score: no unit to choose
        if (unit or "").strip() not in ("", vital.unit):
            raise VitalError(f"{vital.display} is a score; it has no unit.")
        if vital.whole and entered != entered.to_integral_value():
            raise VitalError(f"{vital.display} is a whole number.")
        canonical, typed, entered_unit = vital.round(entered), f"{_show(entered)}", vital.unit
    _check_plausible(vital, canonical, typed)
    if not confirmed:
        _check_usual(vital, canonical, typed)
    return Measurement(
        vital=vital,
        value=canonical,
        entered_value=entered.quantize(D("0.0001"), rounding=ROUND_HALF_UP),
        entered_unit=entered_unit,
        flag=vital_flag(vital, canonical, subject),
    )


def bmi_measure(*, weight_kg: Decimal, height_cm: Decimal) -> Measurement:
    """The BMI of a weight and a height, flagged against the adult cut-offs (the service reads a
    child's against the growth charts); VitalError if together they are impossible."""
    vital = VITALS[BMI]
    metres = height_cm / 100
    value = vital.round(weight_kg / (metres * metres))
    _check_plausible(
        vital,
        value,
        f"{_show(value)} {vital.unit_label} (from {_show(weight_kg)} kg and {_show(height_cm)} cm)",
    )
    flag = "H" if value > ADULT_BMI_HIGH else "L" if value < ADULT_BMI_LOW else ""
    return Measurement(vital=vital, value=value, entered_value=None, entered_unit="", flag=flag)


def _limits_text(vital: Vital, low: Decimal, high: Decimal) -> str:
    return f"{_show(low)} and {_show(high)} {vital.unit_label}".rstrip()


def _converted(vital: Vital, value: Decimal, typed: str) -> str:
    if typed == _show(value) or typed.startswith(f"{_show(value)} "):
        return ""
    return f" = {_show(value)} {vital.unit_label}"


def _check_plausible(vital: Vital, value: Decimal, typed: str) -> None:
    low, high = vital.plausible
    if not low <= value <= high:
        raise VitalError(
            f"{vital.display} of {typed}{_converted(vital, value, typed)} is impossible; a value must lie "
            f"between {_limits_text(vital, low, high)}. Check the number and the unit."
        )


def _check_usual(vital: Vital, value: Decimal, typed: str) -> None:
    if vital.usual is None:
        return
    low, high = vital.usual
    if not low <= value <= high:
        raise VitalUnconfirmed(
            f"{vital.display} of {typed}{_converted(vital, value, typed)} is very unusual (outside "
            f"{_limits_text(vital, low, high)}). Check it; if it is right, confirm it and record again."
        )


def hospital_units() -> dict[str, str]:
    """The units this hospital shows and first offers weight, height and temperature in (its
    clinical profile): {LOINC code: UCUM unit}."""
    profile = clinical_profile()
    return {WEIGHT: profile.weight_unit, HEIGHT: profile.height_unit, TEMPERATURE: profile.temperature_unit}


def stored_text(code: str, value: Decimal | None, value_code: str, unit: str, shown_unit: str = "") -> str:
    """A stored value as people read it: "98.6 °F" (in `shown_unit` where given), "A: Alert"; ""
    for a panel, whose components carry the values."""
    vital = VITALS.get(code)
    if vital is not None and vital.coded:
        answer = vital.answer_find(value_code)
        return answer.text if answer else value_code
    if value is None:
        return value_code
    if vital is None:
        return f"{value.normalize():f} {unit}".strip()
    return vital.text(value, shown_unit)


def reference_interval(code: str, subject: Subject) -> tuple[Decimal, Decimal] | None:
    """The reference interval (low, high) of `code` for `subject`, where the band has both ends
    (what a trend chart shades); None otherwise."""
    band = reference_band(code, subject.age, subject.sex)
    if band is None or band.low is None or band.high is None:
        return None
    return band.low, band.high


def patient_subject(
    birth_date: datetime.date, recorded_sex: str, sex_for_clinical_use: str, on: datetime.date
) -> Subject:
    """The patient as the bands read them on the day `on` (a day not before the birth date)."""
    return Subject(age_on(birth_date, on), clinical_sex(recorded_sex, sex_for_clinical_use))
