"""Prescribing, stopping, completing and voiding prescriptions.

A prescription names a drug of the hospital's formulary (or, with a reason, a drug by name)
and passes the medication safety checks (hms.orders.services.medication_safety) first:
refusals are audited and raised, warnings need an override reason, which is audited.
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
from hms.care.voiding import Voiding
from hms.core.exceptions import ApplicationError
from hms.core.numbers import decimal_column_parse
from hms.core.text import REASON_MAX, control_characters_refuse, reason_clean, text_clean
from hms.core.validation import Errors, validation_errors
from hms.orders.formulary import formulary_name_match, strength_in_text, strength_parse
from hms.orders.models import MAX_DURATION_DAYS, FormularyDrug, Prescription
from hms.orders.services.medication_safety import (
    OverrideRequired,
    PrescriptionRefused,
    findings_data,
    prescription_review,
)
from hms.orders.services.shared import (
    PRESCRIPTION_NOT_FOUND,
    encounter_for_ordering,
)
from hms.tenancy.context import current_tenant

# A STAT dose is given at once; it is shown as current for a day.
STAT_SHOWN_FOR = datetime.timedelta(days=1)
NOT_IN_FORMULARY = "Choose a drug from the formulary."


def _reason(text: str, field: str, missing: str) -> str:
    return text_clean(
        text, field=field, label="The reason", max_length=REASON_MAX, required=True, missing=missing
    )


def _drug_resolve(
    *, formulary_drug: FormularyDrug | int | None, drug_name: str, errors: Errors
) -> FormularyDrug | None:
    """The active formulary drug chosen, or the one the typed name starts with; None for free text."""
    active = FormularyDrug.objects.filter(is_active=True)
    if isinstance(formulary_drug, FormularyDrug):
        formulary_drug = formulary_drug.pk
    if formulary_drug is not None:
        drug = active.filter(pk=formulary_drug).first()
        if drug is None:
            errors["formulary_drug"] = [NOT_IN_FORMULARY]
        return drug
    return formulary_name_match(drug_name, active)


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
    dose: Decimal | None,
    dose_unit: str,
    route: str,
    frequency: str,
    formulary_drug: FormularyDrug | int | None = None,
    drug_name: str = "",
    strength: str = "",
    duration_days: int | None = None,
    quantity: Decimal | None = None,
    drug_code: str = "",
    instructions: str = "",
    free_text_reason: str = "",
    override_reason: str = "",
    client_address: str | None = None,
) -> Prescription:
    """Prescribe a drug in an encounter: a doctor, for a patient in care.

    The drug is `formulary_drug` (an active row of the hospital's formulary), or the one
    `drug_name` names (its generic or other name, optionally followed by the product:
    "Paracetamol 500 mg tablets"); a drug outside the formulary needs `free_text_reason`.
    `strength` ("500 mg", "125 mg/5 mL") measures a dose given in tablets or mL; a name
    that mentions a listed strength gives it. The encounter must take orders (in progress,
    or finished under 24 hours ago). Safety refusals raise PrescriptionRefused (audited);
    warnings raise OverrideRequired unless `override_reason` is given (then audited).
    """
    control_characters_refuse(
        drug_name=drug_name,
        drug_code=drug_code,
        strength=strength,
        dose_unit=dose_unit,
        route=route,
        frequency=frequency,
        instructions=instructions,
        free_text_reason=free_text_reason,
        override_reason=override_reason,
    )
    if dose is not None:
        dose = decimal_column_parse(dose, column=Prescription._meta.get_field("dose"), label="The dose")
    if quantity is not None:
        quantity = decimal_column_parse(
            quantity, column=Prescription._meta.get_field("quantity"), label="The quantity"
        )
    alias = current_tenant().alias
    drug_name = " ".join((drug_name or "").split())
    strength = " ".join((strength or "").split())
    with transaction.atomic(using=alias):
        encounter = encounter_for_ordering(
            acting_user=acting_user, encounter_id=encounter_id, resource=Resource.PRESCRIPTION
        )
        errors: Errors = {}
        drug = _drug_resolve(formulary_drug=formulary_drug, drug_name=drug_name, errors=errors)
        if drug is not None:
            drug_name = drug_name or drug.name
            strength = strength or strength_in_text(drug_name, drug.strengths)
            free_text_reason = ""
        elif "formulary_drug" not in errors:
            if not drug_name:
                errors["drug_name"] = ["Choose the drug from the formulary."]
            elif not (free_text_reason or "").strip():
                errors["free_text_reason"] = [
                    f"{drug_name[:60]} is not in the formulary; choose a drug from it, or give a "
                    "reason for prescribing this one by name."
                ]
            else:
                free_text_reason = _reason(free_text_reason, "free_text_reason", "")
        if strength and strength_parse(strength) is None:
            errors["strength"] = ['Write the strength as the formulary does: "500 mg", "125 mg/5 mL".']
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
            formulary_drug=drug,
            drug_name=drug_name,
            drug_code=(drug_code or "").strip(),
            strength=strength,
            free_text_reason=free_text_reason,
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
        validation_errors(prescription, errors, exclude=[*errors, "formulary_drug"])
        if errors:
            raise ApplicationError("The prescription is not complete or not valid.", details=errors)
        review = prescription_review(
            patient=encounter.patient,
            drug=drug,
            drug_name=drug_name,
            dose=prescription.dose,
            dose_unit=dose_unit,
            strength=strength,
            frequency=frequency,
            now=now,
            today=timezone.localdate(now),
        )
        if not review.refusals:
            if review.warnings:
                if not (override_reason or "").strip():
                    raise OverrideRequired(review)
                override_reason = _reason(override_reason, "override_reason", "")
                prescription.override_reason = override_reason
                prescription.overridden_warnings = findings_data(review.warnings)
            prescription.save(using=alias)
            audit_row(
                acting_user,
                "prescription.create",
                prescription,
                client_address,
                prescription_id=prescription.pk,
                encounter_id=encounter.pk,
                drug_name=drug_name,
                formulary_drug=drug.code if drug is not None else "",
                free_text_reason=free_text_reason,
                frequency=frequency,
            )
            if review.warnings:
                audit_row(
                    acting_user,
                    "prescription.override",
                    prescription,
                    client_address,
                    prescription_id=prescription.pk,
                    reason=override_reason,
                    warnings=findings_data(review.warnings),
                )
            return prescription
    # Refused: nothing prescribed, but the refusal is part of the record.
    with transaction.atomic(using=alias):
        # The prescription was never saved; the row names its patient all the same.
        audit_row(
            acting_user,
            "prescription.allergy_refused" if review.allergies else "prescription.safety_refused",
            prescription,
            client_address,
            encounter_id=encounter.pk,
            drug_name=drug_name,
            allergies=review.allergies,
            reasons=findings_data(review.refusals),
        )
    raise PrescriptionRefused(drug_name, review)


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


PRESCRIPTION_VOIDING = Voiding(
    Prescription,
    Resource.PRESCRIPTION,
    missing=PRESCRIPTION_NOT_FOUND,
    already="This prescription was already voided.",
)


def prescription_void(
    *, acting_user: User, prescription_id: int, reason: str, client_address: str | None = None
) -> Prescription:
    """Void a prescription entered in error; it stays on record, out of lists, with the reason."""
    return PRESCRIPTION_VOIDING.void(prescription_id, acting_user, reason, client_address)
