"""What the encounter services share: the "still live" checks and the locked fetches.

Text rules (control characters, reasons) are hms.core.text's, as everywhere."""

from collections.abc import Callable
from typing import Any, TypeVar

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource
from hms.care.access import patient_access, record_lock
from hms.core.exceptions import ApplicationError
from hms.core.text import REASON_MAX
from hms.encounters.models import Allergy, ClinicalNote, Diagnosis, Encounter, Observation
from hms.encounters.selectors import NOT_FOUND, record_pk
from hms.patients.models import Patient

__all__ = [
    "REASON_MAX",
    "encounter_live_check",
    "in_live_encounter",
    "live_encounter_lock",
    "patient_for_recording",
    "require_live",
    "row_lock",
]

EncounterRow = Observation | Diagnosis | ClinicalNote
Row = TypeVar("Row", Encounter, Observation, Diagnosis, Allergy, ClinicalNote)


def row_lock(model: type[Row], ref: Row | int, user: User, resource: Resource, action: Action, /) -> Row:
    """The row, locked for a write, if `user` may do `action` to its patient's `resource`.

    NotFound names the kind of record, as the encounters' selectors do.
    """
    return record_lock(model, ref, user, resource, action, NOT_FOUND[model])


def patient_for_recording(ref: Patient | int, user: User, resource: Resource) -> Patient:
    """The patient, if `user` may record a new `resource` for them (a Patient row: of this hospital)."""
    patient_pk = record_pk(ref, model=Patient) if isinstance(ref, Patient) else ref
    return patient_access(user=user, patient_id=patient_pk, resource=resource, action=Action.CREATE)


def live_encounter_lock(ref: Encounter | int, user: User, resource: Resource, action: Action, /) -> Encounter:
    """The encounter, locked, to record `resource` in it: refused once it is voided."""
    encounter = row_lock(Encounter, ref, user, resource, action)
    require_live(encounter)
    return encounter


def encounter_live_check(row: EncounterRow) -> None:
    """Refuse a change to a row whose encounter was voided."""
    if not Encounter.objects.live().filter(pk=row.encounter_id).exists():
        raise ApplicationError("This encounter was voided; nothing in it can be changed.")


def in_live_encounter(detail: dict[str, Any], *, row_key: str = "") -> Callable[[EncounterRow], None]:
    """A `check` for record_void: refuse a row of a voided encounter, and name the encounter (and
    the row, as `row_key`) in the audit `detail`, which record_void reads after the check."""

    def check(row: EncounterRow) -> None:
        encounter_live_check(row)
        detail["encounter_id"] = row.encounter_id
        if row_key:
            detail[row_key] = row.pk

    return check


def require_live(
    row: Encounter | Observation | Diagnosis | Allergy | ClinicalNote, *, what: str = ""
) -> None:
    """Refuse a change to a voided row, or to a row of a voided encounter."""
    if row.voided_at is not None:
        raise ApplicationError(what or "This encounter was voided; nothing more can be recorded in it.")
    if isinstance(row, Observation | Diagnosis | ClinicalNote):
        encounter_live_check(row)
