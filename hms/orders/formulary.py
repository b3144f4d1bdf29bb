"""The formulary's arithmetic, without the database: seed rows, names matched, strengths read, doses
converted to the unit a drug's limits are written in.

Used by the migration that seeds a hospital, by `formulary_sync`, and by the medication
safety checks (hms.orders.services.medication_safety).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from hms.orders.data.medicines import MEDICINES, Medicine
from hms.patients.normalise import name_normalise

# Mass units and their size in mg; "units" (insulin) converts only to itself.
MASS_IN_MG = {"mg": Decimal(1), "g": Decimal(1000), "mcg": Decimal("0.001")}
# Dose units counted in whole products, measured by the strength of one ("500 mg" a tablet).
COUNTED = {"tablet", "capsule", "puff", "sachet", "suppository", "patch", "drop", "application"}

SEED_FIELDS = (
    "code",
    "name",
    "drug_class",
    "source",
    "note",
    "dose_unit",
    "adult_max_dose",
    "adult_max_daily",
    "child_per_kg_dose",
    "child_per_kg_daily",
    "child_max_dose",
)


def formulary_seed_row(medicine: Medicine) -> dict[str, Any]:
    """A FormularyDrug's field values for one packaged medicine."""
    row: dict[str, Any] = {name: getattr(medicine, name) for name in SEED_FIELDS}
    row.update(
        other_names=list(medicine.other_names),
        substances=list(medicine.substances),
        allergy_groups=list(medicine.allergy_groups),
        strengths=list(medicine.strengths),
        forms=list(medicine.forms),
        routes=list(medicine.routes),
    )
    return row


def formulary_seed_rows() -> list[dict[str, Any]]:
    return [formulary_seed_row(medicine) for medicine in MEDICINES]


class NamedDrug(Protocol):
    code: str
    name: str
    other_names: Any  # a JSON list of str


DrugT = TypeVar("DrugT", bound=NamedDrug)


def drug_names(drug: NamedDrug) -> list[str]:
    """The names a drug is known by, normalised: its name, the name before a bracket, its code, others."""
    names = [drug.name, drug.name.split(" (")[0], drug.code.replace("-", " "), drug.code, *drug.other_names]
    return list(dict.fromkeys(name_normalise(name) for name in names if name))


def formulary_name_match(text: str, drugs: Iterable[DrugT]) -> DrugT | None:
    """The drug whose name `text` is or starts with ("Paracetamol 500 mg tablets": paracetamol).

    The longest name wins, so "co-amoxiclav" is not read as amoxicillin; None if no name fits.
    """
    folded = name_normalise(text or "")
    if not folded:
        return None
    best: tuple[int, DrugT] | None = None
    for drug in drugs:
        for name in drug_names(drug):
            fits = folded == name or folded.startswith((name + " ", name + "(", name + ","))
            if fits and (best is None or len(name) > best[0]):
                best = (len(name), drug)
    return best[1] if best else None


@dataclass(frozen=True)
class Strength:
    """A product's strength: `amount` of `unit` in one counted product, or in `per_ml` mL of liquid."""

    amount: Decimal
    unit: str
    per_ml: Decimal | None = None  # "125 mg/5 mL": amount 125 mg in 5 mL


_STRENGTH = re.compile(
    r"^\s*(?P<amounts>\d+(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)*)\s*(?P<unit>mg|mcg|g|units)"
    r"(?:\s*/\s*(?:(?P<volume>\d+(?:\.\d+)?)\s*)?(?P<per>ml|puff|dose))?\s*$",
    re.IGNORECASE,
)


def strength_parse(text: str) -> Strength | None:
    """A strength as formularies write it: "500 mg", "125 mg/5 mL", "100 mcg/puff", "125/31 mg/5 mL"
    (a combination: the parts added), "100 units/mL"; None for anything else."""
    found = _STRENGTH.match(text or "")
    if not found:
        return None
    amount = sum((Decimal(part) for part in found["amounts"].split("/")), Decimal(0))
    unit = found["unit"].lower()
    per = (found["per"] or "").lower()
    if per == "ml":
        return Strength(amount, unit, Decimal(found["volume"] or 1))
    return Strength(amount, unit)


def strength_in_text(text: str, strengths: Iterable[str]) -> str:
    """The listed strength that `text` mentions ("Paracetamol 500 mg tablets": "500 mg"), or ""."""
    folded = name_normalise(text or "").replace(" ", "")
    listed = sorted(strengths, key=len, reverse=True)
    return next((s for s in listed if name_normalise(s).replace(" ", "") in folded), "")


def _in_unit(amount: Decimal, unit: str, wanted: str) -> Decimal | None:
    if unit == wanted:
        return amount
    if unit in MASS_IN_MG and wanted in MASS_IN_MG:
        return amount * MASS_IN_MG[unit] / MASS_IN_MG[wanted]
    return None


def dose_in_unit(*, dose: Decimal, dose_unit: str, strength: str, wanted: str) -> Decimal | None:
    """`dose` of `dose_unit` in the unit `wanted` (the drug's limits), or None if it cannot be known:
    tablets or mL without a strength to measure them by, mg against units."""
    direct = _in_unit(dose, dose_unit, wanted)
    if direct is not None:
        return direct
    product = strength_parse(strength)
    if product is None:
        return None
    if dose_unit == "mL" and product.per_ml is not None:
        return _in_unit(dose * product.amount / product.per_ml, product.unit, wanted)
    if dose_unit in COUNTED and product.per_ml is None:
        return _in_unit(dose * product.amount, product.unit, wanted)
    return None


def amount_text(amount: Decimal, unit: str) -> str:
    """An amount as people write it: 50000 mg as "50 g", 0.1 mg as "100 mcg", 2.500 as "2.5"."""
    if unit == "mg" and amount >= 1000:
        amount, unit = amount / 1000, "g"
    elif unit == "mg" and 0 < amount < 1:
        amount, unit = amount * 1000, "mcg"
    rounded = amount.quantize(Decimal("0.001")).normalize()
    return f"{rounded:f} {unit}"
