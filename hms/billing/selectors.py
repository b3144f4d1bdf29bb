"""Reads of billing data, scoped to the current hospital and the user's rights, and audited.

A patient sees their own invoices once issued (drafts are still being put together);
staff with invoice rights see every patient's.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page
from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from hms.accounts.display import display_names
from hms.accounts.models import Role, User
from hms.accounts.permissions import Action, Resource, Scope, permission_require, permission_scope
from hms.audit.records import AuditedList, audit_row
from hms.audit.services import audit_record
from hms.billing.common import (
    ENCOUNTER_NOT_FOUND,
    INVOICE_NOT_FOUND,
    PRICE_ITEM_NOT_FOUND,
    hospital_time_zone,
)
from hms.billing.models import (
    MONEY_DIGITS,
    ZERO,
    BillingSettings,
    Invoice,
    InvoiceLine,
    Payment,
    PriceListItem,
    Refund,
)
from hms.billing.money import money_round
from hms.care.access import patient_access, patient_scope_filter, record_access
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.core.ids import record_id
from hms.core.pages import page_of
from hms.encounters.models import Encounter
from hms.orders.models import LabOrder, Prescription
from hms.patients.models import Patient
from hms.scheduling.models import WorkingHours
from hms.tenancy.context import current_tenant

OUTSTANDING_LIST = AuditedList("invoice.list_outstanding", Invoice)
PATIENT_INVOICES = AuditedList("invoice.list_for_patient", Invoice)
ENCOUNTER_INVOICES = AuditedList("invoice.encounter_view", Invoice)

MIN_YEAR, MAX_YEAR = 1900, 9998


@dataclass
class InvoiceDetail:
    invoice: Invoice
    patient: Patient
    lines: list[InvoiceLine]
    payments: list[Payment]  # live ones, and voided ones too when asked for
    total: Decimal  # the lines less the invoice's discount
    paid: Decimal  # live payments less live refunds
    balance: Decimal
    people: dict[int, str] = field(default_factory=dict)  # user id -> display name, for who did what
    refunds: list[Refund] = field(default_factory=list)  # live ones, and voided ones too when asked for
    lines_total: Decimal = ZERO

    @property
    def live_refunds(self) -> list[Refund]:
        return [refund for refund in self.refunds if refund.voided_at is None]

    def refunded(self, payment: Payment) -> Decimal:
        """What has been given back of `payment` (live refunds)."""
        return sum((r.amount for r in self.live_refunds if r.payment_id == payment.pk), ZERO)

    @property
    def live_payments(self) -> list[Payment]:
        return [payment for payment in self.payments if payment.voided_at is None]


@dataclass
class TakingsRow:
    method: str
    label: str
    currency: str
    count: int = 0
    amount: Decimal = ZERO


@dataclass
class Takings:
    day: datetime.date
    by_method: list[TakingsRow]
    totals: dict[str, Decimal]  # currency -> amount
    voided_count: int = 0
    voided_amount: dict[str, Decimal] = field(default_factory=dict)


def _money_sum(queryset: QuerySet[Any], column: str) -> Coalesce:
    money = DecimalField(max_digits=MONEY_DIGITS + 6, decimal_places=2)
    summed = queryset.order_by().values("invoice_id").annotate(s=Sum(column)).values("s")
    return Coalesce(Subquery(summed, output_field=money), Value(ZERO), output_field=money)


def _with_figures(queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Invoices annotated with `total_amount`, `paid_amount` (live payments) and `balance_amount`."""
    money = DecimalField(max_digits=MONEY_DIGITS + 6, decimal_places=2)
    refunds = Refund.objects.live().filter(invoice=OuterRef("pk"), payment__voided_at__isnull=True)
    return (
        queryset.annotate(
            lines_amount=_money_sum(InvoiceLine.objects.filter(invoice=OuterRef("pk")), "line_total"),
            payments_amount=_money_sum(Payment.objects.live().filter(invoice=OuterRef("pk")), "amount"),
            refunds_amount=_money_sum(refunds, "amount"),
        )
        .annotate(
            total_amount=ExpressionWrapper(F("lines_amount") - F("discount_amount"), output_field=money),
            paid_amount=ExpressionWrapper(F("payments_amount") - F("refunds_amount"), output_field=money),
        )
        .annotate(balance_amount=ExpressionWrapper(F("total_amount") - F("paid_amount"), output_field=money))
    )


