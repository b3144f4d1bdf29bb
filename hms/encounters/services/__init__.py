"""Writes of encounters and what is recorded in them; each checks the matrix and is audited.

Input is checked before the transaction (so a slow check never holds the hospital's
write lock); the record-level check, the state checks and the write happen in one
transaction with the audit row. Nothing is deleted: rows are voided with a reason
(hms.care.voiding.record_void). One module per record type; import from here.
"""

from hms.encounters.services.allergies import (
    allergy_record,
    allergy_status_set,
    allergy_void,
    nka_record,
    nka_void,
)
from hms.encounters.services.diagnoses import ICD10_SUGGESTIONS_SHOWN, diagnosis_add, diagnosis_void
from hms.encounters.services.encounters import (
    STARTABLE_APPOINTMENT,
    encounter_finish,
    encounter_start,
    encounter_void,
)
from hms.encounters.services.notes import (
    NOTE_SECTION_MAX,
    NOTE_SECTIONS,
    note_amend,
    note_create,
    note_sign,
    note_update_draft,
    note_void,
)
from hms.encounters.services.observations import observation_of, observation_record_vitals, observation_void
from hms.encounters.services.problems import problem_add, problem_status_set, problem_void
from hms.encounters.services.shared import REASON_MAX

__all__ = [
    "ICD10_SUGGESTIONS_SHOWN",
    "NOTE_SECTIONS",
    "NOTE_SECTION_MAX",
    "REASON_MAX",
    "STARTABLE_APPOINTMENT",
    "allergy_record",
    "allergy_status_set",
    "allergy_void",
    "diagnosis_add",
    "diagnosis_void",
    "encounter_finish",
    "encounter_start",
    "encounter_void",
    "nka_record",
    "nka_void",
    "note_amend",
    "note_create",
    "note_sign",
    "note_update_draft",
    "note_void",
    "observation_of",
    "observation_record_vitals",
    "observation_void",
    "problem_add",
    "problem_status_set",
    "problem_void",
]
