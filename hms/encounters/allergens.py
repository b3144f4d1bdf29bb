"""What an allergy is recorded against: allergy groups (drug classes) and substances, as codes.

Pure data. The orders app's formulary (hms.orders.data.medicines) names each medicine's
substances from here, so an allergy recorded to "Penicillins" or to "amoxicillin" and a
prescription of co-amoxiclav meet through the same codes. Free text stays possible: an
allergy whose text names a group or substance here (`allergen_match`) counts as coded.

Cross-reactivity (which groups warn for which) follows the BNF's "Antibacterials" and
"Penicillins" cautions, the BSACI guideline on beta-lactam allergy (Clin Exp Allergy
2022;52:1135-1141) and, for sulfonamides, Strom et al., N Engl J Med 2003;349:1628-35.
"""

from dataclasses import dataclass

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


GROUPS: dict[str, AllergyGroup] = {
    g.code: g
    for g in [
        AllergyGroup(
            "penicillins",
            "Penicillins",
            whole_class=True,
            cross_reactive=("cephalosporins", "carbapenems"),
            other_names=("penicillin", "penicillin allergy"),
            note="BNF: a patient allergic to one penicillin is allergic to all; about 0.5-6.5% "
            "cross-react with cephalosporins (BSACI 2022).",
        ),
        AllergyGroup(
            "cephalosporins",
            "Cephalosporins",
            whole_class=False,
            cross_reactive=("penicillins", "carbapenems"),
            other_names=("cephalosporin",),
            note="Cross-reactivity within the class follows side chains; warn, do not refuse.",
        ),
        AllergyGroup(
            "carbapenems", "Carbapenems", whole_class=False, cross_reactive=("penicillins", "cephalosporins")
        ),
        AllergyGroup(
            "beta_lactams",
            "Beta-lactam antibacterials",
            whole_class=True,
            other_names=("beta lactams", "beta-lactam", "beta lactam"),
            includes=("penicillins", "cephalosporins", "carbapenems"),
        ),
        AllergyGroup("macrolides", "Macrolides", whole_class=False, other_names=("macrolide",)),
        AllergyGroup(
            "sulfonamide_antibacterials",
            "Sulfonamide antibacterials (sulfa drugs)",
            whole_class=True,
            cross_reactive=("sulfonamide_non_antibacterials",),
            other_names=("sulfonamides", "sulfonamide", "sulfa", "sulpha", "sulfa drugs", "sulphonamides"),
            note="Cross-reactivity with non-antibacterial sulfonamides (thiazides, furosemide) is low "
            "(Strom 2003): warn only.",
        ),
        AllergyGroup(
            "sulfonamide_non_antibacterials",
            "Non-antibacterial sulfonamides (thiazides, loop diuretics)",
            whole_class=False,
        ),
        AllergyGroup(
            "nsaids",
            "Non-steroidal anti-inflammatory drugs (NSAIDs)",
            whole_class=False,
            other_names=("nsaid", "nsaids", "non-steroidal anti-inflammatory drugs", "anti-inflammatories"),
            note="BNF: NSAIDs are contraindicated in a history of hypersensitivity to aspirin or any "
            "other NSAID; a member is warned, the class refused when the class is recorded.",
        ),
        AllergyGroup("salicylates", "Salicylates", whole_class=True, other_names=("salicylate",)),
        AllergyGroup("opioids", "Opioids", whole_class=False, other_names=("opioid", "opiates", "opiate")),
        AllergyGroup("fluoroquinolones", "Fluoroquinolones", whole_class=False, other_names=("quinolones",)),
        AllergyGroup("ace_inhibitors", "ACE inhibitors", whole_class=False, other_names=("ace inhibitor",)),
        AllergyGroup("insulins", "Insulins", whole_class=False, other_names=("insulin",)),
        AllergyGroup("latex", "Latex", whole_class=True, other_names=("natural rubber latex",)),
    ]
}

