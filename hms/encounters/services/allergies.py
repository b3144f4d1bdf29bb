"""Allergies: recording one, marking it active or inactive, voiding one entered in error; stating
that the patient has no known allergies (superseded by the next allergy recorded).

An allergy is an allergy or an intolerance (which prescribing warns of rather than refuses), with
its criticality. An allergy is coded against an allergy group or a substance (hms.encounters.allergens) when
it can be: chosen from the list, or typed as text that names one ("Penicillin"). Text that
names nothing known is kept as typed; prescribing still matches it by name.
"""

from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.care.rows import row_save
from hms.care.voiding import Voiding
from hms.core.exceptions import ApplicationError
from hms.core.locking import atomic_write
from hms.core.text import control_characters_refuse
from hms.core.validation import model_valid
from hms.encounters.allergens import allergen_label, allergen_match
from hms.encounters.models import Allergy, NoKnownAllergies
from hms.encounters.selectors import NOT_FOUND
from hms.encounters.services.shared import (
    patient_for_recording,
    require_live,
    row_lock,
)
from hms.patients.models import Patient
from hms.tenancy.context import current_tenant


def allergy_record(
    *,
    acting_user: User,
    patient: Patient | int,
    substance: str,
    category: str,
    severity: str,
    reaction: str = "",
    allergen_code: str = "",
    type: str = Allergy.Type.ALLERGY,
    criticality: str = Allergy.Criticality.UNABLE_TO_ASSESS,
    client_address: str | None = None,
) -> Allergy:
    """Record an active allergy (or intolerance, `type`); a second active allergy to the same
    substance (any case) is refused. It supersedes the patient's "no known allergies", if stated.

    `allergen_code` names a group or substance of hms.encounters.allergens; with no text the
    substance is its name. Without a code, text naming a known allergen is coded by it.
    """
    permission_require(user=acting_user, resource=Resource.ALLERGY, action=Action.CREATE)
    control_characters_refuse(substance=substance, reaction=reaction, allergen_code=allergen_code)
    substance = " ".join((substance or "").split())
    allergen_code = (allergen_code or "").strip()
    if allergen_code:
        label = allergen_label(allergen_code)
        if not label:
            raise ApplicationError(
                "Choose the allergen from the list, or type the substance.",
                details={"allergen_code": ["Not an allergen on the list."]},
            )
        substance = substance or label
    else:
        allergen_code = allergen_match(substance)
    allergy = Allergy(
        substance=substance,
        allergen_code=allergen_code,
        category=category,
        severity=severity,
        type=type,
        criticality=criticality,
        reaction=" ".join((reaction or "").split()),
        recorded_by_id=acting_user.pk,
    )
    model_valid(
        allergy,
        "The allergy's details are not valid.",
        exclude=["patient"],
        validate_unique=False,
        validate_constraints=False,
    )
    alias = current_tenant().alias
    with atomic_write(
        using=alias,
        raced=f"An allergy to {allergy.substance} was recorded by someone else at the same moment.",
    ):
        found = patient_for_recording(patient, acting_user, Resource.ALLERGY)
        _allergy_check_no_active_twin(found, allergy.substance)
        allergy.patient = found
        allergy.save(using=alias)
        superseded = _nka_supersede(found, allergy)
        audit_row(
            acting_user,
            "allergy.record",
            allergy,
            client_address,
            allergy_id=allergy.pk,
            substance=allergy.substance,
            allergen_code=allergy.allergen_code,
            severity=allergy.severity,
            type=allergy.type,
            criticality=allergy.criticality,
            superseded_nka_id=superseded,
        )
    return allergy


def _nka_supersede(patient: Patient, allergy: Allergy) -> int | None:
    """End the patient's current "no known allergies" now that `allergy` is recorded; its id, if any."""
    current = NoKnownAllergies.objects.live().select_for_update().filter(patient=patient, superseded_at=None)
    statement = current.first()
    if statement is None:
        return None
    row_save(statement, superseded_at=allergy.created_at, superseded_by=allergy)
    return statement.pk