def _visible_to(user: User, invoice: Invoice) -> bool:
    """Patients see invoices once issued: drafts may still change, and a draft voided never counted."""
    return user.role != Role.PATIENT or invoice.number is not None


def invoice_figures(invoice: Invoice, *, include_voided: bool = False) -> InvoiceDetail:
    """The invoice's lines, payments and money, read with no permission check or audit.

    For code that has already been through a selector (the PDF of an invoice just read).
    """
    lines = list(InvoiceLine.objects.filter(invoice=invoice).order_by("id"))
    payments_qs = Payment.objects.filter(invoice=invoice).order_by("received_at", "id")
    if not include_voided:
        payments_qs = payments_qs.live()
    payments = list(payments_qs)
    refunds_qs = Refund.objects.filter(invoice=invoice).order_by("refunded_at", "id")
    if not include_voided:
        refunds_qs = refunds_qs.live()
    refunds = list(refunds_qs)
    live_payment_ids = {p.pk for p in payments if p.voided_at is None}
    lines_total = money_round(sum((line.line_total for line in lines), ZERO))
    total = lines_total - invoice.discount_amount
    refunded = sum(
        (r.amount for r in refunds if r.voided_at is None and r.payment_id in live_payment_ids), ZERO
    )
    paid = money_round(sum((p.amount for p in payments if p.voided_at is None), ZERO) - refunded)
    patient = Patient.objects.get(pk=invoice.patient_id)
    user_ids = {invoice.created_by_id, invoice.issued_by_id, invoice.voided_by_id}
    user_ids.update(p.received_by_id for p in payments)
    user_ids.update(p.voided_by_id for p in payments)
    user_ids.update(r.refunded_by_id for r in refunds)
    people = display_names(user_ids)
    return InvoiceDetail(
        invoice=invoice,
        patient=patient,
        lines=lines,
        payments=payments,
        total=total,
        paid=paid,
        balance=total - paid,
        people=people,
        refunds=refunds,
        lines_total=lines_total,
    )


def invoice_detail(
    *,
    user: User,
    invoice_id: int,
    include_voided: bool = False,
    client_address: str | None = None,
    purpose: str = "view",
) -> InvoiceDetail:
    """One invoice with its lines, payments, total, paid and balance; NotFound if missing or out of reach.

    A voided invoice is shown (it is still a numbered record); `include_voided` adds
    voided payments. `purpose` ("view", "pdf", "print") is written to the audit row.
    """
    permission_require(user=user, resource=Resource.INVOICE, action=Action.VIEW)
    pk = record_id(invoice_id)
    invoice = Invoice.objects.filter(pk=pk).first() if pk else None
    if invoice is None or not _visible_to(user, invoice):
        raise NotFound(INVOICE_NOT_FOUND)
    try:
        patient_access(
            user=user, patient_id=invoice.patient_id, resource=Resource.INVOICE, action=Action.VIEW
        )
    except NotFound:
        raise NotFound(INVOICE_NOT_FOUND) from None
    with transaction.atomic(using=current_tenant().alias):
        detail = invoice_figures(invoice, include_voided=include_voided)
        audit_row(
            user,
            f"invoice.{purpose}",
            invoice,
            client_address,
            invoice_id=invoice.pk,
            number=invoice.number,
        )
    return detail


def invoice_encounter(encounter_id: object, *, user: User, action: Action) -> Encounter:
    """The encounter (its `patient` filled in), if `user` may do `action` to its patient's
    invoices; NotFound, in billing's words, if it is missing or out of the user's reach."""
    return record_access(
        Encounter,
        encounter_id,
        user=user,
        resource=Resource.INVOICE,
        action=action,
        missing=ENCOUNTER_NOT_FOUND,
    )


def invoice_for_encounter(
    *, user: User, encounter_id: int, client_address: str | None = None
) -> tuple[Encounter, Patient, list[Invoice]]:
    """An encounter, its patient and its invoices (the live one first, then voided ones); audited.

    NotFound if the encounter is missing or its patient's invoices are out of the user's reach.
    """
    encounter = invoice_encounter(encounter_id, user=user, action=Action.VIEW)
    patient = encounter.patient
    invoices = [
        invoice
        for invoice in _with_figures(Invoice.objects.filter(encounter=encounter)).order_by("voided_at", "-id")
        if _visible_to(user, invoice)
    ]
    with transaction.atomic(using=current_tenant().alias):
        ENCOUNTER_INVOICES.record(invoices, user, client_address, about=encounter, encounter_id=encounter.pk)
    return encounter, patient, invoices


