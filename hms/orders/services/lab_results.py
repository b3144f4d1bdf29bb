"""Entering, verifying and correcting lab results.

A result's value is taken as the text the person typed (it is kept, as entered): whether
it is a number in some unit or one of the test's answers depends on the order's test,
which only the locked order tells, so it is read here against the lab catalogue.
"""

import datetime
import re
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource
from hms.alerts.services import Finding, critical_alert_raise
from hms.audit.records import audit_row
from hms.care.access import patient_scope_filter, record_pk
from hms.care.rows import row_save, row_stamp
from hms.clinical.ages import Age, age_on
from hms.clinical.profiles import clinical_profile
from hms.clinical.renal import egfr
from hms.core.display import lab_test_name, unit_label
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.locking import atomic_write
from hms.core.numbers import decimal_parse
from hms.core.text import control_characters_refuse, reason_clean
from hms.core.validation import Errors, validation_errors
from hms.encounters.models import Observation
from hms.encounters.vitals import HEIGHT
from hms.orders.lab_catalogue import (
    ADULT_YEARS,
    TESTS,
    LabTest,
    Limits,
    Range,
    ResultForm,
    UnitsFor,
    limits_for,
    unit_normalise,
)
from hms.orders.models import LabOrder, LabResult
from hms.orders.services.lab_orders import order_for_work
from hms.orders.services.shared import RESULT_NOT_FOUND
from hms.patients.clinical import patient_clinical_sex
from hms.patients.models import Patient
from hms.tenancy.context import current_tenant

CREATININE = "2160-0"  # its results carry an eGFR
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)


def result_number(text: str, *, label: str = "The value") -> Decimal | None:
    """The number written in `text` with digits and a decimal point, or None (no exponents, no NaN:
    then it may be one of the test's answers). NumberError for a number the result cannot hold."""
    text = text.strip()
    if not NUMBER.fullmatch(text):
        return None
    return decimal_parse(text, field="value", label=label, max_digits=14, decimal_places=4)  # value_numeric


def _implausible_message(test: LabTest, form: ResultForm, stored: Decimal, number: Decimal, unit: str) -> str:
    shown = f"{stored.normalize():f} {unit_label(form.unit)}"
    if unit_normalise(unit) != unit_normalise(form.unit):
        shown = f"{number.normalize():f} {unit} = {shown}"
    return (
        f"{test.short_name} of {shown} is impossible; {_possible(test, form)}. Check the number and the unit."
    )


def _possible(test: LabTest, form: ResultForm) -> str:
    low, high = (
        f"{v.normalize():f}" if v is not None else ""
        for v in (form.limit(test.plausible.low), form.limit(test.plausible.high))
    )
    return f"a value must lie between {low} and {high} {unit_label(form.unit)}"


def _patient_age(patient: Patient, day: datetime.date) -> Age | None:
    """The patient's age on `day`, or None where the recorded birth date is after it."""
    try:
        return age_on(patient.birth_date, day)
    except ValueError:
        return None


def _limits(test: LabTest, patient: Patient, age: Age | None) -> Limits:
    if age is None:
        note = "No reference interval: the birth date is after the result; only the critical limits apply."
        return Limits(Range(), test.critical, note)
    return limits_for(test, age, patient_clinical_sex(patient))


def _height_latest(patient: Patient) -> Observation | None:
    """The patient's last recorded height, for a child's eGFR (read only: the result's service
    has checked its right to the patient and audits what it does)."""
    return (
        Observation.objects.live()
        .filter(patient_id=patient.pk, loinc_code=HEIGHT, unit="cm", value__isnull=False)
        .order_by("-recorded_at", "-id")
        .first()
    )


def _egfr(creatinine_mg_dl: Decimal, patient: Patient, age: Age | None) -> tuple[int | None, str]:
    """The eGFR shown with a creatinine result and its equation, or None and the reason."""
    if age is None:
        return None, "No eGFR: the recorded birth date is after the result."
    height = _height_latest(patient) if age.years < ADULT_YEARS else None
    height_cm = height.value if height is not None else None
    estimate = egfr(
        creatinine_mg_dl=creatinine_mg_dl,
        age_years=age.years,
        sex=patient_clinical_sex(patient),
        height_cm=height_cm,
    )
    if estimate.value is None:
        return None, estimate.reason
    note = f"{estimate.equation} (LOINC {estimate.code})"
    if height is not None and height_cm is not None:
        note += f", from the height of {height_cm.normalize():f} cm recorded {height.recorded_at:%Y-%m-%d}"
    return estimate.value, note


