"""Invoices: opened for an encounter as a draft, filled from the price list, issued (numbered,
lines fixed), voided. Every write that depends on an invoice's state locks the invoice row
first, so two desks at once cannot both pass a check (a line added while it is issued)."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource
from hms.audit.records import audit_row
from hms.billing.common import INVOICE_NOT_FOUND, SEQUENCE_DIGITS, hospital_time_zone
from hms.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    Payment,
    PriceListItem,
)
from hms.billing.money import MONEY_LIMIT, money_format, quantity_value
from hms.billing.selectors import invoice_encounter, visit_charges
from hms.billing.services.settings import billing_settings_get
from hms.billing.services.shared import (
    draft_required,
    first_upper,
    invoice_line_of,
    invoice_lines_total,
    invoice_locked,
    invoice_paid,
    invoice_row,
    invoice_total,
    value_or_error,
)
from hms.care.rows import row_stamp
from hms.care.voiding import Voiding
from hms.core.exceptions import ApplicationError
from hms.core.locking import atomic_write
from hms.tenancy.context import current_tenant


def invoice_create_for_encounter(
    *, acting_user: User, encounter_id: int, client_address: str | None = None
) -> Invoice:
    """Open a draft invoice for an encounter, in the hospital's current currency.

    An encounter has at most one live invoice; a voided encounter cannot be invoiced.
    """
    alias = current_tenant().alias
    encounter = invoice_encounter(encounter_id, user=acting_user, action=Action.CREATE)
    if encounter.voided_at is not None:
        raise ApplicationError(
            "This encounter was voided, so it cannot be invoiced.",
            details={"encounter": [f"Voided: {encounter.void_reason or 'no reason recorded'}."]},
        )
    invoice = Invoice(
        encounter=encounter,
        patient_id=encounter.patient_id,
        currency=billing_settings_get().currency,
        created_by_id=acting_user.pk,
    )
    with atomic_write(
        using=alias,
        raced="Someone else opened an invoice for this encounter at the same moment; open that one.",
    ):
        existing = Invoice.objects.live().filter(encounter=encounter).first()
        if existing is not None:
            raise ApplicationError(
                f"This encounter already has an invoice ({existing.label}); void it first to make a new one.",
                details={"invoice_id": existing.pk},
            )
        invoice.save(using=alias)
        audit_row(
            acting_user,
            "invoice.create",
            invoice,
            client_address,
            invoice_id=invoice.pk,
            encounter_id=encounter.pk,
        )
    return invoice


def _line_new(
    invoice: Invoice,
    *,
    acting_user: User,
    item_code: str,
    quantity: Decimal | int | str,
    source: tuple[str, int] | None = None,
) -> InvoiceLine:
    """A line of `quantity` of the active price list item `item_code`, saved on the (locked, draft)
    invoice; ApplicationError naming the fields if the item or quantity will not do."""
    errors: dict[str, list[str]] = {}
    qty = value_or_error(lambda: quantity_value(quantity), field="quantity", errors=errors)
    code = item_code.strip().upper()
    item = PriceListItem.objects.filter(code=code, is_active=True).first() if code else None
    if item is None:
        errors["item_code"] = [
            f"No active price list item has code {code}." if code else "Choose an item from the price list."
        ]
    if errors or item is None or qty is None:
        raise ApplicationError("The invoice line is not valid.", details=errors)
    line = invoice_line_of(invoice, item, qty, added_by_id=acting_user.pk, source=source)
    if line.line_total >= MONEY_LIMIT:
        raise ApplicationError(
            f"This line would come to {money_format(line.line_total)}, more than one line can hold.",
            details={"quantity": ["Lower the quantity."]},
        )
    line.save(using=current_tenant().alias)
    return line


def invoice_line_add(
    *,
    acting_user: User,
    invoice_id: int,
    item_code: str,
    quantity: Decimal | int = 1,
    client_address: str | None = None,
) -> InvoiceLine:
    """Add `quantity` of a price list item to a draft invoice, copying its code, name and price."""
    with transaction.atomic(using=current_tenant().alias):
        invoice = invoice_locked(user=acting_user, invoice_id=invoice_id, action=Action.UPDATE)
        draft_required(invoice, "take new lines")
        line = _line_new(invoice, acting_user=acting_user, item_code=item_code, quantity=quantity)
        audit_row(acting_user, "invoice.line_add", invoice, client_address, **_line_detail(line))
    return line


@dataclass(frozen=True)
class AcceptedLine:
    """A proposed line the cashier accepted: the order or prescription it bills, the price list
    item (the matched one, or the one picked where there was no price) and the quantity."""

    source_kind: str
    source_id: int
    item_code: str
    quantity: Decimal


def invoice_lines_accept(
    *,
    acting_user: User,
    invoice_id: int,
    lines: Sequence[AcceptedLine],
    client_address: str | None = None,
) -> list[InvoiceLine]:
    """Add the proposed lines the cashier accepted to a draft invoice, all or none.

    Each must be an order or prescription of the invoice's own visit not billed on it yet;
    nothing is added that was not accepted.
    """
    added: list[InvoiceLine] = []
    with transaction.atomic(using=current_tenant().alias):
        invoice = invoice_locked(user=acting_user, invoice_id=invoice_id, action=Action.UPDATE)
        draft_required(invoice, "take new lines")
        if not lines:
            raise ApplicationError("Tick the lines to add first.", details={"accept": ["Tick at least one."]})
        open_charges = {(kind, pk): text for kind, pk, text, *_ in visit_charges(invoice.encounter_id)}
        billed = set(
            InvoiceLine.objects.filter(invoice=invoice, source_id__isnull=False).values_list(
                "source_kind", "source_id"
            )
        )
        for accepted in lines:
            source = (accepted.source_kind, accepted.source_id)
            if source not in open_charges:
                raise ApplicationError("That order or prescription is not part of this visit any more.")
            if source in billed:
                raise ApplicationError(f"{open_charges[source]} is already on this invoice.")
            try:
                line = _line_new(
                    invoice,
                    acting_user=acting_user,
                    item_code=accepted.item_code,
                    quantity=accepted.quantity,
                    source=source,
                )
            except ApplicationError as exc:
                why = next(iter(exc.details.values()), [exc.message])[0]
                raise ApplicationError(f"{open_charges[source]}: {why}", details=exc.details) from exc
            billed.add(source)
            added.append(line)
            audit_row(
                acting_user,
                "invoice.line_accept",
                invoice,
                client_address,
                **_line_detail(line),
                source_kind=line.source_kind,
                source_id=line.source_id,
            )
    return added


def invoice_line_remove(
    *, acting_user: User, invoice_id: int, line_id: int, client_address: str | None = None
) -> None:
    """Take a line off a draft invoice.

    A draft is not yet a financial record, so the line row is deleted; the audit row keeps
    what it said. Lines of an issued invoice are never removed: void the invoice instead.
    """
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        invoice = invoice_locked(user=acting_user, invoice_id=invoice_id, action=Action.UPDATE)
        line = invoice_row(InvoiceLine, line_id, invoice, "No such line on this invoice.")
        draft_required(invoice, "have lines removed")
        if invoice.discount_amount > invoice_lines_total(invoice) - line.line_total:
            raise ApplicationError(
                f"The invoice's discount of {money_format(invoice.discount_amount)} would be more than "
                "the lines left: lower the discount first."
            )
        # The row is gone after the delete: the audit row keeps what it said.
        detail = {**_line_detail(line), "item_name": line.item_name}
        line.delete()
        audit_row(acting_user, "invoice.line_remove", invoice, client_address, **detail)


def _line_detail(line: InvoiceLine) -> dict[str, Any]:
    """What an invoice line said, for the audit rows of adding and removing it."""
    return {
        "invoice_id": line.invoice_id,
        "line_id": line.pk,
        "item_code": line.item_code,
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price),
        "line_total": str(line.line_total),
    }


def invoice_number_next(*, at: datetime.datetime) -> str:
    """The next invoice number, `<prefix>-<year>-<6-digit sequence>` (no prefix: `<year>-<sequence>`).

    The year is the hospital's local year of `at`. Locks the billing settings row until the
    caller's transaction ends, so numbers are handed out one at a time; a transaction that
    rolls back gives its number back, so issued numbers have no gaps.
    """
    alias = current_tenant().alias
    year = timezone.localtime(at, hospital_time_zone()).year
    with transaction.atomic(using=alias, savepoint=False):
        settings_row = BillingSettings.objects.select_for_update().filter(pk=1).first()
        if settings_row is None:
            raise ApplicationError("This hospital has no billing settings row; run migrate_hospitals.")
        counter, _ = InvoiceCounter.objects.get_or_create(year=year)
        while True:
            counter.last_sequence += 1
            if counter.last_sequence >= 10**SEQUENCE_DIGITS:
                raise ApplicationError(f"This hospital has issued every invoice number of {year}.")
            sequence = f"{counter.last_sequence:0{SEQUENCE_DIGITS}d}"
            number = f"{settings_row.invoice_prefix}-{year}-{sequence}".lstrip("-")
            # Only a prefix changed back and forth within a year could make this collide.
            if not Invoice.objects.filter(number=number).exists():
                break
        counter.save(using=alias, update_fields=["last_sequence"])
    return number


def invoice_issue(*, acting_user: User, invoice_id: int, client_address: str | None = None) -> Invoice:
    """Issue a draft invoice: it gets its number and its lines are fixed.

    An invoice without lines is refused. One whose total is zero is paid at once.
    """
    alias = current_tenant().alias
    # The database refused the row (say, a number taken at the same moment): nothing was written.
    with atomic_write(
        using=alias,
        raced="The invoice could not be numbered; try again, and tell the administrator if it recurs.",
    ):
        invoice = invoice_locked(user=acting_user, invoice_id=invoice_id, action=Action.UPDATE)
        draft_required(invoice, "be issued")
        if not InvoiceLine.objects.filter(invoice=invoice).exists():
            raise ApplicationError(
                "This invoice has no lines yet: add what the patient is charged for first."
            )
        now = timezone.now()
        total = invoice_total(invoice)
        row_stamp(
            invoice,
            acting_user,
            "issued",
            at=now,
            number=invoice_number_next(at=now),
            status=Invoice.Status.ISSUED if total > 0 else Invoice.Status.PAID,
            paid_at=None if total > 0 else now,
        )
        audit_row(
            acting_user,
            "invoice.issue",
            invoice,
            client_address,
            invoice_id=invoice.pk,
            number=invoice.number,
            total=str(total),
        )
    return invoice


INVOICE_VOIDING = Voiding(
    Invoice, Resource.INVOICE, missing=INVOICE_NOT_FOUND, already="This invoice is already void."
)


def invoice_void(
    *, acting_user: User, invoice_id: int, reason: str, client_address: str | None = None
) -> Invoice:
    """Void an invoice (a draft or an issued one) that has no live payments; it keeps its number."""
    detail: dict[str, object] = {}  # what the invoice was, filled in by check() for the audit row

    def check(invoice: Invoice) -> None:
        paid = invoice_paid(invoice)  # payments less refunds: a payment given back in full is no bar
        if paid > 0:
            live = Payment.objects.live().filter(invoice=invoice)
            raise ApplicationError(
                f"{first_upper(invoice.label)} has payments of {money_format(paid)} {invoice.currency}: "
                "void them (or refund them) first.",
                details={"payments": list(live.values_list("pk", flat=True))},
            )
        detail.update(number=invoice.number, was=invoice.status)
        invoice.status = Invoice.Status.VOID

    return INVOICE_VOIDING.void(
        invoice_id, acting_user, reason, client_address, check=check, detail=detail, also_save=["status"]
    )
