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
from hms.audit.records import audit_row
from hms.care.access import patient_scope_filter, record_pk
from hms.care.rows import row_save, row_stamp
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.locking import atomic_write
from hms.core.numbers import decimal_parse
from hms.core.text import control_characters_refuse, reason_clean
from hms.core.validation import Errors, validation_errors
from hms.orders.lab_catalogue import TESTS, LabTest, unit_normalise
from hms.orders.models import LabOrder, LabResult
from hms.orders.services.lab_orders import order_for_work
from hms.orders.services.shared import RESULT_NOT_FOUND
from hms.tenancy.context import current_tenant

NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)


def result_number(text: str, *, label: str = "The value") -> Decimal | None:
    """The number written in `text` with digits and a decimal point, or None (no exponents, no NaN:
    then it may be one of the test's answers). NumberError for a number the result cannot hold."""
    text = text.strip()
    if not NUMBER.fullmatch(text):
        return None
    return decimal_parse(text, field="value", label=label, max_digits=14, decimal_places=4)  # value_numeric


# Units as people write them, in messages (the catalogue keeps UCUM's spelling).
_UNIT_SHOWN = {"10*3/uL": "\u00d710\u00b3/\u00b5L", "10*6/uL": "\u00d710\u2076/\u00b5L"}


def unit_label(unit: str) -> str:
    return _UNIT_SHOWN.get(unit, unit)


def _implausible_message(test: LabTest, canonical: Decimal, entered: Decimal, unit: str) -> str:
    shown = f"{canonical.normalize():f} {unit_label(test.unit)}"
    if unit and unit_normalise(unit) != unit_normalise(test.unit):
        shown = f"{entered.normalize():f} {unit} = {shown}"
    return f"{test.short_name} of {shown} is impossible; {_possible(test)}. Check the number and the unit."


def _possible(test: LabTest) -> str:
    low, high = (
        f"{v.normalize():f}" if v is not None else "" for v in (test.plausible.low, test.plausible.high)
    )
    return f"a value must lie between {low} and {high} {unit_label(test.unit)}"


def _result_build(
    *, order: LabOrder, acting_user: User, value: str, unit: str, comment: str, now: datetime.datetime
) -> LabResult:
    """An unsaved result for `order`: the value checked, converted to the test's unit and flagged."""
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
        number = result_number(entered, label=test.short_name)
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
        if test.implausible(canonical):
            possible = f"Possible values: {_possible(test).removeprefix('a value must lie ')}."
            raise ApplicationError(
                _implausible_message(test, canonical, number, unit), details={"value": [possible]}
            )
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

    A numeric value may be given in any unit the test accepts and is stored in the
    test's own unit; the flag (N, L, H, LL, HH; A for an abnormal answer) comes from the
    catalogue's ranges for the patient's sex. The result then awaits verification.
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
            order=old.order, acting_user=acting_user, value=value, unit=unit, comment=comment, now=now
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
