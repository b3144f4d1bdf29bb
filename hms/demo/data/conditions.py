"""Why the demo's patients come to clinic: common outpatient conditions (billable ICD-10-CM codes)
with what the patient says, what the doctor finds and plans, the drugs, lab tests and procedures
they lead to, and how the vital signs and lab values lean. The long-term ones come with the
chance that a patient of a given age and sex has them."""

from collections.abc import Mapping
from dataclasses import dataclass, field


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
    urgent_labs: bool = False  # its lab orders are urgent, not routine


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
            urgent_labs=True,
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


@dataclass(frozen=True)
class ChronicRisk:
    """The chance that a patient has a long-term condition: none outside min_age..max_age (years,
    inclusive); from min_age, `chance` (`chance_female` for women, if set) rising by `per_year`
    to at most `most`."""

    min_age: int
    chance: float
    per_year: float = 0.0
    most: float = 1.0
    max_age: int | None = None
    chance_female: float | None = None


# The long-term conditions, in the order a patient's are drawn: seen again and again.
CHRONIC_RISKS = {
    "I10": ChronicRisk(35, 0.12, per_year=0.01, most=0.55),
    "E11.9": ChronicRisk(35, 0.08, per_year=0.005, most=0.3),
    "E78.5": ChronicRisk(40, 0.18),
    "E03.9": ChronicRisk(18, 0.02, chance_female=0.08),
    "J45.909": ChronicRisk(4, 0.07),
    "M17.9": ChronicRisk(55, 0.15),
    "F41.9": ChronicRisk(18, 0.05, max_age=70),
}
CHRONIC = tuple(CHRONIC_RISKS)
# A portal user's record shows these (those their age fits), if it drew no long-term condition.
PORTAL_PATIENT_CONDITIONS = ("I10", "E78.5")

# Conditions a specialist sees more of: code -> weight multiplier.
SPECIALTY_FOCUS = {"Cardiology": {"I10": 4, "E78.5": 4, "R07.9": 6}}
