"""The critical results the demo's laboratory reports as the demo starts: whose they are, what the
whole panel shows and what the doctor reads back. Values are in each test's conventional unit (the
catalogue's), reported in the hospital's; a creatinine is chosen for the patient's age and sex so
that the eGFR falls in the stated band. The first case is older and acknowledged; the second
waits on the ordering doctor's start page."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class CriticalCase:
    """A panel that comes back with a critical value, and the patient it is most plausible in."""

    condition: str  # the visit's condition (data/conditions.toml), which orders the panel
    panel: str  # as the condition's labs name it
    values: Mapping[str, str]  # LOINC -> value (conventional unit); urea and BUN both: a panel has one
    ages: tuple[int, int]  # the patient preferred: this age (years, inclusive)...
    sex: str = ""  # ...this sex...
    without: tuple[str, ...] = ()  # ...and none of these long-term conditions
    egfr: tuple[int, int] | None = None  # the band the creatinine's eGFR falls in
    # Read back and acknowledged by the doctor as the demo starts, and the note amended; {result}
    # is the critical result as the note says it ("Haemoglobin 62 g/L (critically low)"). Empty: waiting.
    read_back: str = ""
    amendment: str = ""


CRITICAL_CASES = [
    # Iron-deficiency anaemia found at a visit for tiredness: the blood count comes back with a
    # haemoglobin below 7 g/dL (microcytic: MCH 20 pg, MCV 68 fL). NICE NG24 (Blood transfusion,
    # 2015) 1.2: a restrictive threshold of 70 g/L; NICE CKS (Anaemia - iron deficiency, 2024):
    # a woman of menstruating age is the commonest patient.
    CriticalCase(
        condition="D64.9",
        panel="CBC",
        values={"718-7": "6.2", "4544-3": "21.0", "6690-2": "6.4", "789-8": "3.10", "777-3": "412"},
        ages=(18, 50),
        sex="female",
        read_back=(
            "{result} read back. Patient phoned: breathless on the stairs, no chest pain or bleeding "
            "now; sent to the emergency department today for assessment and transfusion."
        ),
        amendment=(
            "Critical result phoned by the laboratory: {result}, read back. Patient phoned: breathless "
            "on exertion, no chest pain or active bleeding; sent to the emergency department today for "
            "assessment and a decision on transfusion (NICE NG24). Iron continued; the cause of the "
            "iron loss still to be found."
        ),
    ),
    # Hyperkalaemia in chronic kidney disease stage 3b, with the mild metabolic acidosis and raised
    # urea of reduced kidney function (UK Kidney Association, Treatment of acute hyperkalaemia in
    # adults, 2023: 6.5 mmol/L or more is severe and treated as an emergency).
    CriticalCase(
        condition="N18.32",
        panel="BMP",
        values={
            "2823-3": "6.8",
            "2951-2": "136",
            "2075-0": "105",
            "2028-9": "18",
            "3094-0": "38",
            "22664-7": "13.6",
            "2345-7": "94",
            "17861-6": "9.0",
        },
        ages=(55, 80),
        without=("I10", "E11.9"),  # see the condition: CKD is coded alone
        egfr=(32, 40),
    ),
]
CREATININE_STEP = Decimal("0.05")  # mg/dL: the creatinine is searched in these steps for the eGFR band
# A held panel is from one of the doctor's last clinic days: a routine sample is reported within
# days, not weeks.
REPORTED_WITHIN_CLINIC_DAYS = 2
