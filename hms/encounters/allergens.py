"""What an allergy is recorded against: allergy groups (drug classes) and substances, as codes.

Data (data/allergens.toml) and look-ups. The orders app's formulary (hms.orders.data.medicines)
names each medicine's substances from here, so an allergy recorded to "Penicillins" or to
"amoxicillin" and a prescription of co-amoxiclav meet through the same codes. Free text stays
possible: an allergy whose text names a group or substance here (`allergen_match`) counts as coded.

Cross-reactivity (which groups warn for which) follows the BNF's "Antibacterials" and
"Penicillins" cautions, the BSACI guideline on beta-lactam allergy (Clin Exp Allergy
2022;52:1135-1141) and, for sulfonamides, Strom et al., N Engl J Med 2003;349:1628-35.
"""

from dataclasses import dataclass

from hms.core.datafiles import data_file, data_rows
from hms.patients.normalise import name_normalise

GROUP_PREFIX = "group:"
SUBSTANCE_PREFIX = "substance:"


@dataclass(frozen=True)
class AllergyGroup:
    code: str
    name: str
    # An allergy to one member is an allergy to all (penicillins): members are refused, not warned.
    whole_class: bool
    # Groups with partial cross-reactivity: a member of one of them is prescribed with a warning.
    cross_reactive: tuple[str, ...] = ()
    other_names: tuple[str, ...] = ()
    note: str = ""
    # An umbrella group: its members are those of these groups (beta-lactams: penicillins...).
    includes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Substance:
    code: str
    name: str
    groups: tuple[str, ...] = ()
    other_names: tuple[str, ...] = ()


_DATA = data_file("hms.encounters", "data/allergens.toml")
GROUPS: dict[str, AllergyGroup] = {group.code: group for group in data_rows(AllergyGroup, _DATA["group"])}
# Medicines' substances, then common non-drug allergens. Codes are the lower-case generic name.
SUBSTANCES: dict[str, Substance] = {s.code: s for s in data_rows(Substance, _DATA["substance"])}


def allergen_label(code: str) -> str:
    """The name of a coded allergen ("group:penicillins" -> "Penicillins"); "" for an unknown code."""
    if code.startswith(GROUP_PREFIX):
        group = GROUPS.get(code.removeprefix(GROUP_PREFIX))
        return group.name if group else ""
    substance = SUBSTANCES.get(code.removeprefix(SUBSTANCE_PREFIX))
    return substance.name if substance and code.startswith(SUBSTANCE_PREFIX) else ""


def allergen_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for a form: the allergy groups (drug classes), then the substances."""
    groups = sorted(((GROUP_PREFIX + g.code, g.name) for g in GROUPS.values()), key=lambda c: c[1])
    substances = sorted(
        ((SUBSTANCE_PREFIX + s.code, s.name) for s in SUBSTANCES.values()), key=lambda c: c[1]
    )
    return [("Drug classes and allergy groups", groups), ("Substances", substances)]


def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for group in GROUPS.values():
        for name in (group.name, group.code.replace("_", " "), *group.other_names):
            names.setdefault(name_normalise(name), GROUP_PREFIX + group.code)
    for substance in SUBSTANCES.values():
        for name in (substance.name, substance.code.replace("_", " "), *substance.other_names):
            names.setdefault(name_normalise(name), SUBSTANCE_PREFIX + substance.code)
    return names


_BY_NAME = _names()


def allergen_match(text: str) -> str:
    """The allergen code a free-text allergy names ("Penicillin" -> "group:penicillins"), or ""."""
    folded = name_normalise(text or "")
    if not folded:
        return ""
    found = _BY_NAME.get(folded)
    if found is None and folded.endswith("s"):
        found = _BY_NAME.get(folded[:-1])
    return found or ""
