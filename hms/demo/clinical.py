"""What the demo's doctors see and do: common outpatient conditions (ICD-10-CM), the drugs
prescribed for them, the lab tests ordered, plausible vital signs and lab values, and the
wording of the notes. Pure data and arithmetic on a random.Random, no database.

`demo_content_problems()` checks all of it against the clinical apps' own rules (billable
codes, valid dose units/routes/frequencies, catalogue tests, price list codes); the
seed refuses to run if it reports anything.
"""

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError

from hms.encounters import vitals
from hms.encounters.icd10 import icd10_lookup
from hms.orders.lab_catalogue import LabPanel, LabTest, catalogue_lookup, catalogue_tests
from hms.orders.models import Prescription
from hms.patients.normalise import name_normalise

D = Decimal


@dataclass(frozen=True)
class Rx:
    """One prescription as the doctor writes it."""

    drug_name: str
    dose: Decimal
    dose_unit: str
    route: str
    frequency: str
    duration_days: int | None
    instructions: str = ""
    price_code: str = ""  # the hospital pharmacy's item, when it is dispensed there

    @property
    def text(self) -> str:
        course = f" for {self.duration_days} days" if self.duration_days else ""
        dose = f"{self.dose.normalize():f}"
        return f"{self.drug_name} {dose} {self.dose_unit} {self.route} {self.frequency}{course}"


@dataclass(frozen=True)
class Person:
    """What the demo needs to know about a patient to treat them plausibly."""

    age: int  # whole years
    sex: str
    weight_kg: Decimal  # baseline, varies a little per visit
    height_cm: Decimal

    @property
    def is_adult(self) -> bool:
        return self.age >= 12 and self.weight_kg >= 40


def _round_to(value: Decimal, step: int) -> Decimal:
    return (value / step).quantize(D(1), rounding=ROUND_HALF_UP) * step


def _per_kg(patient: Person, mg_per_kg: str, *, step: int, most: int) -> Decimal:
    return max(D(step), min(D(most), _round_to(D(mg_per_kg) * patient.weight_kg, step)))


# Drugs: adult doses, and for children the usual age or weight based ones.


def _paracetamol(p: Person, days: int = 5) -> Rx:
    if p.is_adult:
        return Rx(
            "Paracetamol",
            D(1),
            "g",
            "oral",
            "PRN",
            days,
            "Up to four times a day (QDS) for pain or fever; at most 4 g in 24 hours.",
            "DRUG-PARACETAMOL-500",
        )
    return Rx(
        "Paracetamol oral suspension 120 mg/5 mL",
        _per_kg(p, "15", step=10, most=500),
        "mg",
        "oral",
        "PRN",
        days,
        "15 mg/kg up to four times a day for pain or fever.",
    )


def _amoxicillin(p: Person) -> Rx:
    if p.is_adult:
        return Rx(
            "Amoxicillin", D(500), "mg", "oral", "TDS", 7, "Complete the course.", "DRUG-AMOXICILLIN-500"
        )
    dose = D(125) if p.age < 1 else D(250) if p.age < 5 else D(500)
    return Rx("Amoxicillin oral suspension 250 mg/5 mL", dose, "mg", "oral", "TDS", 5, "Complete the course.")


def _clarithromycin(p: Person) -> Rx:
    if p.is_adult:
        return Rx("Clarithromycin", D(500), "mg", "oral", "BD", 7, "Penicillin allergy: macrolide instead.")
    return Rx(
        "Clarithromycin oral suspension 125 mg/5 mL",
        _per_kg(p, "7.5", step=5, most=250),
        "mg",
        "oral",
        "BD",
        5,
        "Penicillin allergy: macrolide instead.",
    )


def _ibuprofen(p: Person) -> Rx:
    if p.is_adult:
        return Rx("Ibuprofen", D(400), "mg", "oral", "TDS", 5, "Take with food.")
    return Rx(
        "Ibuprofen oral suspension 100 mg/5 mL",
        _per_kg(p, "10", step=10, most=400),
        "mg",
        "oral",
        "TDS",
        3,
        "Take with food.",
    )


def _cetirizine(p: Person) -> Rx:
    return Rx("Cetirizine", D(10) if p.is_adult else D(5), "mg", "oral", "OD", 30)


def _beclometasone(p: Person) -> Rx:
    dose = D(200) if p.is_adult else D(100)
    return Rx(
        "Beclometasone 100 mcg/dose inhaler", dose, "mcg", "inhaled", "BD", 30, "Rinse the mouth after use."
    )


