"""Writes of billing data: the price list, invoices, their lines and payments; each audited.

Invoice and payment writes name the patient in their audit row. Every write that
depends on an invoice's state locks the invoice row first, so two desks working on
the same invoice at once cannot both pass a check (two payments of the whole balance,
a line added while it is issued).
"""

import datetime
import zoneinfo
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.services import audit_record
from hms.billing.models import (
    ZERO,
    BillingSettings,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    Payment,
    PriceListItem,
)
from hms.billing.money import MONEY_LIMIT, money_format, money_parse, money_round, quantity_parse
from hms.care.access import patient_access
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.ids import record_id
from hms.encounters.models import Encounter
from hms.tenancy.context import current_tenant, get_hospital

INVOICE_NOT_FOUND = "No such invoice here."
ENCOUNTER_NOT_FOUND = "No such encounter here."
PRICE_ITEM_NOT_FOUND = "No such price list item here."
SEQUENCE_DIGITS = 6


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return {field: list(messages) for field, messages in exc.message_dict.items()}


def hospital_time_zone() -> zoneinfo.ZoneInfo:
    """The current hospital's time zone (from its registry row)."""
    return zoneinfo.ZoneInfo(get_hospital(current_tenant().code).time_zone)


def billing_settings_get() -> BillingSettings:
    """The current hospital's billing settings (the row the migration made; defaults if it is missing)."""
    settings_row = BillingSettings.objects.filter(pk=1).first()
    return settings_row if settings_row is not None else BillingSettings(pk=1)


# Settings and the price list (ADMIN)


def billing_settings_update(
    *,
    acting_user: User,
    currency: str,
    invoice_prefix: str,
    address: str = "",
    client_address: str | None = None,
) -> BillingSettings:
    """Set the hospital's currency, invoice number prefix and invoice address.

    Invoices keep the currency they were created in; new invoices take the new one.
    """
    permission_require(user=acting_user, resource=Resource.PRICE_LIST, action=Action.UPDATE)
    alias = current_tenant().alias
    row = BillingSettings(
        pk=1,
        currency=str(currency).strip().upper(),
        invoice_prefix=str(invoice_prefix).strip().upper(),
        address=str(address).strip(),
    )
    try:
        row.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ApplicationError("The billing settings are not valid.", details=_errors(exc)) from exc
    with transaction.atomic(using=alias):
        BillingSettings.objects.select_for_update().filter(pk=1).first()
        row.save(using=alias)
        audit_record(
            acting_user=acting_user,
            action="billing_settings.update",
            resource="BillingSettings",
            client_address=client_address,
            detail={"currency": row.currency, "invoice_prefix": row.invoice_prefix},
        )
    return row


