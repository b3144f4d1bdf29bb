"""What the billing services share: the invoice, fetched within the user's reach and locked;
its figures; and the way a model's validation errors become a refusal's details."""

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from django.core.exceptions import ValidationError

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource
from hms.billing.common import INVOICE_NOT_FOUND
from hms.billing.models import ZERO, Invoice, InvoiceLine, Payment, PriceListItem, Refund
from hms.billing.money import money_round
from hms.care.access import record_lock
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.ids import record_id

InvoiceRow = TypeVar("InvoiceRow", InvoiceLine, Payment)


def value_or_error(
    read: Callable[[], Decimal], *, field: str, errors: dict[str, list[str]]
) -> Decimal | None:
    """What `read` gives (a rule of hms.billing.money); if it refuses, None and why under `field`."""
    try:
        return read()
    except ValueError as exc:
        errors[field] = [str(exc)]
        return None


def first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def validation_details(exc: ValidationError) -> dict[str, list[str]]:
    return {field: list(messages) for field, messages in exc.message_dict.items()}


def invoice_locked(*, user: User, invoice_id: int, action: Action) -> Invoice:
    """The invoice, locked until the transaction ends, if `user` may do `action` to it; else NotFound."""
    return record_lock(Invoice, invoice_id, user, Resource.INVOICE, action, INVOICE_NOT_FOUND)


def invoice_row(model: type[InvoiceRow], row_id: object, invoice: Invoice, missing: str) -> InvoiceRow:
    """The line or payment `row_id` names on `invoice` (already locked by the caller); NotFound
    with `missing` if it is not one of this invoice's."""
    pk = record_id(row_id)
    row = model.objects.filter(pk=pk, invoice=invoice).first() if pk else None
    if row is None:
        raise NotFound(missing)
    return row


def invoice_line_of(
    invoice: Invoice,
    item: PriceListItem,
    quantity: Decimal,
    *,
    added_by_id: int,
    source: tuple[str, int] | None = None,
) -> InvoiceLine:
    """A price list item as a line of `invoice` (not saved): its code, name, category and price
    copied, so that changing the price list never changes a line; `source` names what it bills."""
    return InvoiceLine(
        invoice=invoice,
        item_code=item.code,
        item_name=item.name,
        category=item.category,
        quantity=quantity,
        unit_price=item.unit_price,
        line_total=money_round(quantity * item.unit_price),
        source_kind=source[0] if source else "",
        source_id=source[1] if source else None,
        added_by_id=added_by_id,
    )


def invoice_lines_total(invoice: Invoice) -> Decimal:
    """The sum of the invoice's line totals (each already rounded to cents, after its discount)."""
    totals = InvoiceLine.objects.filter(invoice=invoice).values_list("line_total", flat=True)
    return money_round(sum(totals, ZERO))


def invoice_total(invoice: Invoice) -> Decimal:
    """What the invoice charges: its lines, less the invoice's own discount."""
    return invoice_lines_total(invoice) - invoice.discount_amount


def invoice_paid(invoice: Invoice) -> Decimal:
    """What the patient has paid: the payments that are not voided, less live refunds of them."""
    amounts = Payment.objects.live().filter(invoice=invoice).values_list("amount", flat=True)
    refunded = Refund.objects.live().filter(invoice=invoice, payment__voided_at__isnull=True)
    return money_round(sum(amounts, ZERO) - sum(refunded.values_list("amount", flat=True), ZERO))


def draft_required(invoice: Invoice, doing: str) -> None:
    if invoice.status != Invoice.Status.DRAFT:
        raise ApplicationError(
            f"{first_upper(invoice.label)} is {invoice.get_status_display().lower()}: "
            f"only a draft invoice can {doing}. Void it and make a new one if it is wrong.",
        )