DRUGS: dict[str, Callable[[Person], Rx]] = {
    "amlodipine": lambda p: Rx("Amlodipine", D(5), "mg", "oral", "OD", 30, "", "DRUG-AMLODIPINE-5"),
    "metformin": lambda p: Rx(
        "Metformin",
        D(500),
        "mg",
        "oral",
        "BD",
        30,
        "Take with breakfast and the evening meal.",
        "DRUG-METFORMIN-500",
    ),
    "atorvastatin": lambda p: Rx(
        "Atorvastatin", D(20), "mg", "oral", "NOCTE", 30, "", "DRUG-ATORVASTATIN-20"
    ),
    "levothyroxine": lambda p: Rx(
        "Levothyroxine", D(50), "mcg", "oral", "MANE", 30, "Take 30 minutes before breakfast."
    ),
    "paracetamol": _paracetamol,
    "paracetamol_regular": lambda p: _paracetamol(p, days=14),
    "amoxicillin": _amoxicillin,
    "clarithromycin": _clarithromycin,
    "ibuprofen": _ibuprofen,
    "ibuprofen_gel": lambda p: Rx(
        "Ibuprofen 5% gel", D(1), "application", "topical", "TDS", 14, "Rub in gently."
    ),
    "omeprazole": lambda p: Rx(
        "Omeprazole", D(20), "mg", "oral", "OD", 28, "Before breakfast.", "DRUG-OMEPRAZOLE-20"
    ),
    "salbutamol": lambda p: Rx(
        "Salbutamol 100 mcg/dose inhaler",
        D(2),
        "puff",
        "inhaled",
        "PRN",
        30,
        "Two puffs when wheezy or breathless, up to four times a day; use a spacer.",
        "DRUG-SALBUTAMOL-INH",
    ),
    "beclometasone": _beclometasone,
    "nitrofurantoin": lambda p: Rx(
        "Nitrofurantoin modified-release", D(100), "mg", "oral", "BD", 5, "With food."
    ),
    "sumatriptan": lambda p: Rx(
        "Sumatriptan",
        D(50),
        "mg",
        "oral",
        "PRN",
        30,
        "At the start of a migraine; may repeat once after 2 hours.",
    ),
    "ferrous_sulfate": lambda p: Rx(
        "Ferrous sulfate", D(200), "mg", "oral", "BD", 30, "May darken the stools."
    ),
    "sertraline": lambda p: Rx("Sertraline", D(50), "mg", "oral", "OD", 30, "Review in 4 weeks."),
    "hydrocortisone": lambda p: Rx(
        "Hydrocortisone 1% cream",
        D(1),
        "application",
        "topical",
        "BD",
        14,
        "Thin layer to the affected skin.",
    ),
    "emollient": lambda p: Rx("Emollient cream", D(1), "application", "topical", "TDS", 30, "Use liberally."),
    "cetirizine": _cetirizine,
    "ors": lambda p: Rx(
        "Oral rehydration salts",
        D(1),
        "sachet",
        "oral",
        "PRN",
        3,
        "One sachet in 200 mL of water after each loose stool.",
        "DRUG-ORS",
    ),
    "colecalciferol": lambda p: Rx("Colecalciferol", D(1000), "units", "oral", "OD", 90),
    "hyoscine": lambda p: Rx("Hyoscine butylbromide", D(10), "mg", "oral", "TDS", 3, "For cramping pain."),
    "aspirin_stat": lambda p: Rx("Aspirin", D(300), "mg", "oral", "STAT", None, "Chewed, given in clinic."),
    "clotrimazole": lambda p: Rx("Clotrimazole 1% cream", D(1), "application", "topical", "BD", 14),
}

# Allergy substance -> drugs (DRUGS keys) it rules out besides any whose name contains it.
CROSS_REACTIONS = {
    "penicillin": {"amoxicillin"},
    "ibuprofen": {"ibuprofen", "ibuprofen_gel", "aspirin_stat"},
    "aspirin": {"aspirin_stat", "ibuprofen", "ibuprofen_gel"},
}
ALTERNATIVES = {"amoxicillin": "clarithromycin", "ibuprofen": "paracetamol"}


@dataclass(frozen=True)
class AllergySpec:
    substance: str
    category: str
    reaction: str
    severity: str


