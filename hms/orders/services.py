"""Writes of prescriptions, lab orders and lab results; each checks the permission matrix and is audited.

The matrix gives doctors no UPDATE right on prescriptions or lab orders, so changing
the course of an order (stopping or completing a prescription, cancelling a lab order)
asks for the right to CREATE them: whoever may prescribe or order for the patient may
take it back. Collecting a specimen asks for the right to enter lab results (nurses,
and doctors for their own patients), the people who do it.
"""

import datetime
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.services import audit_record
from hms.care.access import patient_access, patient_scope_filter
from hms.core import ids
from hms.core.exceptions import ApplicationError, NotFound
from hms.encounters.models import Encounter
from hms.orders.lab_catalogue import TESTS, LabPanel, LabTest, catalogue_lookup, catalogue_tests
from hms.orders.models import MAX_DURATION_DAYS, LabOrder, LabResult, Prescription
from hms.patients.models import Patient
from hms.patients.normalise import name_normalise
from hms.tenancy.context import current_tenant

# Orders may still be added to an encounter this long after it finished (late results
# reviewed, discharge prescriptions written after the visit was closed).
ENCOUNTER_GRACE = datetime.timedelta(hours=24)
# A STAT dose is given at once; it is shown as current for a day.
STAT_SHOWN_FOR = datetime.timedelta(days=1)
# An allergy substance shorter than this is not matched inside drug names ("Fe", "K").
ALLERGY_MIN_MATCH = 3
ALLERGY_INACTIVE_VALUES = frozenset(
    {"inactive", "resolved", "refuted", "entered_in_error", "entered-in-error", "entered in error"}
)

ENCOUNTER_NOT_FOUND = "No such encounter here."
PRESCRIPTION_NOT_FOUND = "No such prescription here."
ORDER_NOT_FOUND = "No such lab order here."
RESULT_NOT_FOUND = "No such lab result here."
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)


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


# Shared pieces


def record_id(value: object, not_found: str) -> int:
    """A record id from a URL or form; NotFound (with `not_found`) for anything that is not one."""
    number = ids.record_id(value)
    if number is None:
        raise NotFound(not_found)
    return number


