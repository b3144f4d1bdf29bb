"""The drugs the demo's doctors prescribe: adult doses, and for children the usual age or weight
based ones. Every regimen passes the orders app's rules (checked by
hms.demo.clinical.demo_content_problems before the seed writes anything)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

D = Decimal


@dataclass(frozen=True)
class PerKg:
    """A dose by weight: mg_per_kg times the weight, rounded to `step`, at least `step`, at most `most`."""

    mg_per_kg: Decimal
    step: int
    most: int


@dataclass(frozen=True)
class ByAge:
    """A dose by age: that of the first band (under this many years, dose) that fits, else `older`."""

    bands: tuple[tuple[int, Decimal], ...]
    older: Decimal


Dose = Decimal | PerKg | ByAge
DoseT = TypeVar("DoseT", bound=Dose, covariant=True)


@dataclass(frozen=True)
class Regimen(Generic[DoseT]):
    """A prescription as the doctor writes it: in DRUGS its dose may go by the patient's weight or
    age; a Regimen[Decimal] is one prescribed for one patient (hms.demo.clinical.rx_for)."""

    drug_name: str
    dose: DoseT
    dose_unit: str
    route: str
    frequency: str
    duration_days: int | None
    instructions: str = ""
    price_code: str = ""  # the hospital pharmacy's item, when it is dispensed there


@dataclass(frozen=True)
class Drug:
    adult: Regimen[Dose]
    child: Regimen[Dose] | None = None  # for children (under 12, or under 40 kg), when not the adult's


PARACETAMOL = Regimen(
    "Paracetamol",
    D(1),
    "g",
    "oral",
    "PRN",
    5,
    "Up to four times a day (QDS) for pain or fever; at most 4 g in 24 hours.",
    "DRUG-PARACETAMOL-500",
)
PARACETAMOL_CHILD = Regimen(
    "Paracetamol oral suspension 120 mg/5 mL",
    PerKg(D(15), step=10, most=500),
    "mg",
    "oral",
    "PRN",
    5,
    "15 mg/kg up to four times a day for pain or fever.",
)


@dataclass(frozen=True)
class OrsSachet:
    """The oral rehydration salts sold in a country: one sachet is made up in exactly `water_ml` of
    clean drinking water. In less water the solution is hypertonic and worsens a child's
    diarrhoea, so the demo's instructions name the product and its volume."""

    product: str
    water_ml: int
    source: str


# WHO low-osmolarity ORS: one sachet (20.5 g) for 1 litre.
ORS_SACHET_DEFAULT = OrsSachet(
    "WHO low-osmolarity ORS",
    1000,
    "WHO/UNICEF, Oral rehydration salts: production of the new ORS, WHO/FCH/CAH/06.1 (2006)",
)
# By the hospital's country (its clinical profile's, ISO 3166): the sachet its pharmacies sell.
ORS_SACHETS = {
    # Bangladesh: ORSaline-N (SMC), the country's usual sachet, for half a litre.
    "BD": OrsSachet(
        "ORSaline-N",
        500,
        "Social Marketing Company (SMC), Bangladesh: ORSaline-N pack instructions, one sachet in "
        "half a litre (500 mL) of safe drinking water",
    ),
    # United Kingdom: Dioralyte, one sachet for 200 mL.
    "GB": OrsSachet(
        "Dioralyte",
        200,
        "Dioralyte sachets, summary of product characteristics (electronic medicines compendium): "
        "one sachet in 200 mL of drinking water",
    ),
}
# How much of the made-up solution after each loose stool, by age (WHO, The treatment of
# diarrhoea: a manual for physicians and other senior health workers, 4th revision (2005),
# Plan A: under 2 years 50-100 mL, 2 up to 10 years 100-200 mL, older as much as wanted; adults
# 200-400 mL, BNF).
ORS_AFTER_EACH_STOOL_ML = ByAge(((2, D(100)), (10, D(200))), older=D(400))


def ors_regimen(sachet: OrsSachet) -> Regimen[Dose]:
    """Oral rehydration salts as the country's sachet is made up: the volume after each loose stool."""
    return Regimen(
        f"Oral rehydration salts ({sachet.product})",
        ORS_AFTER_EACH_STOOL_ML,
        "mL",
        "oral",
        "PRN",
        3,
        f"Dissolve one sachet in {sachet.water_ml} mL of clean drinking water, never less; give "
        "this amount after each loose stool; make fresh every 24 hours.",
        "DRUG-ORS",
    )