ALLERGIES = [
    AllergySpec("Penicillin", "medication", "Urticarial rash", "moderate"),
    AllergySpec("Sulfonamides", "medication", "Maculopapular rash", "mild"),
    AllergySpec("Ibuprofen", "medication", "Wheeze", "moderate"),
    AllergySpec("Aspirin", "medication", "Angioedema", "severe"),
    AllergySpec("Codeine", "medication", "Nausea and vomiting", "mild"),
    AllergySpec("Peanut", "food", "Anaphylaxis", "severe"),
    AllergySpec("Shellfish", "food", "Hives", "moderate"),
    AllergySpec("Latex", "environment", "Contact dermatitis", "mild"),
    AllergySpec("House dust mite", "environment", "Rhinitis and itchy eyes", "mild"),
]


@dataclass(frozen=True)
class Condition:
    code: str  # ICD-10-CM, billable
    reason: str  # what the appointment is booked for
    complaints: tuple[str, ...]  # the subjective part, one chosen per visit
    findings: str  # examination, added to the vital signs
    plan: str
    drugs: tuple[str, ...] = ()
    labs: tuple[tuple[str, float], ...] = ()  # (catalogue code or panel abbreviation, chance)
    procedure: tuple[str, float] | None = None  # (price code, chance)
    min_age: int = 0
    max_age: int = 120
    weight: int = 1  # how common, among the conditions that fit the patient
    signs: tuple[str, ...] = ()  # vital sign tendencies: hypertensive, fever, wheeze, tachycardia
    lab_ranges: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # LOINC -> abnormal range
    lab_ranges_by_sex: Mapping[str, Mapping[str, tuple[str, str]]] = field(default_factory=dict)


