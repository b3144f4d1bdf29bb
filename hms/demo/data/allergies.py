"""The allergies some demo patients have, and the drugs each one rules out."""

from dataclasses import dataclass


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
ALLERGIC_SHARE = 0.1  # of the demo patients
# Of the patients without an allergy whom a doctor has seen, the share asked at triage and recorded
# as having no known allergies (besides those with a doctor today); the rest show "not recorded".
NO_KNOWN_ALLERGIES_SHARE = 0.15
PORTAL_PATIENT_ALLERGY = ALLERGIES[0]  # a portal user's record shows one, if it drew none

# Allergy substance (normalised) -> drugs (hms.demo.data.drugs keys) it rules out besides any
# whose name contains it; and what to prescribe instead of a drug ruled out.
CROSS_REACTIONS = {
    "penicillin": {"amoxicillin"},
    "ibuprofen": {"ibuprofen", "ibuprofen_gel", "aspirin_stat"},
    "aspirin": {"aspirin_stat", "ibuprofen", "ibuprofen_gel"},
}
ALTERNATIVES = {"amoxicillin": "clarithromycin", "ibuprofen": "paracetamol"}