DRUGS: dict[str, Drug] = {
    "amlodipine": Drug(Regimen("Amlodipine", D(5), "mg", "oral", "OD", 30, "", "DRUG-AMLODIPINE-5")),
    "metformin": Drug(
        Regimen(
            "Metformin",
            D(500),
            "mg",
            "oral",
            "BD",
            30,
            "Take with breakfast and the evening meal.",
            "DRUG-METFORMIN-500",
        )
    ),
    "atorvastatin": Drug(
        Regimen("Atorvastatin", D(20), "mg", "oral", "NOCTE", 30, "", "DRUG-ATORVASTATIN-20")
    ),
    "levothyroxine": Drug(
        Regimen("Levothyroxine", D(50), "mcg", "oral", "MANE", 30, "Take 30 minutes before breakfast.")
    ),
    "paracetamol": Drug(PARACETAMOL, PARACETAMOL_CHILD),
    "amoxicillin": Drug(
        Regimen(
            "Amoxicillin", D(500), "mg", "oral", "TDS", 7, "Complete the course.", "DRUG-AMOXICILLIN-500"
        ),
        Regimen(
            "Amoxicillin oral suspension 250 mg/5 mL",
            ByAge(((1, D(125)), (5, D(250))), older=D(500)),
            "mg",
            "oral",
            "TDS",
            5,
            "Complete the course.",
        ),
    ),
    "clarithromycin": Drug(
        Regimen("Clarithromycin", D(500), "mg", "oral", "BD", 7, "Penicillin allergy: macrolide instead."),
        Regimen(
            "Clarithromycin oral suspension 125 mg/5 mL",
            PerKg(D("7.5"), step=5, most=250),
            "mg",
            "oral",
            "BD",
            5,
            "Penicillin allergy: macrolide instead.",
        ),
    ),
    "ibuprofen": Drug(
        Regimen("Ibuprofen", D(400), "mg", "oral", "TDS", 5, "Take with food."),
        Regimen(
            "Ibuprofen oral suspension 100 mg/5 mL",
            PerKg(D(10), step=10, most=400),
            "mg",
            "oral",
            "TDS",
            3,
            "Take with food.",
        ),
    ),
    "ibuprofen_gel": Drug(
        Regimen("Ibuprofen 5% gel", D(1), "application", "topical", "TDS", 14, "Rub in gently.")
    ),
    "omeprazole": Drug(
        Regimen("Omeprazole", D(20), "mg", "oral", "OD", 28, "Before breakfast.", "DRUG-OMEPRAZOLE-20")
    ),
    "salbutamol": Drug(
        Regimen(
            "Salbutamol 100 mcg/dose inhaler",
            D(2),
            "puff",
            "inhaled",
            "PRN",
            30,
            "Two puffs when wheezy or breathless, up to four times a day; use a spacer.",
            "DRUG-SALBUTAMOL-INH",
        )
    ),
    "beclometasone": Drug(
        Regimen(
            "Beclometasone 100 mcg/dose inhaler",
            D(200),
            "mcg",
            "inhaled",
            "BD",
            30,
            "Rinse the mouth after use.",
        ),
        Regimen(
            "Beclometasone 100 mcg/dose inhaler",
            D(100),
            "mcg",
            "inhaled",
            "BD",
            30,
            "Rinse the mouth after use.",
        ),
    ),
    "nitrofurantoin": Drug(
        Regimen("Nitrofurantoin modified-release", D(100), "mg", "oral", "BD", 5, "With food.")
    ),
    "sumatriptan": Drug(
        Regimen(
            "Sumatriptan",
            D(50),
            "mg",
            "oral",
            "PRN",
            30,
            "At the start of a migraine; may repeat once after 2 hours.",
        )
    ),
    "ferrous_sulfate": Drug(
        # Once daily (BNF, 2021: more often adds side effects and no more iron absorbed).
        Regimen("Ferrous sulfate", D(200), "mg", "oral", "OD", 30, "May darken the stools.")
    ),
    "sertraline": Drug(Regimen("Sertraline", D(50), "mg", "oral", "OD", 30, "Review in 4 weeks.")),
    "hydrocortisone": Drug(
        Regimen(
            "Hydrocortisone 1% cream",
            D(1),
            "application",
            "topical",
            "BD",
            14,
            "Thin layer to the affected skin.",
        )
    ),
    "emollient": Drug(
        Regimen("Emollient cream", D(1), "application", "topical", "TDS", 30, "Use liberally.")
    ),
    "cetirizine": Drug(
        Regimen("Cetirizine", D(10), "mg", "oral", "OD", 30),
        Regimen("Cetirizine", D(5), "mg", "oral", "OD", 30),
    ),
    "ors": Drug(ors_regimen(ORS_SACHET_DEFAULT)),
    "colecalciferol": Drug(Regimen("Colecalciferol", D(1000), "units", "oral", "OD", 90)),
    "hyoscine": Drug(Regimen("Hyoscine butylbromide", D(10), "mg", "oral", "TDS", 3, "For cramping pain.")),
    "aspirin_stat": Drug(Regimen("Aspirin", D(300), "mg", "oral", "STAT", None, "Chewed, given in clinic.")),
    "clotrimazole": Drug(Regimen("Clotrimazole 1% cream", D(1), "application", "topical", "BD", 14)),
}

# The drugs a hospital's country has its own product of, over DRUGS (by ISO 3166 country).
COUNTRY_DRUGS: dict[str, dict[str, Drug]] = {
    country: {"ors": Drug(ors_regimen(sachet))} for country, sachet in ORS_SACHETS.items()
}