CONDITIONS: dict[str, Condition] = {
    c.code: c
    for c in [
        # Long-term conditions, seen again and again.
        Condition(
            "I10",
            "Blood pressure review",
            (
                "Attends for blood pressure review. Taking medication regularly, no side effects.",
                "Home readings running high. No headache, chest pain or breathlessness.",
                "Routine hypertension follow-up. Occasional ankle swelling in the evening.",
            ),
            "Heart sounds normal, no peripheral oedema.",
            "Low-salt diet and regular exercise. Home blood pressure diary. Review in 4 weeks.",
            drugs=("amlodipine",),
            labs=(("BMP", 0.35), ("2160-0", 0.1)),
            procedure=("PROC-ECG", 0.15),
            min_age=30,
            weight=5,
            signs=("hypertensive",),
        ),
        Condition(
            "E11.9",
            "Diabetes review",
            (
                "Diabetes review. Adherent to metformin, some loose stools at first, now settled.",
                "Attends for diabetes follow-up. Occasional thirst, no hypoglycaemic episodes.",
                "Diabetes check-up; diet has been difficult over the holidays.",
            ),
            "Feet: pulses present, sensation intact to monofilament.",
            "Diet and exercise advice reinforced. Annual eye screening booked. HbA1c again in 3 months.",
            drugs=("metformin",),
            labs=(("4548-4", 0.8), ("BMP", 0.4)),
            min_age=30,
            weight=4,
            lab_ranges={"4548-4": ("6.6", "9.8"), "2345-7": ("118", "240")},
        ),
        Condition(
            "E78.5",
            "Cholesterol review",
            (
                "Attends to discuss cholesterol results. No muscle aches on the statin.",
                "Lipid follow-up. Trying to cut down on fried food.",
            ),
            "No xanthelasma. Cardiovascular examination normal.",
            "Mediterranean-style diet, 150 minutes of exercise a week. Repeat lipids in 3 months.",
            drugs=("atorvastatin",),
            labs=(("LIPID", 0.85),),
            min_age=30,
            weight=3,
            lab_ranges={
                "2093-3": ("205", "275"),
                "13457-7": ("132", "190"),
                "2571-8": ("150", "260"),
                "2085-9": ("32", "48"),
            },
        ),
        Condition(
            "E03.9",
            "Thyroid review",
            ("Tiredness and feeling cold; on levothyroxine.", "Thyroid follow-up, energy improving."),
            "No goitre. Reflexes normal.",
            "Continue levothyroxine; TSH in 6 weeks.",
            drugs=("levothyroxine",),
            labs=(("3016-3", 0.9),),
            min_age=18,
            weight=1,
            lab_ranges={"3016-3": ("4.6", "11.5")},
        ),
        Condition(
            "J45.909",
            "Asthma review",
            (
                "Wheeze and night-time cough for a week; using the reliever most days.",
                "Asthma review. Symptoms worse with the change of season.",
            ),
            "Scattered expiratory wheeze, no recession.",
            "Inhaler technique checked. Asthma action plan given. Review in 2 weeks, sooner if worse.",
            drugs=("salbutamol", "beclometasone"),
            procedure=("PROC-NEBULISATION", 0.25),
            min_age=4,
            weight=2,
            signs=("wheeze",),
        ),
        Condition(
            "M17.9",
            "Knee pain",
            (
                "Aching knees, worse on stairs and after walking.",
                "Knee pain and morning stiffness for months.",
            ),
            "Crepitus on knee movement, no effusion.",
            "Weight loss and quadriceps exercises; physiotherapy referral.",
            drugs=("paracetamol_regular", "ibuprofen_gel"),
            procedure=("PROC-INJECTION", 0.1),
            min_age=50,
            weight=2,
        ),
        Condition(
            "F41.9",
            "Anxiety",
            ("Feeling anxious and sleeping poorly for two months.", "Worry and palpitations, worse at work."),
            "Calm and engaged; no thoughts of self-harm.",
            "Talking therapy referral; sleep hygiene advice. Review in 4 weeks.",
            drugs=("sertraline",),
            labs=(("3016-3", 0.3),),
            min_age=18,
            max_age=70,
            weight=1,
            signs=("tachycardia",),
        ),
        # Short illnesses.
        Condition(
            "J06.9",
            "Cough and cold",
            (
                "Runny nose, sore throat and cough for 3 days.",
                "Blocked nose and dry cough since the weekend; no breathlessness.",
            ),
            "Throat mildly red, chest clear.",
            "Fluids and rest; return if breathless or not better in a week.",
            drugs=("paracetamol",),
            weight=6,
            signs=("fever",),
        ),
        Condition(
            "J02.9",
            "Sore throat",
            ("Painful swallowing and fever for 2 days.", "Sore throat, no cough; feels hot."),
            "Inflamed tonsils with exudate, tender neck glands.",
            "Antibiotic course; salt-water gargles. Return if unable to swallow fluids.",
            drugs=("amoxicillin", "paracetamol"),
            labs=(("CBC", 0.15),),
            weight=4,
            signs=("fever",),
            lab_ranges={"6690-2": ("10.5", "14.5")},
        ),
        Condition(
            "J20.9",
            "Chesty cough",
            ("Productive cough for 10 days after a cold.", "Cough with green sputum and tight chest."),
            "Scattered coarse crackles, no focal signs.",
            "Usually settles in 3 weeks; return if fever or breathlessness.",
            drugs=("paracetamol",),
            procedure=("PROC-NEBULISATION", 0.1),
            min_age=2,
            weight=3,
            signs=("fever", "wheeze"),
        ),
        Condition(
            "H66.90",
            "Ear ache",
            ("Ear pain and fever since last night.", "Pulling at the ear, irritable, poor sleep."),
            "Red bulging ear drum.",
            "Antibiotic course and pain relief. Return if discharge or swelling behind the ear.",
            drugs=("paracetamol", "amoxicillin"),
            max_age=15,
            weight=3,
            signs=("fever",),
        ),
        Condition(
            "R50.9",
            "Fever",
            ("Fever for 2 days, no other symptoms.", "High temperature at home, eating less."),
            "No rash, no neck stiffness; chest clear.",
            "Fluids; watch for warning signs; review in 48 hours if fever persists.",
            drugs=("paracetamol",),
            labs=(("CBC", 0.7),),
            weight=3,
            signs=("fever", "tachycardia"),
            lab_ranges={"6690-2": ("10.5", "16.0")},
        ),
        Condition(
            "A09",
            "Diarrhoea and vomiting",
            ("Loose stools and vomiting since yesterday.", "Diarrhoea six times today, mild cramps."),
            "Mildly dry mucous membranes; abdomen soft, non-tender.",
            "Oral rehydration; return if blood in stool or unable to keep fluids down.",
            drugs=("ors",),
            labs=(("BMP", 0.15),),
            weight=3,
            signs=("fever",),
        ),
        Condition(
            "N39.0",
            "Burning on passing urine",
            ("Burning and frequency for 2 days.", "Dysuria and lower abdominal discomfort."),
            "Suprapubic tenderness, no loin tenderness.",
            "Antibiotic course and fluids; return if fever or loin pain.",
            drugs=("nitrofurantoin",),
            labs=(("CBC", 0.3),),
            min_age=12,
            weight=3,
            lab_ranges={"6690-2": ("11.2", "15.5")},
        ),
        Condition(
            "K21.9",
            "Heartburn",
            ("Burning chest discomfort after meals and at night.", "Acid reflux for several weeks."),
            "Abdomen soft, mild epigastric tenderness.",
            "Smaller meals, no late eating, raise the head of the bed. Review in 4 weeks.",
            drugs=("omeprazole",),
            min_age=16,
            weight=3,
        ),
        Condition(
            "K29.70",
            "Stomach pain",
            ("Upper abdominal pain and nausea for a week.", "Epigastric pain after spicy food and tea."),
            "Epigastric tenderness, no guarding.",
            "Avoid NSAIDs and alcohol; return if vomiting blood or black stools.",
            drugs=("omeprazole",),
            labs=(("CBC", 0.2),),
            min_age=16,
            weight=2,
        ),
        Condition(
            "R10.9",
            "Abdominal pain",
            ("Crampy abdominal pain on and off for 3 days.", "Tummy pain without fever or vomiting."),
            "Abdomen soft, no rebound or guarding.",
            "Safety-netting advice given; review if the pain is worse or constant.",
            drugs=("hyoscine",),
            labs=(("LFT", 0.4), ("CBC", 0.4)),
            min_age=12,
            weight=2,
        ),
        Condition(
            "M54.50",
            "Back pain",
            ("Low back pain after lifting, no leg symptoms.", "Back ache for a week, worse on bending."),
            "Paraspinal tenderness, straight leg raise negative, neurology normal.",
            "Keep active; heat; physiotherapy exercises. Return if numbness or bladder change.",
            drugs=("ibuprofen", "paracetamol"),
            min_age=16,
            weight=4,
        ),
        Condition(
            "R51.9",
            "Headache",
            ("Headaches for a week, worse in the evening.", "Tension-type headache with busy workload."),
            "Fundi normal, neurology normal.",
            "Regular meals, fluids, screen breaks; headache diary.",
            drugs=("paracetamol",),
            min_age=8,
            weight=3,
        ),
        Condition(
            "G43.909",
            "Migraine",
            ("Throbbing one-sided headache with nausea and light sensitivity.", "Migraines twice a month."),
            "Neurological examination normal.",
            "Identify triggers; migraine diary; review in 6 weeks.",
            drugs=("sumatriptan",),
            min_age=18,
            max_age=65,
            weight=2,
        ),
        Condition(
            "D64.9",
            "Tiredness",
            ("Tired and breathless on stairs for a month.", "Fatigue and dizziness on standing."),
            "Conjunctival pallor.",
            "Iron-rich diet; repeat blood count in 8 weeks.",
            drugs=("ferrous_sulfate",),
            labs=(("CBC", 1.0),),
            procedure=("PROC-INJECTION", 0.1),
            min_age=12,
            weight=2,
            signs=("tachycardia",),
            lab_ranges_by_sex={
                "female": {"718-7": ("8.6", "11.4"), "4544-3": ("27.0", "34.5")},
                "male": {"718-7": ("9.5", "12.8"), "4544-3": ("30.0", "39.0")},
            },
        ),
        Condition(
            "L20.9",
            "Itchy rash",
            ("Itchy dry patches in the elbow creases.", "Eczema flare, scratching at night."),
            "Dry excoriated patches on the flexures, no infection.",
            "Emollients generously; short course of mild steroid cream.",
            drugs=("emollient", "hydrocortisone"),
            weight=2,
        ),
        Condition(
            "J30.9",
            "Hay fever",
            ("Sneezing, itchy eyes and runny nose every morning.", "Seasonal nasal symptoms."),
            "Pale swollen nasal mucosa.",
            "Allergen avoidance; antihistamine daily in the season.",
            drugs=("cetirizine",),
            min_age=2,
            weight=2,
        ),
        Condition(
            "E55.9",
            "Aches and tiredness",
            ("Generalised aches and low energy.", "Tiredness; little time outdoors."),
            "Examination unremarkable.",
            "Vitamin D replacement for 3 months; sunlight and diet advice.",
            drugs=("colecalciferol",),
            labs=(("BMP", 0.2),),
            min_age=12,
            weight=2,
        ),
        Condition(
            "B35.4",
            "Skin rash",
            ("Ring-shaped itchy rash on the arm for 2 weeks.",),
            "Annular scaly plaque with a clear centre.",
            "Antifungal cream for two weeks after it clears; keep the skin dry.",
            drugs=("clotrimazole",),
            weight=1,
        ),
        Condition(
            "R07.9",
            "Chest pain",
            ("Central chest tightness on exertion, settles with rest.", "Chest discomfort this morning."),
            "Heart sounds normal, chest clear, calves soft.",
            "ECG done in clinic; urgent cardiology work-up; call emergency services if pain at rest.",
            drugs=("aspirin_stat",),
            labs=(("LIPID", 0.5), ("BMP", 0.5)),
            procedure=("PROC-ECG", 1.0),
            min_age=30,
            weight=1,
            signs=("hypertensive", "tachycardia"),
        ),
        Condition(
            "Z00.00",
            "Health check",
            ("Annual health check, no complaints.", "Routine check-up before a new job."),
            "General examination normal.",
            "Healthy lifestyle advice; results will be sent.",
            labs=(("LIPID", 0.8), ("4548-4", 0.5), ("CBC", 0.5)),
            min_age=18,
            weight=2,
        ),
    ]
}

