"""Allergies: recording one, marking it active or inactive, voiding one entered in error.

An allergy is coded against an allergy group or a substance (hms.encounters.allergens) when
it can be: chosen from the list, or typed as text that names one ("Penicillin"). Text that
names nothing known is kept as typed; prescribing still matches it by name.
"""

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
from hms.encounters.models import Allergy
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
    client_address: str | None = None,
) -> Allergy:
    """Record an active allergy; a second active allergy to the same substance (any case) is refused.

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
        audit_row(
            acting_user,
            "allergy.record",
            allergy,
            client_address,
            allergy_id=allergy.pk,
            substance=allergy.substance,
            allergen_code=allergy.allergen_code,
            severity=allergy.severity,
        )
    return allergy


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
