"""Prescribing, stopping, completing and voiding prescriptions.

A drug whose name contains a substance the patient has an active allergy to is refused
(the allergies come from hms.encounters' selector); the refusal is audited.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource
from hms.audit.records import audit_row
from hms.care.access import record_lock
from hms.care.rows import row_save, row_stamp
from hms.care.voiding import record_void
from hms.core.exceptions import ApplicationError
from hms.core.numbers import decimal_column_parse
from hms.core.text import control_characters_refuse, reason_clean
from hms.encounters.selectors import allergy_list_active
from hms.orders.models import MAX_DURATION_DAYS, Prescription
from hms.orders.services.shared import (
    PRESCRIPTION_NOT_FOUND,
    Errors,
    encounter_for_ordering,
    validation_errors,
)
from hms.patients.models import Patient
from hms.patients.normalise import name_normalise
from hms.tenancy.context import current_tenant

# A STAT dose is given at once; it is shown as current for a day.
STAT_SHOWN_FOR = datetime.timedelta(days=1)
# An allergy substance shorter than this is not matched inside drug names ("Fe", "K").
ALLERGY_MIN_MATCH = 3


class AllergyConflict(ApplicationError):
    """The drug's name contains a substance the patient has an active allergy to."""

    code = "allergy_conflict"

    def __init__(self, drug_name: str, substances: list[str]) -> None:
        listed = ", ".join(substances)
        super().__init__(
            f"The patient has an active allergy recorded to {listed}; {drug_name} was not prescribed. "
            "Choose another drug, or review the allergy record if it is wrong.",
            details={"drug_name": [f"Allergy recorded: {listed}."], "allergies": substances},
        )
        self.substances = substances


def _allergy_conflicts(*, patient: Patient, drug_name: str) -> list[str]:
    """Substances of the patient's active allergies that the drug's name contains (or is contained in)."""
    drug = name_normalise(drug_name)
    found: list[str] = []
    for allergy in allergy_list_active(patient_id=patient.pk):
        substance = allergy.substance
        folded = name_normalise(substance or "")
        if len(folded) < ALLERGY_MIN_MATCH:
            continue
        if (folded in drug or (len(drug) >= ALLERGY_MIN_MATCH and drug in folded)) and substance not in found:
            found.append(substance)
    return found


def _course_errors(*, frequency: str, days: int | None, errors: Errors) -> int | None:
    """The course's length in days (None for a STAT dose), or an error under duration_days."""
    if frequency == Prescription.Frequency.STAT:
        if days is not None:
            errors.setdefault("duration_days", []).append(
                "A STAT dose is given once: leave the duration empty."
            )
        return None
    if days is None:
        errors.setdefault("duration_days", []).append(
            f"Enter how many days the course lasts (1 to {MAX_DURATION_DAYS})."
        )
        return None
    if not 1 <= days <= MAX_DURATION_DAYS:
        errors.setdefault("duration_days", []).append(f"A course lasts 1 to {MAX_DURATION_DAYS} days.")
        return None
    return days