CHRONIC = ("I10", "E11.9", "E78.5", "E03.9", "J45.909", "M17.9", "F41.9")
SPECIALTY_FOCUS = {"Cardiology": {"I10": 4, "E78.5": 4, "R07.9": 6}}


def lab_price_code(code: str) -> str:
    """The price list code a lab order is billed under: the panel's or the test's LOINC code."""
    item = catalogue_lookup(code)
    assert item is not None, code
    return item.code


# Patients


def body_baseline(rng: random.Random, *, age_months: int, sex: str) -> tuple[Decimal, Decimal]:
    """A plausible (height cm, weight kg) for the age and sex."""
    years = age_months / 12
    if years < 1:
        height = 50 + age_months * 2.1 + rng.uniform(-2, 2)
        weight = 3.4 + age_months * 0.55 + rng.uniform(-0.4, 0.4)
    elif years < 18:
        grown = 76 + 6.2 * min(years - 1, 11)
        if years > 12:
            grown += (years - 12) * (3.2 if sex == "female" else 5.8)
        height = grown + rng.uniform(-5, 5)
        weight = rng.uniform(14.5, 20.5) * (height / 100) ** 2
    else:
        height = rng.uniform(150, 170) if sex == "female" else rng.uniform(162, 186)
        weight = rng.uniform(19.5, 24.5 + min(years, 60) / 6) * (height / 100) ** 2
    return D(f"{height:.1f}"), D(f"{weight:.1f}")