def invoices_for_patient(
    *, user: User, patient_id: int, include_voided: bool = False, client_address: str | None = None
) -> tuple[Patient, list[Invoice]]:
    """A patient's invoices, newest first, each annotated with `total_amount` and `paid_amount`; audited.

    A patient reaches only their own (and only issued ones); anyone else's answers NotFound.
    """
    patient = patient_access(user=user, patient_id=patient_id, resource=Resource.INVOICE, action=Action.VIEW)
    queryset = Invoice.objects.filter(patient=patient)
    if not include_voided:
        queryset = queryset.live()
    if user.role == Role.PATIENT:
        queryset = queryset.filter(number__isnull=False)
    invoices = PATIENT_INVOICES.rows(
        _with_figures(queryset).order_by("-created_at", "-id"), user, client_address, about=patient
    )
    return patient, invoices


@dataclass(frozen=True)
class VisitToInvoice:
    """A visit (encounter) with no live invoice, as the desk sees it: when, whom, with whom."""

    encounter_id: int
    started_at: datetime.datetime
    status: str  # as shown ("Finished")
    patient: Patient
    doctor_name: str  # "Dr Karim Ahmed"
    status_value: str = ""  # as stored ("finished"), for its colour


def visits_to_invoice(
    *,
    user: User,
    patient_id: int | None = None,
    page_number: int | str | None = 1,
    client_address: str | None = None,
) -> Page:
    """Encounters not voided and without a live invoice, newest first, 25 a page; audited.

    For the desk (whoever may create invoices): the whole hospital, or one patient's.
    Shows when and with whom, nothing clinical.
    """
    permission_require(user=user, resource=Resource.INVOICE, action=Action.CREATE)
    queryset = Encounter.objects.live().exclude(pk__in=Invoice.objects.live().values("encounter_id"))
    if patient_id is not None:
        patient = patient_access(
            user=user, patient_id=patient_id, resource=Resource.INVOICE, action=Action.CREATE
        )
        queryset = queryset.filter(patient=patient)
    queryset = queryset.select_related("patient").order_by("-started_at", "-id")
    with transaction.atomic(using=current_tenant().alias):
        page = page_of(queryset, page_number)
        encounters = list(page.object_list)
        audit_record(
            acting_user=user,
            action="invoice.visits_to_invoice",
            resource="Encounter",
            patient_id=encounters[0].patient_id if patient_id is not None and encounters else None,
            client_address=client_address,
            detail={
                "encounter_ids": [e.pk for e in encounters],
                "patient_ids": [e.patient_id for e in encounters],
            },
        )
    names = display_names(e.practitioner_user_id for e in encounters)
    page.object_list = [
        VisitToInvoice(
            e.pk,
            e.started_at,
            e.get_status_display(),
            e.patient,
            names.get(e.practitioner_user_id, ""),
            e.status,
        )
        for e in encounters
    ]
    return page


def outstanding_invoices(
    *, user: User, page_number: int | str | None = 1, client_address: str | None = None
) -> Page:
    """Issued invoices not yet paid in full, oldest issued first, 25 a page; the read is audited.

    Each invoice carries `total_amount`, `paid_amount` and its patient (one query for the page).
    """
    scope_filter = patient_scope_filter(user=user, resource=Resource.INVOICE, action=Action.VIEW)
    queryset = _with_figures(
        Invoice.objects.filter(scope_filter, status=Invoice.Status.ISSUED).select_related("patient")
    ).order_by("issued_at", "id")
    return OUTSTANDING_LIST.page(queryset, page_number, user, client_address)