def nka_record(
    *, acting_user: User, patient: Patient | int, client_address: str | None = None
) -> NoKnownAllergies:
    """State that the patient has no known allergies (a clinician who may record allergies), now.

    Refused while an allergy of theirs is active (mark it inactive, or entered in error, first)
    and when it is already the current statement. Asked and answered again later, it is a new
    statement with its own date (the old one superseded).
    """
    permission_require(user=acting_user, resource=Resource.ALLERGY, action=Action.CREATE)
    alias = current_tenant().alias
    with atomic_write(using=alias, raced="Allergies were recorded for this patient at the same moment."):
        found = patient_for_recording(patient, acting_user, Resource.ALLERGY)
        active = list(
            Allergy.objects.live()
            .filter(patient=found, status=Allergy.Status.ACTIVE)
            .order_by("substance")
            .values_list("substance", flat=True)
        )
        if active:
            raise ApplicationError(
                f"Active allergies are recorded for this patient ({', '.join(active)}); mark them "
                "inactive, or entered in error, before stating no known allergies.",
                details={"allergies": active},
            )
        previous = (
            NoKnownAllergies.objects.live()
            .select_for_update()
            .filter(patient=found, superseded_at=None)
            .first()
        )
        if previous is not None:  # asked again: the new statement replaces it (one current per patient)
            row_save(previous, superseded_at=timezone.now())
        statement = NoKnownAllergies(patient=found, recorded_by_id=acting_user.pk)
        statement.save(using=alias)
        audit_row(
            acting_user,
            "allergy.no_known",
            statement,
            client_address,
            nka_id=statement.pk,
            superseded_nka_id=previous.pk if previous is not None else None,
        )
    return statement


def _allergy_check_no_active_twin(patient: Patient, substance: str, *, other_than: int | None = None) -> None:
    twins = Allergy.objects.live().filter(
        patient=patient, substance__iexact=substance, status=Allergy.Status.ACTIVE
    )
    if other_than is not None:
        twins = twins.exclude(pk=other_than)
    twin = twins.first()
    if twin is not None:
        raise ApplicationError(
            f"An active allergy to {twin.substance} is already recorded for this patient.",
            details={"substance": ["Already recorded and active."]},
        )


def allergy_status_set(
    *, acting_user: User, allergy: Allergy | int, status: str, client_address: str | None = None
) -> Allergy:
    """Mark an allergy active or inactive (no longer a problem); for one entered in error, void it."""
    if status not in Allergy.Status.values:
        raise ApplicationError(
            f"Choose {' or '.join(Allergy.Status.values)}.", details={"status": ["Not a status."]}
        )
    alias = current_tenant().alias
    with atomic_write(
        using=alias, raced="This allergy was changed by someone else at the same moment; try again."
    ):
        current = row_lock(Allergy, allergy, acting_user, Resource.ALLERGY, Action.UPDATE)
        require_live(current, what="This allergy was entered in error (voided); record it again if needed.")
        if current.status == status:
            raise ApplicationError(f"This allergy is already {current.get_status_display().lower()}.")
        if status == Allergy.Status.ACTIVE:
            _allergy_check_no_active_twin(current.patient, current.substance, other_than=current.pk)
        previous = current.status
        row_save(current, status=status)
        audit_row(
            acting_user,
            "allergy.status",
            current,
            client_address,
            allergy_id=current.pk,
            status=[previous, status],
        )
    return current


ALLERGY_VOIDING = Voiding(
    Allergy,
    Resource.ALLERGY,
    missing=NOT_FOUND[Allergy],
    already="This allergy is already marked entered in error.",
)


def allergy_void(
    *, acting_user: User, allergy: Allergy | int, reason: str, client_address: str | None = None
) -> Allergy:
    """Mark an allergy entered in error (voided); it stays in the record, hidden from lists."""
    return ALLERGY_VOIDING.void(allergy, acting_user, reason, client_address)


NKA_VOIDING = Voiding(
    NoKnownAllergies,
    Resource.ALLERGY,
    missing=NOT_FOUND[NoKnownAllergies],
    already="This statement is already marked entered in error.",
    audit_action="allergy.no_known_void",
)


def nka_void(
    *, acting_user: User, statement: NoKnownAllergies | int, reason: str, client_address: str | None = None
) -> NoKnownAllergies:
    """Mark a "no known allergies" statement entered in error (asked of the wrong patient): the
    allergies are then "not recorded" again, unless another statement stands."""
    return NKA_VOIDING.void(statement, acting_user, reason, client_address)