# Medicines' substances, then common non-drug allergens. Codes are the lower-case generic name.
SUBSTANCES: dict[str, Substance] = {
    s.code: s
    for s in [
        Substance("amoxicillin", "Amoxicillin", ("penicillins",), ("amoxycillin",)),
        Substance("ampicillin", "Ampicillin", ("penicillins",)),
        Substance("flucloxacillin", "Flucloxacillin", ("penicillins",), ("floxacillin",)),
        Substance(
            "phenoxymethylpenicillin",
            "Phenoxymethylpenicillin",
            ("penicillins",),
            ("penicillin v",),
        ),
        Substance("benzylpenicillin", "Benzylpenicillin", ("penicillins",), ("penicillin g",)),
        Substance("piperacillin", "Piperacillin", ("penicillins",)),
        Substance("clavulanic_acid", "Clavulanic acid", (), ("clavulanate",)),
        Substance("tazobactam", "Tazobactam"),
        Substance("cefalexin", "Cefalexin", ("cephalosporins",), ("cephalexin",)),
        Substance("cefuroxime", "Cefuroxime", ("cephalosporins",)),
        Substance("ceftriaxone", "Ceftriaxone", ("cephalosporins",)),
        Substance("meropenem", "Meropenem", ("carbapenems",)),
        Substance("erythromycin", "Erythromycin", ("macrolides",)),
        Substance("clarithromycin", "Clarithromycin", ("macrolides",)),
        Substance("azithromycin", "Azithromycin", ("macrolides",)),
        Substance(
            "sulfamethoxazole", "Sulfamethoxazole", ("sulfonamide_antibacterials",), ("sulphamethoxazole",)
        ),
        Substance("trimethoprim", "Trimethoprim"),
        Substance("ciprofloxacin", "Ciprofloxacin", ("fluoroquinolones",)),
        Substance("metronidazole", "Metronidazole"),
        Substance("paracetamol", "Paracetamol", (), ("acetaminophen",)),
        Substance("ibuprofen", "Ibuprofen", ("nsaids",)),
        Substance("diclofenac", "Diclofenac", ("nsaids",)),
        Substance("naproxen", "Naproxen", ("nsaids",)),
        Substance("aspirin", "Aspirin", ("nsaids", "salicylates"), ("acetylsalicylic acid",)),
        Substance("morphine", "Morphine", ("opioids",)),
        Substance("codeine", "Codeine", ("opioids",)),
        Substance("tramadol", "Tramadol", ("opioids",)),
        Substance("metformin", "Metformin"),
        Substance("amlodipine", "Amlodipine"),
        Substance("lisinopril", "Lisinopril", ("ace_inhibitors",)),
        Substance("enalapril", "Enalapril", ("ace_inhibitors",)),
        Substance("losartan", "Losartan"),
        Substance("atenolol", "Atenolol"),
        Substance(
            "hydrochlorothiazide", "Hydrochlorothiazide", ("sulfonamide_non_antibacterials",), ("hctz",)
        ),
        Substance("furosemide", "Furosemide", ("sulfonamide_non_antibacterials",), ("frusemide",)),
        Substance("salbutamol", "Salbutamol", (), ("albuterol",)),
        Substance("omeprazole", "Omeprazole"),
        Substance("insulin", "Insulin (human)", ("insulins",)),
        Substance("atorvastatin", "Atorvastatin"),
        Substance("levothyroxine", "Levothyroxine"),
        Substance("nitrofurantoin", "Nitrofurantoin"),
        Substance("sumatriptan", "Sumatriptan"),
        Substance("ferrous_sulfate", "Ferrous sulfate", (), ("iron",)),
        Substance("sertraline", "Sertraline"),
        Substance("cetirizine", "Cetirizine"),
        Substance("colecalciferol", "Colecalciferol", (), ("vitamin d", "cholecalciferol")),
        Substance("hyoscine_butylbromide", "Hyoscine butylbromide"),
        Substance("beclometasone", "Beclometasone", (), ("beclomethasone",)),
        Substance("hydrocortisone", "Hydrocortisone"),
        Substance("clotrimazole", "Clotrimazole"),
        Substance("oral_rehydration_salts", "Oral rehydration salts"),
        Substance("emollient", "Emollient (paraffin based)"),
        Substance("chlorhexidine", "Chlorhexidine"),
        Substance("iodinated_contrast", "Iodinated contrast media", (), ("contrast", "iodine contrast")),
        Substance("peanut", "Peanut", (), ("peanuts", "groundnut")),
        Substance("tree_nuts", "Tree nuts", (), ("nuts",)),
        Substance("egg", "Egg", (), ("eggs",)),
        Substance("cow_milk", "Cow's milk", (), ("milk", "dairy")),
        Substance("shellfish", "Shellfish", (), ("prawn", "shrimp", "crustaceans")),
        Substance("fish", "Fish"),
        Substance("wheat", "Wheat"),
        Substance("soy", "Soy", (), ("soya",)),
        Substance("bee_venom", "Bee venom", (), ("bee sting",)),
        Substance("wasp_venom", "Wasp venom", (), ("wasp sting",)),
        Substance("house_dust_mite", "House dust mite", (), ("dust mite",)),
        Substance("pollen", "Pollen", (), ("hay fever",)),
    ]
}


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
