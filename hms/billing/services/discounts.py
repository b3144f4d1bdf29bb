"""Discounts, each with a reason and audited: on one line of a draft invoice, or on the whole
draft. A discount never takes a line or the invoice below zero; setting it to 0 takes it off."""

from decimal import Decimal

from django.db import transaction

from hms.accounts.models import User
from hms.accounts.permissions import Action
from hms.audit.records import audit_row
from hms.billing.models import ZERO, Invoice, InvoiceLine
from hms.billing.money import money_format, money_round, money_value
from hms.billing.services.shared import draft_required, invoice_lines_total, invoice_locked, invoice_row
from hms.care.rows import row_save
from hms.core.exceptions import ApplicationError
from hms.core.text import reason_clean
from hms.tenancy.context import current_tenant

DISCOUNT_INVALID = "The discount is not valid."


def _discount_read(amount: Decimal | int | str, reason: str) -> tuple[Decimal, str]:
    """The amount (cents, zero or more) and the reason (required unless the amount is 0)."""
    try:
        value = money_value(amount, field="discount", allow_zero=True)
    except ValueError as exc:
        raise ApplicationError(DISCOUNT_INVALID, details={"amount": [str(exc)]}) from exc
    if value == 0:
        return ZERO, ""
    return value, reason_clean(reason, missing="Give a reason for the discount.")


def invoice_line_discount(
    *,
    acting_user: User,
    invoice_id: int,
    line_id: int,
    amount: Decimal | int | str,
    reason: str = "",
    client_address: str | None = None,
) -> InvoiceLine:
    """Set the discount on one line of a draft invoice (0 takes it off): at most the line's amount."""
    value, reason = _discount_read(amount, reason)
    with transaction.atomic(using=current_tenant().alias):
        invoice = invoice_locked(user=acting_user, invoice_id=invoice_id, action=Action.UPDATE)
        line = invoice_row(InvoiceLine, line_id, invoice, "No such line on this invoice.")
        draft_required(invoice, "take discounts")
        gross = money_round(line.quantity * line.unit_price)
        if value > gross:
            raise ApplicationError(
                f"{line.item_name} comes to {money_format(gross)}: a discount cannot be more than that.",
                details={"amount": [f"At most {money_format(gross)}."]},
            )
        lines_after = invoice_lines_total(invoice) - line.line_total + (gross - value)
        if invoice.discount_amount > lines_after:
            raise ApplicationError(
                f"The invoice's own discount of {money_format(invoice.discount_amount)} would be more "
                "than the lines come to: lower it first.",
                details={"amount": ["Lower the invoice discount first."]},
            )
        before = str(line.discount_amount)
        row_save(line, discount_amount=value, discount_reason=reason, line_total=gross - value)
        audit_row(
            acting_user,
            "invoice.line_discount",
            invoice,
            client_address,
            invoice_id=invoice.pk,
            line_id=line.pk,
            item_code=line.item_code,
            before=before,
            discount=str(value),
            reason=reason,
            line_total=str(line.line_total),
        )
    return line


def invoice_discount(
    *,
    acting_user: User,
    invoice_id: int,
    amount: Decimal | int | str,
    reason: str = "",
    client_address: str | None = None,
) -> Invoice:
    """Set the discount on a whole draft invoice (0 takes it off): at most what its lines come to."""
    value, reason = _discount_read(amount, reason)
    with transaction.atomic(using=current_tenant().alias):
        invoice = invoice_locked(user=acting_user, invoice_id=invoice_id, action=Action.UPDATE)
        draft_required(invoice, "take discounts")
        lines = invoice_lines_total(invoice)
        if value > lines:
            raise ApplicationError(
                f"The lines come to {money_format(lines)}: a discount cannot be more than that.",
                details={"amount": [f"At most {money_format(lines)}."]},
            )
        before = str(invoice.discount_amount)
        row_save(invoice, discount_amount=value, discount_reason=reason)
        audit_row(
            acting_user,
            "invoice.discount",
            invoice,
            client_address,
            invoice_id=invoice.pk,
            before=before,
            discount=str(value),
            reason=reason,
            total=str(lines - value),
        )
    return invoice