def _numeric_fill(result: LabResult, test: LabTest, entered: str, unit: str, lab_units: str) -> None:
    """Read a numeric value: refuse what is not a number, a missing or foreign unit and an impossible
    value; store it in its unit's form (unit and LOINC code) and flag it in the ranges' unit."""
    here = test.form_for(lab_units)
    number = result_number(entered, label=test.short_name)
    if number is None:
        raise ApplicationError(
            f"{test.short_name} takes a number, in {unit_label(here.unit)}; {entered[:20]!r} is not one.",
            details={"value": [f"Enter a number such as 4.5 (in {unit_label(here.unit)})."]},
        )
    if number < 0:
        raise ApplicationError(
            f"{test.short_name} cannot be negative.", details={"value": ["Enter a value of 0 or more."]}
        )
    accepted = ", ".join(unit_label(u) for u in test.accepted_units(lab_units))
    if not unit:
        raise ApplicationError(
            f"Give the unit of the {test.short_name} result: this laboratory reports it in "
            f"{unit_label(here.unit)}; a number without its unit is not recorded.",
            details={"unit": [f"Choose the unit ({accepted})."]},
        )
    read = test.reading(number, unit)
    if read is None:
        message = f"{test.short_name} cannot be given in {unit[:20]!r}."
        raise ApplicationError(message, details={"unit": [f"Use one of: {accepted}."]})
    form, stored = read
    conventional = form.conventional.to_canonical(stored)
    if test.implausible(conventional):
        possible = f"Possible values: {_possible(test, form).removeprefix('a value must lie ')}."
        raise ApplicationError(
            _implausible_message(test, form, stored, number, unit), details={"value": [possible]}
        )
    patient = result.order.patient
    age = _patient_age(patient, timezone.localdate(result.entered_at))
    limits = _limits(test, patient, age)
    result.value_numeric = stored
    result.unit = form.unit
    result.loinc_code = form.code
    result.reference_low, result.reference_high = (
        form.limit(v) for v in (limits.reference.low, limits.reference.high)
    )
    result.critical_low, result.critical_high = (
        form.limit(v) for v in (limits.critical.low, limits.critical.high)
    )
    shown = str(Range(result.reference_low, result.reference_high))
    result.reference_text = f"{shown} {unit_label(form.unit)}" if shown else ""
    result.reference_note = limits.note
    result.flag = limits.flag(conventional)
    if test.code == CREATININE:
        result.egfr, result.egfr_note = _egfr(conventional, patient, age)


def _result_build(
    *,
    order: LabOrder,
    acting_user: User,
    value: str,
    unit: str,
    comment: str,
    now: datetime.datetime,
    lab_units_for: UnitsFor,
) -> LabResult:
    """An unsaved result for `order`: the value checked, stored with its unit's LOINC code and flagged."""
    test: LabTest | None = TESTS.get(order.test_code)
    if test is None:
        raise ApplicationError(
            f"Test {order.test_code} is no longer in the lab catalogue; ask the laboratory."
        )
    unit = (unit or "").strip()
    entered = (value or "").strip()
    result = LabResult(
        order=order,
        entered_value=entered[:64],
        entered_unit=unit[:32],
        comment=(comment or "").strip(),
        entered_by_id=acting_user.pk,
        entered_at=now,
    )
    if not entered:
        raise ApplicationError("Enter the result.", details={"value": ["A value is required."]})
    if test.is_numeric:
        _numeric_fill(result, test, entered, unit, lab_units_for(test.code))
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
        result.loinc_code = test.code
        result.reference_text = ", ".join(test.normal_answers)
        result.flag = test.text_flag(answer)
    errors: Errors = {}
    validation_errors(result, errors, exclude=["supersedes"], validate_constraints=False)
    if "value_numeric" in errors:
        errors["value"] = errors.pop("value_numeric")
    if errors:
        raise ApplicationError("The result is not valid.", details=errors)
    return result