def takings_for_day(*, user: User, day: datetime.date, client_address: str | None = None) -> Takings:
    """Payments received on `day` (the hospital's local day), by method and currency; ADMIN only.

    Voided payments are left out of the takings and counted apart.
    """
    scope = permission_require(user=user, resource=Resource.PAYMENT, action=Action.VIEW)
    if scope != Scope.ALL or user.role != Role.ADMIN:
        raise NotAllowed("Only a hospital administrator may see the day's takings.")
    if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        raise ApplicationError("Choose a day, like 2025-01-31.")
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ApplicationError(f"Choose a day between the years {MIN_YEAR} and {MAX_YEAR}.")
    zone = hospital_time_zone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone).astimezone(datetime.UTC)
    end = datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    ).astimezone(datetime.UTC)
    received = Payment.objects.filter(received_at__gte=start, received_at__lt=end)
    labels = dict(Payment.Method.choices)
    with transaction.atomic(using=current_tenant().alias):
        rows = list(received.values_list("method", "invoice__currency", "amount", "voided_at"))
        audit_row(user, "payment.takings", Payment, client_address, day=day.isoformat(), payments=len(rows))
    takings = Takings(day=day, by_method=[], totals={})
    groups: dict[tuple[str, str], TakingsRow] = {}
    for method, currency, amount, voided_at in rows:
        if voided_at is not None:
            takings.voided_count += 1
            takings.voided_amount[currency] = takings.voided_amount.get(currency, ZERO) + amount
            continue
        row = groups.setdefault(
            (method, currency), TakingsRow(method=method, label=labels.get(method, method), currency=currency)
        )
        row.count += 1
        row.amount += amount
        takings.totals[currency] = takings.totals.get(currency, ZERO) + amount
    order = list(labels)
    takings.by_method = sorted(
        groups.values(),
        key=lambda r: (r.currency, order.index(r.method) if r.method in order else len(order)),
    )
    return takings


@dataclass(frozen=True)
class BillingAbilities:
    """What the user's role may do here, for pages to offer only the actions that will work."""

    view_invoices: bool
    create_invoice: bool
    update_invoice: bool
    void_invoice: bool
    record_payment: bool
    void_payment: bool
    view_prices: bool
    edit_prices: bool
    see_outstanding: bool
    see_takings: bool


def billing_abilities(*, user: User) -> BillingAbilities:
    def may(resource: Resource, action: Action) -> bool:
        return permission_scope(user=user, resource=resource, action=action) is not None

    def may_all(resource: Resource, action: Action) -> bool:
        return permission_scope(user=user, resource=resource, action=action) == Scope.ALL

    return BillingAbilities(
        view_invoices=may(Resource.INVOICE, Action.VIEW),
        create_invoice=may(Resource.INVOICE, Action.CREATE),
        update_invoice=may(Resource.INVOICE, Action.UPDATE),
        void_invoice=may(Resource.INVOICE, Action.VOID),
        record_payment=may(Resource.PAYMENT, Action.CREATE),
        void_payment=may(Resource.PAYMENT, Action.VOID),
        view_prices=may(Resource.PRICE_LIST, Action.VIEW),
        edit_prices=may(Resource.PRICE_LIST, Action.UPDATE),
        see_outstanding=may_all(Resource.INVOICE, Action.VIEW),
        see_takings=may_all(Resource.PAYMENT, Action.VIEW) and user.role == Role.ADMIN,
    )


def own_patient_id(*, user: User) -> int | None:
    """The patient record linked to a PATIENT user's account, if any."""
    if user.role != Role.PATIENT:
        return None
    return Patient.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()


def price_list(*, user: User, include_inactive: bool = False) -> list[PriceListItem]:
    """The hospital's price list, by category and name (not patient data: not audited)."""
    permission_require(user=user, resource=Resource.PRICE_LIST, action=Action.VIEW)
    queryset = PriceListItem.objects.all()
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return list(queryset.order_by("category", "name", "id"))


PRICE_PAGE_SIZE = 50


def price_list_page(
    *, user: User, query: str = "", include_inactive: bool = False, page_number: int | str | None = 1
) -> Page:
    """One page (50) of the price list, by category and name; `query` keeps items whose code
    or name contains it (case ignored)."""
    permission_require(user=user, resource=Resource.PRICE_LIST, action=Action.VIEW)
    queryset = PriceListItem.objects.all()
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    query = query.strip()[:100]
    if query:
        queryset = queryset.filter(Q(code__icontains=query) | Q(name__icontains=query))
    return page_of(queryset.order_by("category", "name", "id"), page_number, per_page=PRICE_PAGE_SIZE)


def price_item_get(*, user: User, item_id: int) -> PriceListItem:
    permission_require(user=user, resource=Resource.PRICE_LIST, action=Action.VIEW)
    pk = record_id(item_id)
    item = PriceListItem.objects.filter(pk=pk).first() if pk else None
    if item is None:
        raise NotFound(PRICE_ITEM_NOT_FOUND)
    return item


