"""Payments against an issued invoice: at most its balance; paying the balance marks it paid,
voiding a payment (entered by mistake, bounced, refunded) makes its amount owed again."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.billing.common import PAYMENT_NOT_FOUND
from hms.billing.models import Invoice, Payment, Refund
from hms.billing.money import money_format, money_value
from hms.billing.services.shared import (
    first_upper,
    invoice_locked,
    invoice_paid,
    invoice_total,
    value_or_error,
)
from hms.care.access import patient_access
from hms.care.rows import row_save
from hms.care.voiding import Voiding
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.text import control_characters_refuse
from hms.tenancy.context import current_tenant

REFERENCE_MAX = 100
NOT_PAYABLE = {
    Invoice.Status.DRAFT: "is not issued yet: issue it first",
    Invoice.Status.PAID: "is already paid in full",
    Invoice.Status.VOID: "is void",
}


def payment_record(
    *,
    acting_user: User,
    invoice_id: int,
    amount: Decimal,
    method: str,
    reference: str = "",
    client_address: str | None = None,
) -> Payment:
    """Record a payment against an issued invoice; at most its balance. Paying the balance marks it paid."""
    permission_require(user=acting_user, resource=Resource.PAYMENT, action=Action.CREATE)
    control_characters_refuse(method=method, reference=reference)
    alias = current_tenant().alias
    errors: dict[str, list[str]] = {}
    value = value_or_error(
        lambda: money_value(amount, field="amount", allow_zero=False), field="amount", errors=errors
    )
    method = method.strip()
    if method not in Payment.Method.values:
        errors["method"] = [f"Choose a payment method: {', '.join(Payment.Method.labels)}."]
    reference = reference.strip()
    if len(reference) > REFERENCE_MAX:
        errors["reference"] = [f"Keep the reference under {REFERENCE_MAX} characters."]
    with transaction.atomic(using=alias):
        invoice = invoice_locked(user=acting_user, invoice_id=invoice_id, action=Action.VIEW)
        patient_access(
            user=acting_user, patient_id=invoice.patient_id, resource=Resource.PAYMENT, action=Action.CREATE
        )
        if invoice.status != Invoice.Status.ISSUED:
            why = NOT_PAYABLE[Invoice.Status(invoice.status)]
            raise ApplicationError(
                f"{first_upper(invoice.label)} {why}; no payment can be recorded against it."
            )
        if errors or value is None:
            raise ApplicationError("The payment is not valid.", details=errors)
        balance = invoice_total(invoice) - invoice_paid(invoice)
        if value > balance:
            raise ApplicationError(
                f"The balance of {invoice.label} is {money_format(balance)} {invoice.currency}; "
                f"a payment of {money_format(value)} would overpay it. Record at most the balance.",
                details={"amount": [f"At most {money_format(balance)}."]},
            )
        now = timezone.now()
        payment = Payment(
            invoice=invoice,
            amount=value,
            method=method,
            reference=reference,
            received_by_id=acting_user.pk,
            received_at=now,
        )
        payment.save(using=alias)
        if value == balance:
            row_save(invoice, status=Invoice.Status.PAID, paid_at=now)
        audit_row(
            acting_user,
            "payment.record",
            invoice,
            client_address,
            resource="Payment",
            invoice_id=invoice.pk,
            payment_id=payment.pk,
            amount=str(value),
            method=method,
            balance_after=str(balance - value),
        )
    return payment


PAYMENT_VOIDING = Voiding(
    Payment, Resource.PAYMENT, missing=PAYMENT_NOT_FOUND, already="This payment is already void."
)


def payment_void(
    *,
    acting_user: User,
    payment_id: int,
    reason: str,
    invoice_id: int | None = None,
    client_address: str | None = None,
) -> Payment:
    """Void a payment (entered by mistake, bounced, refunded); its amount is owed again.

    With `invoice_id`, a payment of another invoice answers NotFound. A paid invoice goes
    back to issued, in the same transaction.
    """
    detail: dict[
        str, object
    ] = {}  # the invoice and its balance after, filled in by check() for the audit row

    def check(payment: Payment) -> None:
        if invoice_id is not None and payment.invoice_id != invoice_id:
            raise NotFound(PAYMENT_NOT_FOUND)
        if Refund.objects.live().filter(payment=payment).exists():
            raise ApplicationError("Part of this payment was refunded: void the refund first.")
        try:
            invoice = invoice_locked(user=acting_user, invoice_id=payment.invoice_id, action=Action.VIEW)
        except NotFound:
            raise NotFound(PAYMENT_NOT_FOUND) from None
        if invoice.status == Invoice.Status.PAID:
            row_save(invoice, status=Invoice.Status.ISSUED, paid_at=None)
        balance = invoice_total(invoice) - invoice_paid(invoice) + payment.amount
        detail.update(invoice_id=invoice.pk, amount=str(payment.amount), balance_after=str(balance))

    return PAYMENT_VOIDING.void(payment_id, acting_user, reason, client_address, check=check, detail=detail)