def lab_result_enter(
    *,
    acting_user: User,
    order_id: int,
    value: str,
    unit: str = "",
    comment: str = "",
    client_address: str | None = None,
) -> LabResult:
    """Enter the result of a collected specimen: a nurse, or a doctor for a patient in care.

    A numeric value needs its unit (none is assumed): it is stored in that unit's form, with
    the LOINC code that matches it (glucose in mmol/L: 14749-6), and flagged (N, L, H, LL, HH;
    A for an abnormal answer) after conversion into the unit of the ranges for the patient's
    age and sex for clinical use; a creatinine carries its eGFR. An impossible value is
    refused; a critical one is recorded and flagged. The result then awaits verification.
    """
    control_characters_refuse(value=value, unit=unit, comment=comment)
    alias = current_tenant().alias
    with atomic_write(using=alias, raced="Someone else entered a result for this order at the same moment."):
        order = order_for_work(
            acting_user=acting_user, order_id=order_id, resource=Resource.LAB_RESULT, action=Action.CREATE
        )
        if order.status == LabOrder.Status.ORDERED:
            raise ApplicationError("The specimen has not been marked collected yet; mark it collected first.")
        if order.status != LabOrder.Status.COLLECTED:
            raise ApplicationError("This order already has a result; to change it, enter a correction.")
        result = _result_build(
            order=order,
            acting_user=acting_user,
            value=value,
            unit=unit,
            comment=comment,
            now=timezone.now(),
            lab_units_for=clinical_profile().lab_units_for,
        )
        result.save(using=alias)
        _order_status_save(
            order, LabOrder.Status.RESULTED, "lab_result.enter", acting_user, client_address, result
        )
    return result


def _order_status_save(
    order: LabOrder,
    status: str,
    action: str,
    acting_user: User,
    client_address: str | None,
    result: LabResult,
    **detail: object,
) -> None:
    """Move the order to `status` for what was done to its `result`; audit it for the order's patient."""
    row_save(order, status=status)
    audit_row(
        acting_user,
        action,
        order,
        client_address,
        resource="LabResult",
        order_id=order.pk,
        result_id=result.pk,
        flag=result.flag,
        **detail,
    )


def _result_for_work(*, acting_user: User, result_id: int, action: Action) -> LabResult:
    """The current result, locked with its order, if `acting_user` may do `action` to lab results."""
    # A result has no patient of its own: it is scoped through its order's.
    scope = patient_scope_filter(
        user=acting_user, resource=Resource.LAB_RESULT, action=action, field="order__patient"
    )
    number = record_pk(result_id, model=LabResult, missing=RESULT_NOT_FOUND)
    result = LabResult.objects.select_for_update().filter(scope, pk=number).first()
    if result is None:
        raise NotFound(RESULT_NOT_FOUND)
    order = LabOrder.objects.select_for_update().select_related("patient").get(pk=result.order_id)
    result.order = order
    if order.voided_at is not None:
        raise ApplicationError("This lab order was voided.")
    if result.superseded_at is not None:
        raise ApplicationError("This result has been corrected; work on the latest result instead.")
    return result


def lab_result_verify(*, acting_user: User, result_id: int, client_address: str | None = None) -> LabResult:
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
        row_stamp(result, acting_user, "verified")
        _order_status_save(
            result.order, LabOrder.Status.VERIFIED, "lab_result.verify", acting_user, client_address, result
        )
        # Validated, a critical value goes to the doctor who ordered it to acknowledge (hms.alerts).
        critical_alert_raise(
            acting_user=acting_user,
            clinician_id=result.order.ordered_by_id,
            finding=Finding(
                "LabResult",
                result.pk,
                result.order.patient_id,
                lab_test_name(result.order.test_code, result.order.test_name),
                result.value_numeric,
                result.unit,
                result.flag,
            ),
            client_address=client_address,
        )
    return result


def lab_result_correct(
    *,
    acting_user: User,
    result_id: int,
    value: str,
    reason: str,
    unit: str = "",
    comment: str = "",
    client_address: str | None = None,
) -> LabResult:
    """Correct a result with a new one that supersedes it; the old one is kept, unchanged.

    A nurse, or a doctor for a patient in care. The correction awaits verification like
    any result (by someone other than its author); until then the patient sees neither.
    """
    control_characters_refuse(value=value, unit=unit, comment=comment, reason=reason)
    alias = current_tenant().alias
    with atomic_write(using=alias, raced="Someone else corrected this result at the same moment."):
        old = _result_for_work(acting_user=acting_user, result_id=result_id, action=Action.CREATE)
        reason = reason_clean(reason, missing="Give a reason for the correction.")
        now = timezone.now()
        new = _result_build(
            order=old.order,
            acting_user=acting_user,
            value=value,
            unit=unit,
            comment=comment,
            now=now,
            lab_units_for=clinical_profile().lab_units_for,
        )
        row_save(old, superseded_at=now)
        new.supersedes = old
        new.correction_reason = reason
        new.save(using=alias)
        correction = {"supersedes_id": old.pk, "old_flag": old.flag, "reason": reason}
        _order_status_save(
            old.order,
            LabOrder.Status.RESULTED,
            "lab_result.correct",
            acting_user,
            client_address,
            new,
            **correction,
        )
    return new


