"""Clinical notes: SOAP drafts, signing (final from then on), amendments, voiding one in error."""

from django.db import transaction

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.care.rows import row_stamp
from hms.care.voiding import Voiding
from hms.core.exceptions import ApplicationError, NotAllowed
from hms.core.text import control_characters_refuse
from hms.encounters.models import ClinicalNote, Encounter, NoteAmendment
from hms.encounters.selectors import NOT_FOUND
from hms.encounters.services.shared import (
    REASON_MAX,
    in_live_encounter,
    live_encounter_lock,
    require_live,
    row_lock,
)
from hms.tenancy.context import current_tenant

NOTE_SECTIONS = ("subjective", "objective", "assessment", "plan")
NOTE_SECTION_MAX = 50_000


def note_create(
    *,
    acting_user: User,
    encounter: Encounter | int,
    subjective: str = "",
    objective: str = "",
    assessment: str = "",
    plan: str = "",
    client_address: str | None = None,
) -> ClinicalNote:
    """Start a draft SOAP note in an encounter (also after it finished, not once it is voided)."""
    permission_require(user=acting_user, resource=Resource.NOTE, action=Action.CREATE)
    sections = _note_sections(subjective=subjective, objective=objective, assessment=assessment, plan=plan)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = live_encounter_lock(encounter, acting_user, Resource.NOTE, Action.CREATE)
        note = ClinicalNote(
            encounter=current, patient_id=current.patient_id, author_id=acting_user.pk, **sections
        )
        note.save(using=alias)
        audit_row(acting_user, "note.create", note, client_address, note_id=note.pk, encounter_id=current.pk)
    return note


def note_update_draft(
    *,
    acting_user: User,
    note: ClinicalNote | int,
    subjective: str | None = None,
    objective: str | None = None,
    assessment: str | None = None,
    plan: str | None = None,
    client_address: str | None = None,
) -> ClinicalNote:
    """Change sections of a draft (its author only); sections given as None stay as they are."""
    given = {
        name: value
        for name, value in {
            "subjective": subjective,
            "objective": objective,
            "assessment": assessment,
            "plan": plan,
        }.items()
        if value is not None
    }
    sections = _note_sections(**given)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = _note_for_author(acting_user, note, Action.UPDATE, verb="edit")
        changed = [name for name, value in sections.items() if getattr(current, name) != value]
        for name in changed:
            setattr(current, name, sections[name])
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
        audit_row(acting_user, "note.update", current, client_address, note_id=current.pk, sections=changed)
    return current


def note_sign(
    *, acting_user: User, note: ClinicalNote | int, client_address: str | None = None
) -> ClinicalNote:
    """Sign a draft (its author only). From then on the note's text never changes; amend it instead."""
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = _note_for_author(acting_user, note, Action.SIGN, verb="sign")
        if not any(getattr(current, name).strip() for name in NOTE_SECTIONS):
            raise ApplicationError("An empty note cannot be signed; write at least one section.")
        row_stamp(current, acting_user, "signed", status=ClinicalNote.Status.SIGNED)
        audit_row(
            acting_user,
            "note.sign",
            current,
            client_address,
            note_id=current.pk,
            encounter_id=current.encounter_id,
        )
    return current


def _live_note_lock(ref: ClinicalNote | int, user: User, action: Action) -> ClinicalNote:
    current = row_lock(ClinicalNote, ref, user, Resource.NOTE, action)
    require_live(current, what="This note was voided.")
    return current


def _note_for_author(user: User, ref: ClinicalNote | int, action: Action, *, verb: str) -> ClinicalNote:
    current = _live_note_lock(ref, user, action)
    if current.author_id != user.pk:
        raise NotAllowed(f"Only the note's author may {verb} it.")
    if current.is_signed:
        raise ApplicationError(f"This note is signed and cannot be {verb}ed again; add an amendment instead.")
    return current


def note_amend(
    *,
    acting_user: User,
    note: ClinicalNote | int,
    text: str,
    reason: str,
    client_address: str | None = None,
) -> NoteAmendment:
    """Add an amendment to a signed note; the note as signed stays unchanged beside it."""
    control_characters_refuse(text=text, reason=reason)
    text = (text or "").strip()
    reason = " ".join((reason or "").split())
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = ["Write the amendment."]
    elif len(text) > NOTE_SECTION_MAX:
        errors["text"] = [f"At most {NOTE_SECTION_MAX} characters."]
    if not reason:
        errors["reason"] = ["Say why the note is amended."]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [f"At most {REASON_MAX} characters."]
    if errors:
        raise ApplicationError("The amendment needs its text and a reason.", details=errors)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = _live_note_lock(note, acting_user, Action.UPDATE)
        if not current.is_signed:
            raise ApplicationError("This note is still a draft: edit it rather than amend it.")
        amendment = NoteAmendment(note=current, author_id=acting_user.pk, text=text, reason=reason)
        amendment.save(using=alias)
        audit_row(
            acting_user,
            "note.amend",
            current,
            client_address,
            note_id=current.pk,
            amendment_id=amendment.pk,
            reason=reason,
        )
    return amendment


NOTE_VOIDING = Voiding(
    ClinicalNote, Resource.NOTE, missing=NOT_FOUND[ClinicalNote], already="This note is already voided."
)


def note_void(
    *, acting_user: User, note: ClinicalNote | int, reason: str, client_address: str | None = None
) -> ClinicalNote:
    """Void a note written in error (a discarded draft, a note on the wrong patient); its text stays."""
    detail: dict[str, object] = {}
    return NOTE_VOIDING.void(
        note,
        acting_user,
        reason,
        client_address,
        check=in_live_encounter(detail, row_key="note_id"),
        detail=detail,
    )


def _note_sections(**sections: str) -> dict[str, str]:
    control_characters_refuse(**sections)
    cleaned: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, value in sections.items():
        text = (value or "").strip()
        if len(text) > NOTE_SECTION_MAX:
            errors[name] = [f"At most {NOTE_SECTION_MAX} characters ({len(text)} given)."]
        cleaned[name] = text
    if errors:
        raise ApplicationError("A section of the note is too long.", details=errors)
    return cleaned