def _price_fields(
    *, name: str, category: str, unit_price: object
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    price, problem = money_parse(unit_price, field="unit price", allow_zero=True)
    if problem:
        errors["unit_price"] = [problem]
    category = str(category).strip()
    if category not in PriceListItem.Category.values:
        labels = ", ".join(PriceListItem.Category.labels)
        errors["category"] = [f"Choose a category: {labels}."]
    return {"name": str(name).strip(), "category": category, "unit_price": price}, errors


def price_item_create(
    *,
    acting_user: User,
    code: str,
    name: str,
    category: str,
    unit_price: object,
    client_address: str | None = None,
) -> PriceListItem:
    """Add an item to the hospital's price list; its code is unique here. The price is rounded to cents."""
    permission_require(user=acting_user, resource=Resource.PRICE_LIST, action=Action.CREATE)
    alias = current_tenant().alias
    fields, errors = _price_fields(name=name, category=category, unit_price=unit_price)
    item = PriceListItem(code=str(code).strip().upper(), **fields)
    try:
        item.full_clean(exclude=list(errors), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors.update(_errors(exc))
    if errors:
        raise ApplicationError("The price list item is not valid.", details=errors)
    try:
        with transaction.atomic(using=alias):
            if PriceListItem.objects.filter(code=item.code).exists():
                raise ApplicationError(
                    f"The price list already has an item with code {item.code}.",
                    details={"code": [f"Code {item.code} is taken."]},
                )
            item.save(using=alias)
            audit_record(
                acting_user=acting_user,
                action="price_item.create",
                resource="PriceListItem",
                client_address=client_address,
                detail={"price_item_id": item.pk, "code": item.code, "unit_price": str(item.unit_price)},
            )
    except IntegrityError as exc:
        raise ApplicationError(
            f"An item with code {item.code} was added at the same moment; try again."
        ) from exc
    return item


def _price_item_locked(item_id: object) -> PriceListItem:
    pk = record_id(item_id)
    item = PriceListItem.objects.select_for_update().filter(pk=pk).first() if pk else None
    if item is None:
        raise NotFound(PRICE_ITEM_NOT_FOUND)
    return item


def price_item_update(
    *,
    acting_user: User,
    item_id: object,
    name: str,
    category: str,
    unit_price: object,
    client_address: str | None = None,
) -> PriceListItem:
    """Change an item's name, category or price. Invoice lines already made keep the old values."""
    permission_require(user=acting_user, resource=Resource.PRICE_LIST, action=Action.UPDATE)
    alias = current_tenant().alias
    fields, errors = _price_fields(name=name, category=category, unit_price=unit_price)
    with transaction.atomic(using=alias):
        item = _price_item_locked(item_id)
        before = {"name": item.name, "category": item.category, "unit_price": str(item.unit_price)}
        for field, value in fields.items():
            if field not in errors:
                setattr(item, field, value)
        try:
            item.full_clean(exclude=list(errors), validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors.update(_errors(exc))
        if errors:
            raise ApplicationError("The price list item is not valid.", details=errors)
        item.save(using=alias, update_fields=["name", "category", "unit_price", "updated_at"])
        audit_record(
            acting_user=acting_user,
            action="price_item.update",
            resource="PriceListItem",
            client_address=client_address,
            detail={
                "price_item_id": item.pk,
                "code": item.code,
                "before": before,
                "after": {"name": item.name, "category": item.category, "unit_price": str(item.unit_price)},
            },
        )
    return item


def _price_item_set_active(
    *, acting_user: User, item_id: object, active: bool, client_address: str | None
) -> PriceListItem:
    permission_require(user=acting_user, resource=Resource.PRICE_LIST, action=Action.UPDATE)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        item = _price_item_locked(item_id)
        if item.is_active == active:
            state = "active" if active else "inactive"
            raise ApplicationError(f"{item.code} is already {state}.")
        item.is_active = active
        item.save(using=alias, update_fields=["is_active", "updated_at"])
        audit_record(
            acting_user=acting_user,
            action="price_item.activate" if active else "price_item.deactivate",
            resource="PriceListItem",
            client_address=client_address,
            detail={"price_item_id": item.pk, "code": item.code},
        )
    return item


def price_item_deactivate(
    *, acting_user: User, item_id: object, client_address: str | None = None
) -> PriceListItem:
    """Take an item off the price list: it can no longer be added to invoices. Items are never deleted."""
    return _price_item_set_active(
        acting_user=acting_user, item_id=item_id, active=False, client_address=client_address
    )


def price_item_reactivate(
    *, acting_user: User, item_id: object, client_address: str | None = None
) -> PriceListItem:
    """Put a deactivated item back on the price list."""
    return _price_item_set_active(
        acting_user=acting_user, item_id=item_id, active=True, client_address=client_address
    )


# Invoices


def _invoice_locked(*, user: User, invoice_id: object, action: Action) -> Invoice:
    """The invoice, locked until the transaction ends, if `user` may do `action` to it; else NotFound."""
    permission_require(user=user, resource=Resource.INVOICE, action=action)
    pk = record_id(invoice_id)
    invoice = Invoice.objects.select_for_update().filter(pk=pk).first() if pk else None
    if invoice is None:
        raise NotFound(INVOICE_NOT_FOUND)
    try:
        patient_access(user=user, patient_id=invoice.patient_id, resource=Resource.INVOICE, action=action)
    except NotFound:
        raise NotFound(INVOICE_NOT_FOUND) from None
    return invoice


def invoice_total(invoice: Invoice) -> Decimal:
    """The sum of the invoice's line totals (each already rounded to cents)."""
    totals = InvoiceLine.objects.filter(invoice=invoice).values_list("line_total", flat=True)
    return money_round(sum(totals, ZERO))


def invoice_paid(invoice: Invoice) -> Decimal:
    """The sum of the invoice's payments that are not voided."""
    amounts = Payment.objects.filter(invoice=invoice, voided_at__isnull=True).values_list("amount", flat=True)
    return money_round(sum(amounts, ZERO))


def _draft_required(invoice: Invoice, doing: str) -> None:
    if invoice.status != Invoice.Status.DRAFT:
        raise ApplicationError(
            f"{_first_upper(invoice.label)} is {invoice.get_status_display().lower()}: "
            f"only a draft invoice can {doing}. Void it and make a new one if it is wrong.",
        )


def invoice_create_for_encounter(
    *, acting_user: User, encounter_id: object, client_address: str | None = None
) -> Invoice:
    """Open a draft invoice for an encounter, in the hospital's current currency.

    An encounter has at most one live invoice; a voided encounter cannot be invoiced.
    """
    permission_require(user=acting_user, resource=Resource.INVOICE, action=Action.CREATE)
    alias = current_tenant().alias
    pk = record_id(encounter_id)
    encounter = Encounter.objects.filter(pk=pk).first() if pk else None
    if encounter is None:
        raise NotFound(ENCOUNTER_NOT_FOUND)
    try:
        patient_access(
            user=acting_user, patient_id=encounter.patient_id, resource=Resource.INVOICE, action=Action.CREATE
        )
    except NotFound:
        raise NotFound(ENCOUNTER_NOT_FOUND) from None
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
    try:
        with transaction.atomic(using=alias):
            existing = Invoice.objects.filter(encounter=encounter, voided_at__isnull=True).first()
            if existing is not None:
                raise ApplicationError(
                    f"This encounter already has an invoice ({existing.label}); "
                    "void it first to make a new one.",
                    details={"invoice_id": existing.pk},
                )
            invoice.save(using=alias)
            audit_record(
                acting_user=acting_user,
                action="invoice.create",
                resource="Invoice",
                patient_id=invoice.patient_id,
                client_address=client_address,
                detail={"invoice_id": invoice.pk, "encounter_id": encounter.pk},
            )
    except IntegrityError as exc:
        raise ApplicationError(
            "Someone else opened an invoice for this encounter at the same moment; open that one."
        ) from exc
    return invoice


def invoice_line_add(
    *,
    acting_user: User,
    invoice_id: object,
    item_code: str,
    quantity: object = 1,
    client_address: str | None = None,
) -> InvoiceLine:
    """Add `quantity` of a price list item to a draft invoice, copying its code, name and price."""
    alias = current_tenant().alias
    errors: dict[str, list[str]] = {}
    qty, problem = quantity_parse(quantity)
    if problem:
        errors["quantity"] = [problem]
    code = str(item_code).strip().upper()
    with transaction.atomic(using=alias):
        invoice = _invoice_locked(user=acting_user, invoice_id=invoice_id, action=Action.UPDATE)
        _draft_required(invoice, "take new lines")
        item = PriceListItem.objects.filter(code=code, is_active=True).first() if code else None
        if item is None:
            errors["item_code"] = [
                f"No active price list item has code {code}."
                if code
                else "Choose an item from the price list."
            ]
        if errors:
            raise ApplicationError("The invoice line is not valid.", details=errors)
        assert item is not None and qty is not None
        line_total = money_round(qty * item.unit_price)
        if line_total >= MONEY_LIMIT:
            raise ApplicationError(
                f"This line would come to {money_format(line_total)}, more than one line can hold.",
                details={"quantity": ["Lower the quantity."]},
            )
        line = InvoiceLine(
            invoice=invoice,
            item_code=item.code,
            item_name=item.name,
            category=item.category,
            quantity=qty,
            unit_price=item.unit_price,
            line_total=line_total,
            added_by_id=acting_user.pk,
        )
        line.save(using=alias)
        audit_record(
            acting_user=acting_user,
            action="invoice.line_add",
            resource="Invoice",
            patient_id=invoice.patient_id,
            client_address=client_address,
            detail={
                "invoice_id": invoice.pk,
                "line_id": line.pk,
                "item_code": line.item_code,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "line_total": str(line.line_total),
            },
        )
    return line


def invoice_line_remove(
    *, acting_user: User, invoice_id: object, line_id: object, client_address: str | None = None
) -> None:
    """Take a line off a draft invoice.

    A draft is not yet a financial record, so the line row is deleted; the audit row keeps
    what it said. Lines of an issued invoice are never removed: void the invoice instead.
    """
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        invoice = _invoice_locked(user=acting_user, invoice_id=invoice_id, action=Action.UPDATE)
        pk = record_id(line_id)
        line = InvoiceLine.objects.filter(pk=pk, invoice=invoice).first() if pk else None
        if line is None:
            raise NotFound("No such line on this invoice.")
        _draft_required(invoice, "have lines removed")
        detail = {
            "invoice_id": invoice.pk,
            "line_id": line.pk,
            "item_code": line.item_code,
            "item_name": line.item_name,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "line_total": str(line.line_total),
        }
        line.delete()
        audit_record(
            acting_user=acting_user,
            action="invoice.line_remove",
            resource="Invoice",
            patient_id=invoice.patient_id,
            client_address=client_address,
            detail=detail,
        )


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


def invoice_issue(*, acting_user: User, invoice_id: object, client_address: str | None = None) -> Invoice:
    """Issue a draft invoice: it gets its number and its lines are fixed.

    An invoice without lines is refused. One whose total is zero is paid at once.
    """
    alias = current_tenant().alias
    try:
        with transaction.atomic(using=alias):
            invoice = _invoice_locked(user=acting_user, invoice_id=invoice_id, action=Action.UPDATE)
            _draft_required(invoice, "be issued")
            if not InvoiceLine.objects.filter(invoice=invoice).exists():
                raise ApplicationError(
                    "This invoice has no lines yet: add what the patient is charged for first."
                )
            now = timezone.now()
            total = invoice_total(invoice)
            invoice.number = invoice_number_next(at=now)
            invoice.issued_at = now
            invoice.issued_by_id = acting_user.pk
            invoice.status = Invoice.Status.ISSUED if total > 0 else Invoice.Status.PAID
            invoice.paid_at = None if total > 0 else now
            invoice.save(
                using=alias,
                update_fields=["number", "issued_at", "issued_by_id", "status", "paid_at", "updated_at"],
            )
            audit_record(
                acting_user=acting_user,
                action="invoice.issue",
                resource="Invoice",
                patient_id=invoice.patient_id,
                client_address=client_address,
                detail={"invoice_id": invoice.pk, "number": invoice.number, "total": str(total)},
            )
    except IntegrityError as exc:
        # The database refused the row (say, a number taken at the same moment): nothing was written.
        raise ApplicationError(
            "The invoice could not be numbered; try again, and tell the administrator if it recurs."
        ) from exc
    return invoice


def invoice_void(
    *, acting_user: User, invoice_id: object, reason: str, client_address: str | None = None
) -> Invoice:
    """Void an invoice (a draft or an issued one) that has no live payments; it keeps its number."""
    alias = current_tenant().alias
    reason = str(reason).strip()
    if not reason:
        raise ApplicationError("Give a reason for voiding the invoice.", details={"reason": ["Required."]})
    if len(reason) > 255:
        raise ApplicationError("Keep the reason under 255 characters.", details={"reason": ["Too long."]})
    with transaction.atomic(using=alias):
        invoice = _invoice_locked(user=acting_user, invoice_id=invoice_id, action=Action.VOID)
        if invoice.status == Invoice.Status.VOID:
            raise ApplicationError(f"{_first_upper(invoice.label)} is already void.")
        live = Payment.objects.filter(invoice=invoice, voided_at__isnull=True)
        if live.exists():
            paid = money_round(live.aggregate(paid=Sum("amount"))["paid"] or ZERO)
            raise ApplicationError(
                f"{_first_upper(invoice.label)} has payments of {money_format(paid)} {invoice.currency}: "
                "void them (or refund them) first.",
                details={"payments": list(live.values_list("pk", flat=True))},
            )
        was = invoice.status
        invoice.status = Invoice.Status.VOID
        invoice.voided_at = timezone.now()
        invoice.voided_by_id = acting_user.pk
        invoice.void_reason = reason
        invoice.save(
            using=alias, update_fields=["status", "voided_at", "voided_by_id", "void_reason", "updated_at"]
        )
        audit_record(
            acting_user=acting_user,
            action="invoice.void",
            resource="Invoice",
            patient_id=invoice.patient_id,
            client_address=client_address,
            detail={"invoice_id": invoice.pk, "number": invoice.number, "was": was, "reason": reason},
        )
    return invoice


# Payments


def payment_record(
    *,
    acting_user: User,
    invoice_id: object,
    amount: object,
    method: str,
    reference: str = "",
    client_address: str | None = None,
) -> Payment:
    """Record a payment against an issued invoice; at most its balance. Paying the balance marks it paid."""
    permission_require(user=acting_user, resource=Resource.PAYMENT, action=Action.CREATE)
    alias = current_tenant().alias
    errors: dict[str, list[str]] = {}
    value, problem = money_parse(amount, field="amount", allow_zero=False)
    if problem:
        errors["amount"] = [problem]
    method = str(method).strip()
    if method not in Payment.Method.values:
        errors["method"] = [f"Choose a payment method: {', '.join(Payment.Method.labels)}."]
    reference = str(reference).strip()
    if len(reference) > 100:
        errors["reference"] = ["Keep the reference under 100 characters."]
    with transaction.atomic(using=alias):
        invoice = _invoice_locked(user=acting_user, invoice_id=invoice_id, action=Action.VIEW)
        patient_access(
            user=acting_user, patient_id=invoice.patient_id, resource=Resource.PAYMENT, action=Action.CREATE
        )
        if invoice.status != Invoice.Status.ISSUED:
            why = {
                Invoice.Status.DRAFT: "is not issued yet: issue it first",
                Invoice.Status.PAID: "is already paid in full",
                Invoice.Status.VOID: "is void",
            }[Invoice.Status(invoice.status)]
            raise ApplicationError(
                f"{_first_upper(invoice.label)} {why}; no payment can be recorded against it."
            )
        if errors:
            raise ApplicationError("The payment is not valid.", details=errors)
        assert value is not None
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
            invoice.status = Invoice.Status.PAID
            invoice.paid_at = now
            invoice.save(using=alias, update_fields=["status", "paid_at", "updated_at"])
        audit_record(
            acting_user=acting_user,
            action="payment.record",
            resource="Payment",
            patient_id=invoice.patient_id,
            client_address=client_address,
            detail={
                "invoice_id": invoice.pk,
                "payment_id": payment.pk,
                "amount": str(value),
                "method": method,
                "balance_after": str(balance - value),
            },
        )
    return payment


def payment_void(
    *,
    acting_user: User,
    payment_id: object,
    reason: str,
    invoice_id: object = None,
    client_address: str | None = None,
) -> Payment:
    """Void a payment (entered by mistake, bounced, refunded); its amount is owed again.

    With `invoice_id`, a payment of another invoice answers NotFound.
    """
    permission_require(user=acting_user, resource=Resource.PAYMENT, action=Action.VOID)
    alias = current_tenant().alias
    reason = str(reason).strip()
    if not reason:
        raise ApplicationError("Give a reason for voiding the payment.", details={"reason": ["Required."]})
    if len(reason) > 255:
        raise ApplicationError("Keep the reason under 255 characters.", details={"reason": ["Too long."]})
    pk = record_id(payment_id)
    invoice_pk = Payment.objects.filter(pk=pk).values_list("invoice_id", flat=True).first() if pk else None
    if invoice_pk is None or (invoice_id is not None and record_id(invoice_id) != invoice_pk):
        raise NotFound("No such payment here.")
    with transaction.atomic(using=alias):
        try:
            invoice = _invoice_locked(user=acting_user, invoice_id=invoice_pk, action=Action.VIEW)
            patient_access(
                user=acting_user, patient_id=invoice.patient_id, resource=Resource.PAYMENT, action=Action.VOID
            )
        except NotFound:
            raise NotFound("No such payment here.") from None
        payment = Payment.objects.select_for_update().get(pk=pk)
        if payment.voided_at is not None:
            raise ApplicationError("This payment is already void.")
        now = timezone.now()
        payment.voided_at = now
        payment.voided_by_id = acting_user.pk
        payment.void_reason = reason
        payment.save(using=alias, update_fields=["voided_at", "voided_by_id", "void_reason", "updated_at"])
        if invoice.status == Invoice.Status.PAID:
            invoice.status = Invoice.Status.ISSUED
            invoice.paid_at = None
            invoice.save(using=alias, update_fields=["status", "paid_at", "updated_at"])
        audit_record(
            acting_user=acting_user,
            action="payment.void",
            resource="Payment",
            patient_id=invoice.patient_id,
            client_address=client_address,
            detail={
                "invoice_id": invoice.pk,
                "payment_id": payment.pk,
                "amount": str(payment.amount),
                "reason": reason,
                "balance_after": str(invoice_total(invoice) - invoice_paid(invoice)),
            },
        )
    return payment