@dataclass(frozen=True)
class ProposedLine:
    """A line the visit suggests: what was ordered or prescribed, and the price list item whose code
    matches it (None: no price; the cashier picks one). `key` names it in forms."""

    source_kind: str
    source_id: int
    description: str
    code: str
    quantity: Decimal
    item: PriceListItem | None

    @property
    def key(self) -> str:
        return f"{self.source_kind}-{self.source_id}"


def visit_charges(encounter_id: int) -> list[tuple[str, int, str, str, Decimal]]:
    """What an encounter's orders and prescriptions would bill: (kind, id, description, code, quantity).

    Read from the orders app's models directly: the desk has no right to the clinical record,
    and sees only the names and codes a bill prints. A panel (a CBC) is one charge, under the
    panel's code, named for its first test's order; cancelled and voided orders are left out.
    """
    charges: list[tuple[str, int, str, str, Decimal]] = []
    panels: set[tuple[str, datetime.datetime]] = set()
    orders = (
        LabOrder.objects.live().filter(encounter_id=encounter_id).exclude(status=LabOrder.Status.CANCELLED)
    )
    for order in orders.order_by("ordered_at", "id"):
        if order.panel_code:
            if (order.panel_code, order.ordered_at) in panels:
                continue
            panels.add((order.panel_code, order.ordered_at))
            charges.append(
                (
                    InvoiceLine.Source.LAB_ORDER,
                    order.pk,
                    f"Lab panel {order.panel_code}",
                    order.panel_code,
                    Decimal(1),
                )
            )
        else:
            charges.append(
                (InvoiceLine.Source.LAB_ORDER, order.pk, order.test_name, order.test_code, Decimal(1))
            )
    for prescription in (
        Prescription.objects.live().filter(encounter_id=encounter_id).order_by("starts_at", "id")
    ):
        charges.append(
            (
                InvoiceLine.Source.PRESCRIPTION,
                prescription.pk,
                prescription.drug_name,
                prescription.drug_code,
                prescription.quantity or Decimal(1),
            )
        )
    return charges


def invoice_proposed_lines(*, user: User, invoice: Invoice) -> list[ProposedLine]:
    """The lines a draft invoice's visit suggests that are not on it yet, each with its price list item
    (matched by code, case ignored) or none. The invoice was read through `invoice_detail`."""
    permission_require(user=user, resource=Resource.INVOICE, action=Action.UPDATE)
    if invoice.status != Invoice.Status.DRAFT:
        return []
    billed = set(
        InvoiceLine.objects.filter(invoice=invoice, source_id__isnull=False).values_list(
            "source_kind", "source_id"
        )
    )
    charges = [c for c in visit_charges(invoice.encounter_id) if (c[0], c[1]) not in billed]
    codes = {code.strip().upper() for *_, code, _ in charges if code.strip()}
    items = {item.code: item for item in PriceListItem.objects.filter(code__in=codes, is_active=True)}
    return [
        ProposedLine(kind, pk, description, code, quantity, items.get(code.strip().upper()))
        for kind, pk, description, code, quantity in charges
    ]


@dataclass(frozen=True)
class SetupStep:
    label: str
    done: bool
    hint: str  # what to do, while not done
    url_name: str  # where to do it ("billing:settings"), reversed by the page


def hospital_setup_checklist(*, user: User) -> list[SetupStep]:
    """A new hospital's first steps, for its administrator, each ticked once its data exists:
    the currency confirmed, a price list, doctors' working hours, staff accounts."""
    if user.role != Role.ADMIN:
        raise NotAllowed("Only a hospital administrator sets the hospital up.")
    settings_row = BillingSettings.objects.filter(pk=1).first()
    staff_roles = [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST]
    return [
        SetupStep(
            "Currency and invoice numbers",
            settings_row is not None and settings_row.currency_chosen,
            "Check the currency (it follows the hospital's time zone until saved) and the invoice prefix.",
            "billing:settings",
        ),
        SetupStep(
            "Price list",
            PriceListItem.objects.filter(is_active=True).exists(),
            "Add what the hospital charges for: consultations, tests, drugs, beds.",
            "billing:price-list",
        ),
        SetupStep(
            "Working hours",
            WorkingHours.objects.filter(is_active=True).exists(),
            "Set the doctors' working hours, so appointments can be booked.",
            "scheduling:hours",
        ),
        SetupStep(
            "Staff accounts",
            User.objects.filter(hospital=user.hospital, role__in=staff_roles, is_active=True).exists(),
            "Create accounts for the doctors, nurses and receptionists.",
            "staff:index",
        ),
    ]
