"""The medicines every hospital's formulary starts with: names, strengths, forms, routes, class,
substances (for allergy checks) and dose limits, each with the source it was taken from.

Limits are the highest usual doses for any route the source gives, so they catch wrong
numbers and wrong units (50 g for 500 mg), not every unwise dose:

- adult: the most per dose and per 24 hours;
- children (under 12; from 12 the BNFc gives most adult doses): mg (or units) per kg per dose
  and per day, times the latest recorded weight, never more than the cap per dose (and the
  adult's maximum per day).

Doses are in the medicine's `dose_unit` (mg, mcg, g or units); combination products are
dosed by their combined strength (co-amoxiclav 625 mg = amoxicillin 500 mg + clavulanic acid
125 mg), as the BNF writes them. Sources: BNF = British National Formulary (adult
monograph), BNFc = BNF for Children, WHO MF = WHO Model Formulary 2008 and WHO Model
Formulary for Children 2010, SmPC = the product's summary of product characteristics.
Names are generic (INN), never a country's brand. A hospital edits its own copy
(docs/clinical/medication-safety.md); the data (medicines.toml, beside this module, each
medicine with its source) only seeds new hospitals.
"""

from dataclasses import dataclass
from decimal import Decimal

from hms.core.datafiles import data_file, data_rows
from hms.encounters.allergens import SUBSTANCES


@dataclass(frozen=True)
class Medicine:
    code: str
    name: str
    drug_class: str
    substances: tuple[str, ...]
    strengths: tuple[str, ...]
    forms: tuple[str, ...]
    routes: tuple[str, ...]
    dose_unit: str
    adult_max_dose: Decimal | None
    adult_max_daily: Decimal | None
    child_per_kg_dose: Decimal | None
    child_per_kg_daily: Decimal | None
    child_max_dose: Decimal | None
    source: str
    other_names: tuple[str, ...] = ()
    note: str = ""

    @property
    def allergy_groups(self) -> tuple[str, ...]:
        """The allergy groups of its substances (hms.encounters.allergens), in order, once each."""
        groups: list[str] = []
        for substance in self.substances:
            groups.extend(g for g in SUBSTANCES[substance].groups if g not in groups)
        return tuple(groups)


MEDICINES: tuple[Medicine, ...] = data_rows(
    Medicine, data_file("hms.orders", "data/medicines.toml")["medicine"]
)

MEDICINES_BY_CODE: dict[str, Medicine] = {medicine.code: medicine for medicine in MEDICINES}