def _panel_orders(*, acting_user: User, order_id: int, action: Action) -> list[LabOrder]:
    """The open orders of the panel request `order_id` belongs to (same encounter, panel and time),
    locked, if `acting_user` may work on lab results; a test ordered alone is its own panel."""
    first = order_for_work(
        acting_user=acting_user, order_id=order_id, resource=Resource.LAB_RESULT, action=action
    )
    if not first.panel_code:
        return [first]
    siblings = (
        LabOrder.objects.live()
        .select_for_update()
        .select_related("patient")
        .filter(encounter_id=first.encounter_id, panel_code=first.panel_code, ordered_at=first.ordered_at)
        .exclude(status=LabOrder.Status.CANCELLED)
        .order_by("id")
    )
    return list(siblings)


def lab_panel_collect(
    *, acting_user: User, order_id: int, client_address: str | None = None
) -> list[LabOrder]:
    """Mark the specimen of a whole panel (CBC: one tube) collected: every order of it still awaiting one."""
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        orders = _panel_orders(acting_user=acting_user, order_id=order_id, action=Action.CREATE)
        waiting = [order for order in orders if order.status == LabOrder.Status.ORDERED]
        if not waiting:
            raise ApplicationError("The specimen of this panel is already collected.")
        for order in waiting:
            row_stamp(order, acting_user, "collected", status=LabOrder.Status.COLLECTED)
        audit_row(
            acting_user,
            "lab_order.collect",
            waiting[0],
            client_address,
            order_ids=[order.pk for order in waiting],
            panel_code=waiting[0].panel_code,
        )
    return orders


def lab_panel_results_enter(
    *,
    acting_user: User,
    order_id: int,
    values: dict[str, tuple[str, str]],
    comment: str = "",
    client_address: str | None = None,
) -> list[LabResult]:
    """Enter the results of a collected panel in one go: `values` maps each test's LOINC code to
    (value, unit) as typed; tests left empty wait for a later entry. All or nothing: one value
    refused (an impossible WBC) records none, and the refusal names each test that is wrong."""
    for code, (value, unit) in values.items():
        control_characters_refuse(**{f"value_{code}": value, f"unit_{code}": unit})
    control_characters_refuse(comment=comment)
    alias = current_tenant().alias
    with atomic_write(using=alias, raced="Someone else entered a result for this panel at the same moment."):
        orders = _panel_orders(acting_user=acting_user, order_id=order_id, action=Action.CREATE)
        given = {code: pair for code, pair in values.items() if (pair[0] or "").strip()}
        open_orders = [o for o in orders if o.status == LabOrder.Status.COLLECTED and o.test_code in given]
        if any(o.status == LabOrder.Status.ORDERED for o in orders if o.test_code in given):
            raise ApplicationError("The specimen has not been marked collected yet; mark it collected first.")
        if not open_orders:
            raise ApplicationError("Enter at least one result of the panel.", details={"value": ["Empty."]})
        now = timezone.now()
        lab_units_for = clinical_profile().lab_units_for
        results, errors = [], {}
        for order in open_orders:
            value, unit = given[order.test_code]
            try:
                results.append(
                    _result_build(
                        order=order,
                        acting_user=acting_user,
                        value=value,
                        unit=unit,
                        comment=comment,
                        now=now,
                        lab_units_for=lab_units_for,
                    )
                )
            except ApplicationError as error:
                errors[order.test_code] = [error.message]
        if errors:
            raise ApplicationError(
                "Nothing was recorded; check " + ", ".join(TESTS[code].short_name for code in errors) + ".",
                details=errors,
            )
        for order, result in zip(open_orders, results, strict=True):
            result.save(using=alias)
            _order_status_save(
                order, LabOrder.Status.RESULTED, "lab_result.enter", acting_user, client_address, result
            )
    return results
