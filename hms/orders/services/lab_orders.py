"""Ordering lab tests, collecting specimens, cancelling and voiding orders.

The matrix gives doctors no UPDATE right on lab orders, so cancelling one asks for the
right to CREATE them: whoever may order for the patient may take it back. Collecting a
specimen asks for the right to enter lab results (nurses, and doctors for their own
patients), the people who do it.
"""

from django.db import transaction
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource
from hms.audit.records import audit_row
from hms.care.access import author_require, record_lock
from hms.care.rows import row_stamp
from hms.care.voiding import Voiding
from hms.clinical.profiles import clinical_profile
from hms.core.exceptions import ApplicationError
from hms.core.text import control_characters_refuse, reason_clean
from hms.core.validation import Errors, validation_errors
from hms.orders.lab_catalogue import LabPanel, catalogue_lookup, catalogue_tests
from hms.orders.models import LabOrder
from hms.orders.services.shared import (
    ORDER_NOT_FOUND,
    encounter_for_ordering,
)
from hms.tenancy.context import current_tenant


def lab_order_create(
    *,
    acting_user: User,
    encounter_id: int,
    test_code: str,
    priority: str = LabOrder.Priority.ROUTINE,
    clinical_note: str = "",
    client_address: str | None = None,
) -> list[LabOrder]:
    """Order a test, or a panel (one order per member test), in an encounter: a doctor, for a patient in care.

    `test_code` is a LOINC code from the catalogue or a panel's abbreviation (CBC, BMP...); a
    panel orders the members for the hospital's laboratory units (urea where it reports SI
    units, BUN where conventional). The encounter rules are those of prescribing.
    """
    control_characters_refuse(test_code=test_code, priority=priority, clinical_note=clinical_note)
    alias = current_tenant().alias
    code = (test_code or "").strip()
    with transaction.atomic(using=alias):
        encounter = encounter_for_ordering(
            acting_user=acting_user, encounter_id=encounter_id, resource=Resource.LAB_ORDER
        )
        errors: Errors = {}
        tests = catalogue_tests(code, clinical_profile().lab_units_for)
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
            validation_errors(order, errors)
            orders.append(order)
        if errors:
            raise ApplicationError("The lab order is not complete or not valid.", details=errors)
        for order in orders:
            order.save(using=alias)
        audit_row(
            acting_user,
            "lab_order.create",
            encounter,
            client_address,
            resource="LabOrder",
            order_ids=[order.pk for order in orders],
            encounter_id=encounter.pk,
            test_codes=[order.test_code for order in orders],
            panel_code=panel_code,
            priority=priority,
        )
    return orders


def order_for_work(*, acting_user: User, order_id: int, resource: Resource, action: Action) -> LabOrder:
    """The order, locked, if `acting_user` may do `action` to its `resource` and it is still open."""
    order = record_lock(LabOrder, order_id, acting_user, resource, action, ORDER_NOT_FOUND)
    if order.voided_at is not None:
        raise ApplicationError("This lab order was voided.")
    if order.status == LabOrder.Status.CANCELLED:
        raise ApplicationError("This lab order was cancelled.")
    return order


def lab_order_collect(*, acting_user: User, order_id: int, client_address: str | None = None) -> LabOrder:
    """Record that the specimen was taken: a nurse, or a doctor for a patient in care."""
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        order = order_for_work(
            acting_user=acting_user, order_id=order_id, resource=Resource.LAB_RESULT, action=Action.CREATE
        )
        if order.status != LabOrder.Status.ORDERED:
            raise ApplicationError(
                f"This order is already {order.get_status_display().lower()}; "
                "only an order awaiting its specimen can be marked collected."
            )
        row_stamp(order, acting_user, "collected", status=LabOrder.Status.COLLECTED)
        audit_row(acting_user, "lab_order.collect", order, client_address, order_id=order.pk)
    return order


def lab_order_cancel(
    *, acting_user: User, order_id: int, reason: str, client_address: str | None = None
) -> LabOrder:
    """Cancel an order that has no result yet (the orderer's decision, with a reason)."""
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        order = order_for_work(
            acting_user=acting_user, order_id=order_id, resource=Resource.LAB_ORDER, action=Action.CREATE
        )
        author_require(order, user=acting_user, resource=Resource.LAB_ORDER, action=Action.CREATE)
        reason = reason_clean(reason, missing="Give a reason for cancelling the order.")
        if order.status not in (LabOrder.Status.ORDERED, LabOrder.Status.COLLECTED):
            raise ApplicationError(
                "This order already has a result and cannot be cancelled; void it if it was entered in error."
            )
        row_stamp(order, acting_user, "cancelled", status=LabOrder.Status.CANCELLED, cancel_reason=reason)
        audit_row(acting_user, "lab_order.cancel", order, client_address, order_id=order.pk, reason=reason)
    return order


LAB_ORDER_VOIDING = Voiding(
    LabOrder, Resource.LAB_ORDER, missing=ORDER_NOT_FOUND, already="This lab order was already voided."
)


def lab_order_void(
    *, acting_user: User, order_id: int, reason: str, client_address: str | None = None
) -> LabOrder:
    """Void an order entered in error (whatever its status); it and its results leave every list."""
    # The audit row keeps the order's key and the status it was voided in, as before record_void.
    detail: dict[str, object] = {}

    def note_status(order: LabOrder) -> None:
        detail.update(order_id=order.pk, status=order.status)

    return LAB_ORDER_VOIDING.void(
        order_id, acting_user, reason, client_address, check=note_status, detail=detail
    )