def _parse_decimal(value: object, *, field: str, label: str, errors: dict[str, list[str]]) -> Decimal | None:
    """A decimal from a form or a caller; None when empty; an error under `field` when not a number."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))
    else:
        text = str(value).strip()
        if not text:
            return None
        if not NUMBER.fullmatch(text):
            errors.setdefault(field, []).append(
                f"{label} must be a number written with digits and a decimal point (e.g. 2.5), "
                f"not {text[:20]!r}."
            )
            return None
        number = Decimal(text)
    if not number.is_finite():
        errors.setdefault(field, []).append(f"{label} must be a number.")
        return None
    return number


def _parse_whole(value: object, *, field: str, label: str, errors: dict[str, list[str]]) -> int | None:
    number = _parse_decimal(value, field=field, label=label, errors=errors)
    if number is None:
        return None
    if number != number.to_integral_value():
        errors.setdefault(field, []).append(f"{label} must be a whole number.")
        return None
    return int(number)


def _reason(reason: str, *, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(f"Give a reason for {what}.", details={"reason": ["A reason is required."]})
    if len(reason) > 255:
        raise ApplicationError("The reason is too long.", details={"reason": ["At most 255 characters."]})
    return reason


def _validation_errors(instance: Any, errors: dict[str, list[str]], **kwargs: Any) -> None:
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)


def encounter_ordering_problem(*, encounter: Encounter, now: datetime.datetime) -> str | None:
    """Why orders may not be added to `encounter` now, or None if they may.

    An encounter takes orders while it is in progress and for 24 hours after it finished;
    a voided encounter takes none.
    """
    if encounter.voided_at is not None:
        return "This encounter was voided; orders cannot be added to it."
    if encounter.status == Encounter.Status.IN_PROGRESS:
        return None
    if encounter.status == Encounter.Status.FINISHED and encounter.ended_at is not None:
        if now - encounter.ended_at <= ENCOUNTER_GRACE:
            return None
        return (
            "This encounter finished more than 24 hours ago; "
            "start a new encounter to prescribe or order tests."
        )
    return "This encounter is not in progress; orders cannot be added to it."


def _encounter_for_ordering(*, acting_user: User, encounter_id: object, resource: Resource) -> Encounter:
    """The encounter, locked, if `acting_user` may order `resource` for its patient now."""
    permission_require(user=acting_user, resource=resource, action=Action.CREATE)
    number = record_id(encounter_id, ENCOUNTER_NOT_FOUND)
    encounter = Encounter.objects.select_for_update().filter(pk=number).first()
    if encounter is None:
        raise NotFound(ENCOUNTER_NOT_FOUND)
    try:
        patient_access(
            user=acting_user, patient_id=encounter.patient_id, resource=resource, action=Action.CREATE
        )
    except NotFound:
        raise NotFound(ENCOUNTER_NOT_FOUND) from None
    problem = encounter_ordering_problem(encounter=encounter, now=timezone.now())
    if problem:
        raise ApplicationError(problem, details={"encounter": [problem]})
    return encounter


def _scoped_get(
    model: type[Any],
    *,
    acting_user: User,
    pk: object,
    resource: Resource,
    action: Action,
    field: str,
    missing: str,
) -> Any:
    """Row `pk` of `model`, locked, if `acting_user` may do `action` to it; NotFound otherwise."""
    scope = patient_scope_filter(user=acting_user, resource=resource, action=action, field=field)
    number = record_id(pk, missing)
    row = model.objects.select_for_update().filter(scope, pk=number).first()
    if row is None:
        raise NotFound(missing)
    return row


# Prescriptions


def _allergy_conflicts(*, patient: Patient, drug_name: str) -> list[str]:
    """Substances of the patient's active allergies that the drug's name contains (or is contained in).

    The Allergy model belongs to the encounters app; until it exists (with `patient`,
    `substance` and `voided_at`) there is nothing to check.
    """
    from hms.encounters import models as encounter_models

    allergy_model = getattr(encounter_models, "Allergy", None)
    if allergy_model is None:
        return []
    fields = {f.name for f in allergy_model._meta.get_fields()}
    if not {"patient", "substance", "voided_at"} <= fields:
        return []
    allergies = allergy_model.objects.filter(patient=patient, voided_at__isnull=True)
    for status_field in ("status", "clinical_status", "verification_status"):
        if status_field in fields:
            allergies = allergies.exclude(**{f"{status_field}__in": ALLERGY_INACTIVE_VALUES})
    drug = name_normalise(drug_name)
    found: list[str] = []
    for substance in allergies.values_list("substance", flat=True):
        folded = name_normalise(substance or "")
        if len(folded) < ALLERGY_MIN_MATCH:
            continue
        if (folded in drug or (len(drug) >= ALLERGY_MIN_MATCH and drug in folded)) and substance not in found:
            found.append(substance)
    return found


def prescription_create(
    *,
    acting_user: User,
    encounter_id: object,
    drug_name: str,
    dose: object,
    dose_unit: str,
    route: str,
    frequency: str,
    duration_days: object = None,
    quantity: object = None,
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
    alias = current_tenant().alias
    errors: dict[str, list[str]] = {}
    dose_value = _parse_decimal(dose, field="dose", label="The dose", errors=errors)
    quantity_value = _parse_decimal(quantity, field="quantity", label="The quantity", errors=errors)
    days = _parse_whole(duration_days, field="duration_days", label="The duration", errors=errors)
    drug_name = (drug_name or "").strip()
    with transaction.atomic(using=alias):
        encounter = _encounter_for_ordering(
            acting_user=acting_user, encounter_id=encounter_id, resource=Resource.PRESCRIPTION
        )
        if dose_value is None and "dose" not in errors:
            errors["dose"] = ["Enter the dose."]
        for field, chosen, choices, what in (
            ("dose_unit", dose_unit, Prescription.DoseUnit, "a dose unit"),
            ("route", route, Prescription.Route, "a route"),
            ("frequency", frequency, Prescription.Frequency, "a frequency"),
        ):
            if chosen not in choices.values:
                errors[field] = [f"Choose {what} from the list."]
        if frequency == Prescription.Frequency.STAT:
            if days is not None:
                errors.setdefault("duration_days", []).append(
                    "A STAT dose is given once: leave the duration empty."
                )
        elif days is None and "duration_days" not in errors:
            errors["duration_days"] = [f"Enter how many days the course lasts (1 to {MAX_DURATION_DAYS})."]
        elif days is not None and not 1 <= days <= MAX_DURATION_DAYS:
            errors["duration_days"] = [f"A course lasts 1 to {MAX_DURATION_DAYS} days."]
            days = None
        now = timezone.now()
        prescription = Prescription(
            encounter=encounter,
            patient_id=encounter.patient_id,
            prescriber_id=acting_user.pk,
            drug_name=drug_name,
            drug_code=(drug_code or "").strip(),
            dose=dose_value,
            dose_unit=dose_unit,
            route=route,
            frequency=frequency,
            duration_days=days,
            quantity=quantity_value,
            instructions=(instructions or "").strip(),
            starts_at=now,
            ends_at=now + (datetime.timedelta(days=days) if days else STAT_SHOWN_FOR),
        )
        _validation_errors(prescription, errors, exclude=list(errors))
        if errors:
            raise ApplicationError("The prescription is not complete or not valid.", details=errors)
        conflicts = _allergy_conflicts(patient=encounter.patient, drug_name=drug_name)
        if not conflicts:
            prescription.save(using=alias)
            audit_record(
                acting_user=acting_user,
                action="prescription.create",
                resource="Prescription",
                patient_id=encounter.patient_id,
                client_address=client_address,
                detail={
                    "prescription_id": prescription.pk,
                    "encounter_id": encounter.pk,
                    "drug_name": drug_name,
                    "frequency": frequency,
                },
            )
            return prescription
    # Refused for an allergy: nothing prescribed, but the refusal is part of the record.
    with transaction.atomic(using=alias):
        audit_record(
            acting_user=acting_user,
            action="prescription.allergy_refused",
            resource="Prescription",
            patient_id=encounter.patient_id,
            client_address=client_address,
            detail={"encounter_id": encounter.pk, "drug_name": drug_name, "allergies": conflicts},
        )
    raise AllergyConflict(drug_name, conflicts)


def _prescription_change(
    *,
    acting_user: User,
    prescription_id: object,
    action: Action,
    change: str,
) -> Prescription:
    prescription = _scoped_get(
        Prescription,
        acting_user=acting_user,
        pk=prescription_id,
        resource=Resource.PRESCRIPTION,
        action=action,
        field="patient",
        missing=PRESCRIPTION_NOT_FOUND,
    )
    if prescription.voided_at is not None:
        raise ApplicationError(f"This prescription was voided; it cannot be {change}.")
    return prescription


def prescription_stop(
    *, acting_user: User, prescription_id: object, reason: str, client_address: str | None = None
) -> Prescription:
    """Stop an active prescription before its course ends (the prescriber's decision, with a reason)."""
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        prescription = _prescription_change(
            acting_user=acting_user, prescription_id=prescription_id, action=Action.CREATE, change="stopped"
        )
        reason = _reason(reason, what="stopping the prescription")
        now = timezone.now()
        shown = prescription.current_status(now)
        if shown != Prescription.Status.ACTIVE:
            raise ApplicationError(
                f"This prescription is already {Prescription.Status(shown).label.lower()}; "
                "only an active one can be stopped."
            )
        prescription.status = Prescription.Status.STOPPED
        prescription.stopped_at = now
        prescription.stopped_by_id = acting_user.pk
        prescription.stop_reason = reason
        prescription.save(
            update_fields=["status", "stopped_at", "stopped_by_id", "stop_reason", "updated_at"]
        )
        audit_record(
            acting_user=acting_user,
            action="prescription.stop",
            resource="Prescription",
            patient_id=prescription.patient_id,
            client_address=client_address,
            detail={"prescription_id": prescription.pk, "reason": reason},
        )
    return prescription


def prescription_complete(
    *, acting_user: User, prescription_id: object, client_address: str | None = None
) -> Prescription:
    """Mark an active prescription completed before its last day (the course was finished early)."""
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        prescription = _prescription_change(
            acting_user=acting_user, prescription_id=prescription_id, action=Action.CREATE, change="completed"
        )
        shown = prescription.current_status(timezone.now())
        if shown != Prescription.Status.ACTIVE:
            raise ApplicationError(
                f"This prescription is already {Prescription.Status(shown).label.lower()}; "
                "only an active one can be marked completed."
            )
        prescription.status = Prescription.Status.COMPLETED
        prescription.save(update_fields=["status", "updated_at"])
        audit_record(
            acting_user=acting_user,
            action="prescription.complete",
            resource="Prescription",
            patient_id=prescription.patient_id,
            client_address=client_address,
            detail={"prescription_id": prescription.pk},
        )
    return prescription


def prescription_void(
    *, acting_user: User, prescription_id: object, reason: str, client_address: str | None = None
) -> Prescription:
    """Void a prescription entered in error; it stays on record, out of lists, with the reason."""
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        prescription = _prescription_change(
            acting_user=acting_user,
            prescription_id=prescription_id,
            action=Action.VOID,
            change="voided again",
        )
        reason = _reason(reason, what="voiding the prescription")
        prescription.voided_at = timezone.now()
        prescription.voided_by_id = acting_user.pk
        prescription.void_reason = reason
        prescription.save(update_fields=["voided_at", "voided_by_id", "void_reason", "updated_at"])
        audit_record(
            acting_user=acting_user,
            action="prescription.void",
            resource="Prescription",
            patient_id=prescription.patient_id,
            client_address=client_address,
            detail={"prescription_id": prescription.pk, "reason": reason},
        )
    return prescription


# Lab orders


def lab_order_create(
    *,
    acting_user: User,
    encounter_id: object,
    test_code: str,
    priority: str = LabOrder.Priority.ROUTINE,
    clinical_note: str = "",
    client_address: str | None = None,
) -> list[LabOrder]:
    """Order a test, or a panel (one order per member test), in an encounter: a doctor, for a patient in care.

    `test_code` is a LOINC code from the catalogue or a panel's abbreviation (CBC, BMP...).
    The encounter rules are those of prescribing.
    """
    alias = current_tenant().alias
    code = (test_code or "").strip()
    with transaction.atomic(using=alias):
        encounter = _encounter_for_ordering(
            acting_user=acting_user, encounter_id=encounter_id, resource=Resource.LAB_ORDER
        )
        errors: dict[str, list[str]] = {}
        tests = catalogue_tests(code)
        if not tests:
            errors["test_code"] = [
                f"{code[:20]!r} is not a test or panel in the catalogue; pick one from the list."
                if code
                else "Pick a test or panel from the catalogue."
            ]
        if priority not in LabOrder.Priority.values:
            errors["priority"] = ["Choose routine, urgent or STAT."]
        if errors:
            raise ApplicationError("The lab order is not complete or not valid.", details=errors)
        item = catalogue_lookup(code)
        panel_code = item.code if isinstance(item, LabPanel) else ""
        orders = []
        now = timezone.now()
        for test in tests:
            order = LabOrder(
                encounter=encounter,
                patient_id=encounter.patient_id,
                ordered_by_id=acting_user.pk,
                ordered_at=now,
                test_code=test.code,
                test_name=test.name,
                panel_code=panel_code,
                priority=priority,
                clinical_note=(clinical_note or "").strip(),
            )
            _validation_errors(order, errors)
            orders.append(order)
        if errors:
            raise ApplicationError("The lab order is not complete or not valid.", details=errors)
        for order in orders:
            order.save(using=alias)
        audit_record(
            acting_user=acting_user,
            action="lab_order.create",
            resource="LabOrder",
            patient_id=encounter.patient_id,
            client_address=client_address,
            detail={
                "order_ids": [order.pk for order in orders],
                "encounter_id": encounter.pk,
                "test_codes": [order.test_code for order in orders],
                "panel_code": panel_code,
                "priority": priority,
            },
        )
    return orders


def _order_for_work(*, acting_user: User, order_id: object, resource: Resource, action: Action) -> LabOrder:
    order = _scoped_get(
        LabOrder,
        acting_user=acting_user,
        pk=order_id,
        resource=resource,
        action=action,
        field="patient",
        missing=ORDER_NOT_FOUND,
    )
    if order.voided_at is not None:
        raise ApplicationError("This lab order was voided.")
    if order.status == LabOrder.Status.CANCELLED:
        raise ApplicationError("This lab order was cancelled.")
    return order


def lab_order_collect(*, acting_user: User, order_id: object, client_address: str | None = None) -> LabOrder:
    """Record that the specimen was taken: a nurse, or a doctor for a patient in care."""
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        order = _order_for_work(
            acting_user=acting_user, order_id=order_id, resource=Resource.LAB_RESULT, action=Action.CREATE
        )
        if order.status != LabOrder.Status.ORDERED:
            raise ApplicationError(
                f"This order is already {order.get_status_display().lower()}; "
                "only an order awaiting its specimen can be marked collected."
            )
        order.status = LabOrder.Status.COLLECTED
        order.collected_at = timezone.now()
        order.collected_by_id = acting_user.pk
        order.save(update_fields=["status", "collected_at", "collected_by_id", "updated_at"])
        audit_record(
            acting_user=acting_user,
            action="lab_order.collect",
            resource="LabOrder",
            patient_id=order.patient_id,
            client_address=client_address,
            detail={"order_id": order.pk},
        )
    return order


def lab_order_cancel(
    *, acting_user: User, order_id: object, reason: str, client_address: str | None = None
) -> LabOrder:
    """Cancel an order that has no result yet (the orderer's decision, with a reason)."""
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        order = _order_for_work(
            acting_user=acting_user, order_id=order_id, resource=Resource.LAB_ORDER, action=Action.CREATE
        )
        reason = _reason(reason, what="cancelling the order")
        if order.status not in (LabOrder.Status.ORDERED, LabOrder.Status.COLLECTED):
            raise ApplicationError(
                "This order already has a result and cannot be cancelled; void it if it was entered in error."
            )
        order.status = LabOrder.Status.CANCELLED
        order.cancelled_at = timezone.now()
        order.cancelled_by_id = acting_user.pk
        order.cancel_reason = reason
        order.save(update_fields=["status", "cancelled_at", "cancelled_by_id", "cancel_reason", "updated_at"])
        audit_record(
            acting_user=acting_user,
            action="lab_order.cancel",
            resource="LabOrder",
            patient_id=order.patient_id,
            client_address=client_address,
            detail={"order_id": order.pk, "reason": reason},
        )
    return order


def lab_order_void(
    *, acting_user: User, order_id: object, reason: str, client_address: str | None = None
) -> LabOrder:
    """Void an order entered in error (whatever its status); it and its results leave every list."""
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        order = _scoped_get(
            LabOrder,
            acting_user=acting_user,
            pk=order_id,
            resource=Resource.LAB_ORDER,
            action=Action.VOID,
            field="patient",
            missing=ORDER_NOT_FOUND,
        )
        if order.voided_at is not None:
            raise ApplicationError("This lab order was already voided.")
        reason = _reason(reason, what="voiding the order")
        order.voided_at = timezone.now()
        order.voided_by_id = acting_user.pk
        order.void_reason = reason
        order.save(update_fields=["voided_at", "voided_by_id", "void_reason", "updated_at"])
        audit_record(
            acting_user=acting_user,
            action="lab_order.void",
            resource="LabOrder",
            patient_id=order.patient_id,
            client_address=client_address,
            detail={"order_id": order.pk, "status": order.status, "reason": reason},
        )
    return order


# Lab results


def _result_build(
    *, order: LabOrder, acting_user: User, value: object, unit: str, comment: str, now: datetime.datetime
) -> LabResult:
    """An unsaved result for `order`: the value checked, converted to the test's unit and flagged."""
    test: LabTest | None = TESTS.get(order.test_code)
    if test is None:
        raise ApplicationError(
            f"Test {order.test_code} is no longer in the lab catalogue; ask the laboratory."
        )
    unit = (unit or "").strip()
    entered = value if isinstance(value, str) else ("" if value is None else str(value))
    entered = entered.strip()
    result = LabResult(
        order=order,
        entered_value=entered[:64],
        entered_unit=unit[:32],
        comment=(comment or "").strip(),
        entered_by_id=acting_user.pk,
        entered_at=now,
    )
    errors: dict[str, list[str]] = {}
    if not entered:
        raise ApplicationError("Enter the result.", details={"value": ["A value is required."]})
    if test.is_numeric:
        number = _parse_decimal(value, field="value", label=test.short_name, errors=errors)
        if number is None:
            raise ApplicationError(
                f"{test.short_name} takes a number, in {test.unit}; {entered[:20]!r} is not one.",
                details={"value": [f"Enter a number such as 4.5 (in {test.unit})."]},
            )
        if number < 0:
            raise ApplicationError(
                f"{test.short_name} cannot be negative.", details={"value": ["Enter a value of 0 or more."]}
            )
        canonical = test.to_canonical(number, unit)
        if canonical is None:
            accepted = ", ".join(test.accepted_units())
            message = (
                f"{test.short_name} is reported in {test.unit}; {unit[:20]!r} cannot be converted to it."
            )
            raise ApplicationError(message, details={"unit": [f"Use one of: {accepted}."]})
        reference = test.reference_for(order.patient.sex)
        result.value_numeric = canonical
        result.unit = test.unit
        result.reference_low, result.reference_high = reference.low, reference.high
        result.critical_low, result.critical_high = test.critical.low, test.critical.high
        result.reference_text = f"{reference} {test.unit}".strip() if str(reference) else ""
        result.flag = test.flag(canonical, order.patient.sex)
    else:
        answer = test.answer_match(entered)
        if answer is None:
            raise ApplicationError(
                f"{test.short_name} is reported as one of: {', '.join(test.answers)}.",
                details={"value": [f"Choose one of: {', '.join(test.answers)}."]},
            )
        if unit:
            raise ApplicationError(
                f"{test.short_name} has no unit; leave the unit empty.", details={"unit": ["Leave empty."]}
            )
        result.value_text = answer
        result.reference_text = ", ".join(test.normal_answers)
        result.flag = test.text_flag(answer)
    _validation_errors(result, errors, exclude=["supersedes"], validate_constraints=False)
    if "value_numeric" in errors:
        errors["value"] = errors.pop("value_numeric")
    if errors:
        raise ApplicationError("The result is not valid.", details=errors)
    return result


def lab_result_enter(
    *,
    acting_user: User,
    order_id: object,
    value: object,
    unit: str = "",
    comment: str = "",
    client_address: str | None = None,
) -> LabResult:
    """Enter the result of a collected specimen: a nurse, or a doctor for a patient in care.

    A numeric value may be given in any unit the test accepts and is stored in the
    test's own unit; the flag (N, L, H, LL, HH; A for an abnormal answer) comes from the
    catalogue's ranges for the patient's sex. The result then awaits verification.
    """
    alias = current_tenant().alias
    try:
        with transaction.atomic(using=alias):
            order = _order_for_work(
                acting_user=acting_user, order_id=order_id, resource=Resource.LAB_RESULT, action=Action.CREATE
            )
            if order.status == LabOrder.Status.ORDERED:
                raise ApplicationError(
                    "The specimen has not been marked collected yet; mark it collected first."
                )
            if order.status != LabOrder.Status.COLLECTED:
                raise ApplicationError("This order already has a result; to change it, enter a correction.")
            result = _result_build(
                order=order,
                acting_user=acting_user,
                value=value,
                unit=unit,
                comment=comment,
                now=timezone.now(),
            )
            result.save(using=alias)
            order.status = LabOrder.Status.RESULTED
            order.save(update_fields=["status", "updated_at"])
            audit_record(
                acting_user=acting_user,
                action="lab_result.enter",
                resource="LabResult",
                patient_id=order.patient_id,
                client_address=client_address,
                detail={"order_id": order.pk, "result_id": result.pk, "flag": result.flag},
            )
    except IntegrityError as exc:
        raise ApplicationError("Someone else entered a result for this order at the same moment.") from exc
    return result


def _result_for_work(*, acting_user: User, result_id: object, action: Action) -> LabResult:
    result = _scoped_get(
        LabResult,
        acting_user=acting_user,
        pk=result_id,
        resource=Resource.LAB_RESULT,
        action=action,
        field="order__patient",
        missing=RESULT_NOT_FOUND,
    )
    order = LabOrder.objects.select_for_update().select_related("patient").get(pk=result.order_id)
    result.order = order
    if order.voided_at is not None:
        raise ApplicationError("This lab order was voided.")
    if result.superseded_at is not None:
        raise ApplicationError("This result has been corrected; work on the latest result instead.")
    return result


def lab_result_verify(
    *, acting_user: User, result_id: object, client_address: str | None = None
) -> LabResult:
    """Verify a result: a doctor for a patient in care, not the person who entered it (four eyes).

    A verified result is final: it is never changed again, only corrected by a new result.
    """
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        result = _result_for_work(acting_user=acting_user, result_id=result_id, action=Action.VERIFY)
        if result.verified_at is not None:
            raise ApplicationError("This result is already verified.")
        if result.entered_by_id == acting_user.pk:
            raise ApplicationError("You entered this result; another doctor must verify it (four-eyes rule).")
        result.verified_at = timezone.now()
        result.verified_by_id = acting_user.pk
        result.save(update_fields=["verified_at", "verified_by_id", "updated_at"])
        order = result.order
        order.status = LabOrder.Status.VERIFIED
        order.save(update_fields=["status", "updated_at"])
        audit_record(
            acting_user=acting_user,
            action="lab_result.verify",
            resource="LabResult",
            patient_id=order.patient_id,
            client_address=client_address,
            detail={"order_id": order.pk, "result_id": result.pk, "flag": result.flag},
        )
    return result


def lab_result_correct(
    *,
    acting_user: User,
    result_id: object,
    value: object,
    reason: str,
    unit: str = "",
    comment: str = "",
    client_address: str | None = None,
) -> LabResult:
    """Correct a result with a new one that supersedes it; the old one is kept, unchanged.

    A nurse, or a doctor for a patient in care. The correction awaits verification like
    any result (by someone other than its author); until then the patient sees neither.
    """
    alias = current_tenant().alias
    try:
        with transaction.atomic(using=alias):
            old = _result_for_work(acting_user=acting_user, result_id=result_id, action=Action.CREATE)
            reason = _reason(reason, what="the correction")
            now = timezone.now()
            new = _result_build(
                order=old.order, acting_user=acting_user, value=value, unit=unit, comment=comment, now=now
            )
            old.superseded_at = now
            old.save(update_fields=["superseded_at", "updated_at"])
            new.supersedes = old
            new.correction_reason = reason
            new.save(using=alias)
            order = old.order
            order.status = LabOrder.Status.RESULTED
            order.save(update_fields=["status", "updated_at"])
            audit_record(
                acting_user=acting_user,
                action="lab_result.correct",
                resource="LabResult",
                patient_id=order.patient_id,
                client_address=client_address,
                detail={
                    "order_id": order.pk,
                    "result_id": new.pk,
                    "supersedes_id": old.pk,
                    "old_flag": old.flag,
                    "flag": new.flag,
                    "reason": reason,
                },
            )
    except IntegrityError as exc:
        raise ApplicationError("Someone else corrected this result at the same moment.") from exc
    return new
