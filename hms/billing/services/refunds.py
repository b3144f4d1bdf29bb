"""Refunds: money given back from a payment, with a reason (the administrator). The invoice's
paid amount falls by it, so its balance is owed again (a paid invoice goes back to issued);
a refund entered by mistake is voided, never deleted."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.billing.common import PAYMENT_NOT_FOUND
from hms.billing.models import Invoice, Payment, Refund
from hms.billing.money import money_format, money_round, money_value
from hms.billing.services.shared import invoice_locked, invoice_paid, invoice_row, invoice_total
from hms.care.rows import row_save
from hms.care.voiding import Voiding
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.text import reason_clean
from hms.tenancy.context import current_tenant

REFUND_NOT_FOUND = "No such refund here."
REFUND_INVALID = "The refund is not valid."


def payment_refundable(payment: Payment) -> Decimal:
    """What can still be given back from a payment: its amount less its live refunds."""
    refunded = Refund.objects.live().filter(payment=payment).values_list("amount", flat=True)
    return money_round(payment.amount - sum(refunded, Decimal(0)))


def _status_after(invoice: Invoice) -> None:
    """Paid in full, or not: the invoice's status follows its balance."""
    balance = invoice_total(invoice) - invoice_paid(invoice)
    if invoice.status == Invoice.Status.PAID and balance > 0:
        row_save(invoice, status=Invoice.Status.ISSUED, paid_at=None)
    elif invoice.status == Invoice.Status.ISSUED and balance <= 0:
        row_save(invoice, status=Invoice.Status.PAID, paid_at=timezone.now())


def payment_refund(
    *,
    acting_user: User,
    invoice_id: int,
    payment_id: int,
    amount: Decimal | int | str,
    method: str,
    reason: str,
    client_address: str | None = None,
) -> Refund:
    """Give back `amount` of a live payment of an issued or paid invoice, by `method`, for `reason`."""
    permission_require(user=acting_user, resource=Resource.PAYMENT, action=Action.VOID)
    errors: dict[str, list[str]] = {}
    value = None
    try:
        value = money_value(amount, field="refund", allow_zero=False)
    except ValueError as exc:
        errors["amount"] = [str(exc)]
    if method not in Payment.Method.values:
        errors["method"] = [f"Choose how the money is given back: {', '.join(Payment.Method.labels)}."]
    reason = reason_clean(reason, missing="Give a reason for the refund.")
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        invoice = invoice_locked(user=acting_user, invoice_id=invoice_id, action=Action.VIEW)
        payment = invoice_row(Payment, payment_id, invoice, PAYMENT_NOT_FOUND)
        if payment.voided_at is not None:
            raise ApplicationError("This payment is void: there is nothing to refund.")
        if invoice.status not in (Invoice.Status.ISSUED, Invoice.Status.PAID):
            raise ApplicationError("Only payments of an issued or paid invoice can be refunded.")
        if errors or value is None:
            raise ApplicationError(REFUND_INVALID, details=errors)
        refundable = payment_refundable(payment)
        if value > refundable:
            raise ApplicationError(
                f"At most {money_format(refundable)} {invoice.currency} of this payment can be given back.",
                details={"amount": [f"At most {money_format(refundable)}."]},
            )
        refund = Refund(
            payment=payment,
            invoice=invoice,
            amount=value,
            method=method,
            reason=reason,
            refunded_by_id=acting_user.pk,
            refunded_at=timezone.now(),
        )
        refund.save(using=alias)
        _status_after(invoice)
        audit_row(
            acting_user,
            "payment.refund",
            invoice,
            client_address,
            resource="Refund",
            invoice_id=invoice.pk,
            payment_id=payment.pk,
            refund_id=refund.pk,
            amount=str(value),
            method=method,
            reason=reason,
            balance_after=str(invoice_total(invoice) - invoice_paid(invoice)),
        )
    return refund


REFUND_VOIDING = Voiding(
    Refund,
    Resource.PAYMENT,
    missing=REFUND_NOT_FOUND,
    already="This refund is already void.",
    audit_action="refund.void",
)


def refund_void(
    *,
    acting_user: User,
    refund_id: int,
    reason: str,
    invoice_id: int | None = None,
    client_address: str | None = None,
) -> Refund:
    """Void a refund entered by mistake: the money counts as paid again (the row is kept)."""
    detail: dict[str, object] = {}

    def check(refund: Refund) -> None:
        if invoice_id is not None and refund.invoice_id != invoice_id:
            raise NotFound(REFUND_NOT_FOUND)
        invoice = invoice_locked(user=acting_user, invoice_id=refund.invoice_id, action=Action.VIEW)
        balance = invoice_total(invoice) - invoice_paid(invoice) - refund.amount
        if balance < 0:
            raise ApplicationError(
                "The invoice would then be paid more than it charges: void the payment instead."
            )
        if invoice.status == Invoice.Status.ISSUED and balance == 0:
            row_save(invoice, status=Invoice.Status.PAID, paid_at=timezone.now())
        detail.update(invoice_id=invoice.pk, amount=str(refund.amount), balance_after=str(balance))

    return REFUND_VOIDING.void(refund_id, acting_user, reason, client_address, check=check, detail=detail)