def chronic_conditions(rng: random.Random, *, age: int, sex: str) -> list[str]:
    """The long-term conditions a patient of this age has (often none)."""
    chances = {
        "I10": min(0.55, 0.12 + (age - 35) * 0.01) if age >= 35 else 0,
        "E11.9": min(0.3, 0.08 + (age - 35) * 0.005) if age >= 35 else 0,
        "E78.5": 0.18 if age >= 40 else 0,
        "E03.9": (0.08 if sex == "female" else 0.02) if age >= 18 else 0,
        "J45.909": 0.07 if age >= 4 else 0,
        "M17.9": 0.15 if age >= 55 else 0,
        "F41.9": 0.05 if 18 <= age <= 70 else 0,
    }
    return [code for code in CHRONIC if rng.random() < chances[code]]


def visit_condition(
    rng: random.Random, *, age: int, chronic: Sequence[str], specialty: str = ""
) -> Condition:
    """Why the patient came today: a review of a long-term condition, or something new."""
    if chronic and rng.random() < 0.55:
        return CONDITIONS[rng.choice(list(chronic))]
    focus = SPECIALTY_FOCUS.get(specialty, {})
    fitting = [c for c in CONDITIONS.values() if c.min_age <= age <= c.max_age and c.code not in CHRONIC]
    fitting += [CONDITIONS[code] for code in chronic if code in focus]
    weights = [c.weight * focus.get(c.code, 1) for c in fitting]
    return rng.choices(fitting, weights=weights)[0]


def prescriptions_for(
    conditions: Sequence[Condition], patient: Person, allergies: Sequence[str]
) -> list[tuple[str, Rx]]:
    """(drug key, Rx) for the conditions treated today, leaving out what the allergies rule out."""
    substances = [name_normalise(s) for s in allergies]
    ruled_out = {drug for s in substances for drug in CROSS_REACTIONS.get(s, ())}
    chosen: list[tuple[str, Rx]] = []
    names: set[str] = set()
    for condition in conditions:
        for key in condition.drugs:
            if key in ruled_out:
                key = ALTERNATIVES.get(key, "")
                if not key or key in ruled_out:
                    continue
            rx = DRUGS[key](patient)
            if rx.drug_name in names or _name_clash(rx.drug_name, substances):
                continue
            names.add(rx.drug_name)
            chosen.append((key, rx))
    return chosen