def prescription_create(
    *,
    acting_user: User,
    encounter_id: int,
    drug_name: str,
    dose: Decimal | None,
    dose_unit: str,
    route: str,
    frequency: str,
    duration_days: int | None = None,
    quantity: Decimal | None = None,
    drug_code: str = "",
    instructions: str = "",
    client_address: str | None = None,
) -> Prescription:
    """Prescribe a drug in an encounter: a doctor, for a patient in their care.

    The encounter must be in progress or have finished less than 24 hours ago, and not
    be voided. A course lasts `duration_days` (1 to 365); a STAT dose has no duration.
    A drug whose name contains a substance the patient has an active allergy to is
    refused (AllergyConflict).
    """
    control_characters_refuse(
        drug_name=drug_name,
        drug_code=drug_code,
        dose_unit=dose_unit,
        route=route,
        frequency=frequency,
        instructions=instructions,
    )
    if dose is not None:
        dose = decimal_column_parse(dose, column=Prescription._meta.get_field("dose"), label="The dose")
    if quantity is not None:
        quantity = decimal_column_parse(
            quantity, column=Prescription._meta.get_field("quantity"), label="The quantity"
        )
    alias = current_tenant().alias
    drug_name = (drug_name or "").strip()
    with transaction.atomic(using=alias):
        encounter = encounter_for_ordering(
            acting_user=acting_user, encounter_id=encounter_id, resource=Resource.PRESCRIPTION
        )
        errors: Errors = {}
        if dose is None:
            errors["dose"] = ["Enter the dose."]
        for field, chosen, choices, what in (
            ("dose_unit", dose_unit, Prescription.DoseUnit, "a dose unit"),
            ("route", route, Prescription.Route, "a route"),
            ("frequency", frequency, Prescription.Frequency, "a frequency"),
        ):
            if chosen not in choices.values:
                errors[field] = [f"Choose {what} from the list."]
        days = _course_errors(frequency=frequency, days=duration_days, errors=errors)
        now = timezone.now()
        prescription = Prescription(
            encounter=encounter,
            patient_id=encounter.patient_id,
            prescriber_id=acting_user.pk,
            drug_name=drug_name,
            drug_code=(drug_code or "").strip(),
            dose=Decimal(0) if dose is None else dose,  # refused above when None
            dose_unit=dose_unit,
            route=route,
            frequency=frequency,
            duration_days=days,
            quantity=quantity,
            instructions=(instructions or "").strip(),
            starts_at=now,
            ends_at=now + (datetime.timedelta(days=days) if days else STAT_SHOWN_FOR),
        )
        validation_errors(prescription, errors, exclude=list(errors))
        if errors:
            raise ApplicationError("The prescription is not complete or not valid.", details=errors)
        conflicts = _allergy_conflicts(patient=encounter.patient, drug_name=drug_name)
        if not conflicts:
            prescription.save(using=alias)
            audit_row(
                acting_user,
                "prescription.create",
                prescription,
                client_address,
                prescription_id=prescription.pk,
                encounter_id=encounter.pk,
                drug_name=drug_name,
                frequency=frequency,
            )
            return prescription
    # Refused for an allergy: nothing prescribed, but the refusal is part of the record.
    with transaction.atomic(using=alias):
        # The prescription was never saved; the row names its patient all the same.
        audit_row(
            acting_user,
            "prescription.allergy_refused",
            prescription,
            client_address,
            encounter_id=encounter.pk,
            drug_name=drug_name,
            allergies=conflicts,
        )
    raise AllergyConflict(drug_name, conflicts)


def _active_prescription(*, acting_user: User, prescription_id: int, change: str) -> Prescription:
    """The prescription, locked, if it is active and `acting_user` may change its course.

    The matrix gives doctors no UPDATE right on prescriptions: whoever may prescribe for
    the patient may stop or complete the course.
    """
    prescription = record_lock(
        Prescription,
        prescription_id,
        acting_user,
        Resource.PRESCRIPTION,
        Action.CREATE,
        PRESCRIPTION_NOT_FOUND,
    )
    if prescription.voided_at is not None:
        raise ApplicationError(f"This prescription was voided; it cannot be {change}.")
    shown = prescription.current_status(timezone.now())
    if shown != Prescription.Status.ACTIVE:
        raise ApplicationError(
            f"This prescription is already {Prescription.Status(shown).label.lower()}; "
            f"only an active one can be {change}."
        )
    return prescription


def prescription_stop(
    *, acting_user: User, prescription_id: int, reason: str, client_address: str | None = None
) -> Prescription:
    """Stop an active prescription before its course ends (the prescriber's decision, with a reason)."""
    return _course_end(acting_user, prescription_id, Prescription.Status.STOPPED, client_address, reason)


def prescription_complete(
    *, acting_user: User, prescription_id: int, client_address: str | None = None
) -> Prescription:
    """Mark an active prescription completed before its last day (the course was finished early)."""
    return _course_end(acting_user, prescription_id, Prescription.Status.COMPLETED, client_address)


def _course_end(
    acting_user: User, prescription_id: int, status: str, client_address: str | None, reason: str = ""
) -> Prescription:
    """End an active course early: stopped (with who, when and why) or completed; audited."""
    stopping = status == Prescription.Status.STOPPED
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        prescription = _active_prescription(
            acting_user=acting_user,
            prescription_id=prescription_id,
            change="stopped" if stopping else "marked completed",
        )
        if stopping:
            reason = reason_clean(reason, missing="Give a reason for stopping the prescription.")
            row_stamp(prescription, acting_user, "stopped", status=status, stop_reason=reason)
            action, detail = "prescription.stop", {"reason": reason}
        else:
            row_save(prescription, status=status)
            action, detail = "prescription.complete", {}
        audit_row(
            acting_user, action, prescription, client_address, prescription_id=prescription.pk, **detail
        )
    return prescription


def prescription_void(
    *, acting_user: User, prescription_id: int, reason: str, client_address: str | None = None
) -> Prescription:
    """Void a prescription entered in error; it stays on record, out of lists, with the reason."""
    return record_void(
        Prescription,
        prescription_id,
        acting_user=acting_user,
        reason=reason,
        resource=Resource.PRESCRIPTION,
        client_address=client_address,
        missing=PRESCRIPTION_NOT_FOUND,
        already="This prescription was already voided.",
    )
