"""Diagnoses: adding a codable ICD-10 code of the hospital's code system to an encounter, voiding one
entered in error."""

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.care.voiding import Voiding
from hms.core.exceptions import ApplicationError
from hms.core.locking import atomic_write
from hms.core.text import control_characters_refuse
from hms.encounters import icd10
from hms.encounters.models import Diagnosis, Encounter
from hms.encounters.selectors import NOT_FOUND
from hms.encounters.services.shared import in_live_encounter, live_encounter_lock
from hms.tenancy.context import current_tenant

ICD10_SUGGESTIONS_SHOWN = 8


def diagnosis_add(
    *,
    acting_user: User,
    encounter: Encounter | int,
    icd10_code: str,
    kind: str = Diagnosis.Kind.SECONDARY,
    certainty: str = Diagnosis.Certainty.CONFIRMED,
    client_address: str | None = None,
) -> Diagnosis:
    """Add a coded diagnosis to an encounter (a doctor with the patient in care), in the hospital's
    code system (its clinical profile: the WHO's ICD-10 or ICD-10-CM).

    Only codable (billable) codes: a category (E11) is refused with the codes under it
    suggested. The description, the code system and its edition are stored with the code.
    One primary diagnosis per encounter, and a code once per encounter.
    """
    permission_require(user=acting_user, resource=Resource.DIAGNOSIS, action=Action.CREATE)
    control_characters_refuse(icd10_code=icd10_code, kind=kind, certainty=certainty)
    errors: dict[str, list[str]] = {}
    if kind not in Diagnosis.Kind.values:
        errors["kind"] = [f"Choose {' or '.join(Diagnosis.Kind.values)}."]
    if certainty not in Diagnosis.Certainty.values:
        errors["certainty"] = [f"Choose {' or '.join(Diagnosis.Certainty.values)}."]
    entry, codes = coded_entry(icd10_code, errors)
    if errors or entry is None:
        message = errors["icd10_code"][0] if "icd10_code" in errors else "The diagnosis is not valid."
        raise ApplicationError(message, details=errors)

    alias = current_tenant().alias
    with atomic_write(
        using=alias,
        raced="Another diagnosis was added to this encounter at the same moment; "
        "reload the encounter and try again.",
    ):
        current = live_encounter_lock(encounter, acting_user, Resource.DIAGNOSIS, Action.CREATE)
        live = Diagnosis.objects.live().filter(encounter=current)
        if live.filter(icd10_code=entry.code).exists():
            raise ApplicationError(f"{entry.code} is already recorded in this encounter.")
        primary = live.filter(kind=Diagnosis.Kind.PRIMARY).first() if kind == Diagnosis.Kind.PRIMARY else None
        if primary is not None:
            raise ApplicationError(
                "This encounter already has a primary diagnosis "
                f"({primary.icd10_code} {primary.description}); "
                "add this one as secondary, or void that one first.",
                details={"kind": ["Only one primary diagnosis per encounter."]},
            )
        diagnosis = Diagnosis(
            encounter=current,
            patient_id=current.patient_id,
            icd10_code=entry.code,
            code_system=codes.key,
            code_system_version=codes.version,
            description=entry.description,
            kind=kind,
            certainty=certainty,
            recorded_by_id=acting_user.pk,
        )
        diagnosis.save(using=alias)
        audit_row(
            acting_user,
            "diagnosis.add",
            diagnosis,
            client_address,
            diagnosis_id=diagnosis.pk,
            encounter_id=current.pk,
            icd10_code=entry.code,
            code_system=codes.key,
        )
    return diagnosis


def coded_entry(
    code: str, errors: dict[str, list[str]], *, field: str = "icd10_code"
) -> tuple[icd10.Icd10Code | None, icd10.CodeSet]:
    """The codable entry `code` names in the hospital's code system (its clinical profile), and the
    code set; else None, with the refusal added to `errors` under `field` (and, for a category,
    the codes under it as `suggestions`). The problem list codes its conditions the same way."""
    codes = icd10.code_set()
    given = (code or "").strip()
    entry = icd10.icd10_lookup(code, codes.key) if given else None
    if not given:
        errors[field] = [f"Enter an {codes.label} code; search by words or code to find it."]
    elif entry is None:
        errors[field] = [
            f"{given} is not an {codes.label} code; search by words or by the start of the code."
        ]
    elif not entry.billable:
        suggestions = icd10.icd10_billable_under(entry.code, codes.key)
        errors[field] = [_category_refused(entry, suggestions, codes)]
        if suggestions:
            errors["suggestions"] = [s.code for s in suggestions]
        return None, codes
    return entry, codes


def _category_refused(entry: icd10.Icd10Code, billable: list[icd10.Icd10Code], codes: icd10.CodeSet) -> str:
    # ICD-10-CM calls its leaf codes billable; the WHO's ICD-10 asks for the fourth character.
    leaf = "billable" if codes.key == icd10.ICD10_CM else "complete"
    shown = "; ".join(f"{s.code} {s.description}" for s in billable[:ICD10_SUGGESTIONS_SHOWN])
    more = len(billable) - ICD10_SUGGESTIONS_SHOWN
    tail = f" (and {more} more: search {entry.code} to see them all)" if more > 0 else ""
    return (
        f"{entry.code} ({entry.description}) is a category, not a {leaf} code; "
        f"choose a more specific one: {shown}{tail}."
    )


DIAGNOSIS_VOIDING = Voiding(
    Diagnosis, Resource.DIAGNOSIS, missing=NOT_FOUND[Diagnosis], already="This diagnosis is already voided."
)


def diagnosis_void(
    *, acting_user: User, diagnosis: Diagnosis | int, reason: str, client_address: str | None = None
) -> Diagnosis:
    """Void a diagnosis entered in error (to change it: void it and add the right one)."""
    detail: dict[str, object] = {}
    return DIAGNOSIS_VOIDING.void(
        diagnosis, acting_user, reason, client_address, check=in_live_encounter(detail), detail=detail
    )