def _name_clash(drug_name: str, substances: Sequence[str]) -> bool:
    """The orders service's own rule: a drug whose name contains an allergy's substance, or the reverse."""
    drug = name_normalise(drug_name)
    return any(len(s) >= 3 and (s in drug or (len(drug) >= 3 and drug in s)) for s in substances)


# Vital signs, as a nurse types them: values and units.

METRIC = {"temperature": "Cel", "weight": "kg", "height": "cm"}
IMPERIAL = {"temperature": "[degF]", "weight": "[lb_av]", "height": "[in_i]"}


def vital_signs(
    rng: random.Random, *, patient: Person, signs: Sequence[str], units: Mapping[str, str]
) -> dict[str, tuple[str, str]]:
    """{LOINC code: (value, unit)} for one visit; mostly normal, abnormal where the condition says."""
    age = patient.age
    if age < 1:
        heart, breaths = rng.randint(110, 150), rng.randint(30, 45)
    elif age < 6:
        heart, breaths = rng.randint(90, 125), rng.randint(22, 30)
    elif age < 12:
        heart, breaths = rng.randint(75, 110), rng.randint(18, 24)
    else:
        heart, breaths = rng.randint(62, 94), rng.randint(12, 18)
    temperature = rng.uniform(36.3, 37.3)
    spo2 = rng.randint(96, 99)
    systolic, diastolic = (
        (rng.randint(104, 134), rng.randint(64, 86)) if age >= 12 else (rng.randint(92, 112), 0)
    )
    if "fever" in signs and rng.random() < 0.6:
        temperature = rng.uniform(38.0, 39.4)
        heart += rng.randint(10, 20)
    if "tachycardia" in signs:
        heart += rng.randint(8, 22)
    if "wheeze" in signs:
        breaths += rng.randint(4, 9)
        spo2 = rng.randint(92, 97)
    if "hypertensive" in signs and rng.random() < 0.7:
        systolic, diastolic = rng.randint(140, 172), rng.randint(88, 104)
    if age < 12:
        diastolic = rng.randint(54, 72)
    values: dict[str, tuple[str, str]] = {
        vitals.HEART_RATE: (str(heart), "/min"),
        vitals.RESPIRATORY_RATE: (str(breaths), "/min"),
        vitals.SPO2: (str(spo2), "%"),
    }
    if units["temperature"] == "[degF]":
        values[vitals.TEMPERATURE] = (f"{temperature * 9 / 5 + 32:.1f}", "[degF]")
    else:
        values[vitals.TEMPERATURE] = (f"{temperature:.1f}", "Cel")
    if age >= 3:
        values[vitals.SYSTOLIC] = (str(systolic), "mm[Hg]")
        values[vitals.DIASTOLIC] = (str(min(diastolic, systolic - 25)), "mm[Hg]")
    weight = patient.weight_kg + D(f"{rng.uniform(-0.6, 0.6):.1f}") * (1 if age >= 12 else D("0.2"))
    if units["weight"] == "[lb_av]":
        values[vitals.WEIGHT] = (f"{weight / D('0.45359237'):.1f}", "[lb_av]")
    else:
        values[vitals.WEIGHT] = (f"{weight:.1f}", "kg")
    if units["height"] == "[in_i]":
        values[vitals.HEIGHT] = (f"{patient.height_cm / D('2.54'):.1f}", "[in_i]")
    else:
        values[vitals.HEIGHT] = (f"{patient.height_cm:.1f}", "cm")
    return values


def vitals_text(measured: Mapping[str, Decimal]) -> str:
    """The vital signs as a note's objective section starts: "BP 128/82 mmHg, HR 76/min, ..."."""
    parts = []
    if vitals.SYSTOLIC in measured and vitals.DIASTOLIC in measured:
        parts.append(f"BP {measured[vitals.SYSTOLIC]:f}/{measured[vitals.DIASTOLIC]:f} mmHg")
    labels = (
        (vitals.HEART_RATE, "HR", "/min"),
        (vitals.RESPIRATORY_RATE, "RR", "/min"),
        (vitals.TEMPERATURE, "T", " °C"),
        (vitals.SPO2, "SpO2", "%"),
        (vitals.WEIGHT, "weight", " kg"),
        (vitals.BMI, "BMI", ""),
    )
    for code, label, unit in labels:
        if code in measured:
            parts.append(f"{label} {measured[code].normalize():f}{unit}")
    return ", ".join(parts) + "."


# Lab values


def lab_value(
    rng: random.Random, test: LabTest, *, sex: str, ranges: Mapping[str, tuple[str, str]]
) -> Decimal:
    """A result for `test` in its own unit: within `ranges` if the condition sets one, else mostly normal."""
    if test.code in ranges:
        low, high = (D(v) for v in ranges[test.code])
    else:
        reference = test.reference_for(sex)
        low = reference.low if reference.low is not None else (reference.high or D(1)) * D("0.6")
        high = reference.high if reference.high is not None else low * D("1.6")
        span = high - low
        if rng.random() < 0.07:  # a mildly abnormal result now and then
            low, high = (
                (high, high + span * D("0.15")) if rng.random() < 0.6 else (low - span * D("0.1"), low)
            )
        else:
            low, high = low + span * D("0.1"), high - span * D("0.1")
    value = D(str(rng.uniform(float(low), float(high))))
    return max(D(0), value.quantize(D(1).scaleb(-test.decimals), rounding=ROUND_HALF_UP))


def lab_tests(code: str) -> tuple[LabPanel | LabTest, list[LabTest]]:
    item = catalogue_lookup(code)
    assert item is not None, code
    return item, catalogue_tests(code)


# Notes


def note_sections(
    rng: random.Random,
    *,
    condition: Condition,
    description: str,
    secondary: Sequence[tuple[str, str]],
    vitals_summary: str,
    prescriptions: Sequence[Rx],
    lab_names: Sequence[str],
    procedure_name: str,
) -> dict[str, str]:
    """The four SOAP sections of a visit's note."""
    objective = vitals_summary + " " + condition.findings
    if procedure_name:
        objective += f" {procedure_name} done in clinic."
    assessment = f"{description} ({condition.code})."
    if secondary:
        assessment += " Also: " + "; ".join(f"{text} ({code})" for code, text in secondary) + "."
    plan = []
    if prescriptions:
        plan.append("Prescribed: " + "; ".join(rx.text for rx in prescriptions) + ".")
    if lab_names:
        plan.append("Tests: " + ", ".join(lab_names) + ".")
    plan.append(condition.plan)
    return {
        "subjective": rng.choice(condition.complaints),
        "objective": objective,
        "assessment": assessment,
        "plan": " ".join(plan),
    }


# Checks


def demo_content_problems(*, price_codes: set[str]) -> list[str]:
    """Everything in this module the clinical apps would refuse; empty when all is well."""
    problems = []
    for condition in CONDITIONS.values():
        entry = icd10_lookup(condition.code)
        if entry is None or not entry.billable:
            problems.append(f"{condition.code} is not a billable ICD-10-CM code")
        for code, _ in condition.labs:
            if catalogue_lookup(code) is None:
                problems.append(f"{condition.code}: lab {code} is not in the catalogue")
            elif lab_price_code(code) not in price_codes:
                problems.append(f"{condition.code}: lab {code} has no price")
        if condition.procedure and condition.procedure[0] not in price_codes:
            problems.append(f"{condition.code}: procedure {condition.procedure[0]} has no price")
        for key in condition.drugs:
            if key not in DRUGS:
                problems.append(f"{condition.code}: unknown drug {key}")
    samples = [
        Person(age, sex, weight, height)
        for age, weight, height in ((0, D("7.5"), D("68")), (3, D("14"), D("95")), (9, D("28"), D("132")))
        + ((15, D("52"), D("160")), (45, D("78"), D("172")), (82, D("64"), D("160")))
        for sex in ("female", "male")
    ]
    for key, build in DRUGS.items():
        for patient in samples:
            rx = build(patient)
            row = Prescription(
                prescriber_id=1,
                drug_name=rx.drug_name,
                dose=rx.dose,
                dose_unit=rx.dose_unit,
                route=rx.route,
                frequency=rx.frequency,
                duration_days=rx.duration_days,
                instructions=rx.instructions,
            )
            try:
                row.full_clean(
                    exclude=["encounter", "patient", "starts_at", "ends_at"], validate_constraints=False
                )
            except ValidationError as exc:
                problems.append(f"drug {key} for age {patient.age}: {exc.message_dict}")
            if (rx.frequency == "STAT") != (rx.duration_days is None):
                problems.append(f"drug {key}: a STAT dose has no duration, any other dose has one")
            if rx.price_code and rx.price_code not in price_codes:
                problems.append(f"drug {key}: price code {rx.price_code} is not on the price list")
    return problems
