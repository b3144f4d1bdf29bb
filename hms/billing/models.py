"""Billing (tenant database): the price list, invoices per encounter, payments.

Money is Decimal with 2 places everywhere; invoice lines copy the price item's code,
name and price, so later price changes never alter an invoice.
"""

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from hms.core.models import TimeStampedModel, VoidableModel
from hms.encounters.models import Encounter
from hms.patients.models import Patient

MONEY_DIGITS = 12  # up to 9,999,999,999.99
MONEY_PLACES = 2
QUANTITY_DIGITS = 8  # up to 999,999.99
ZERO = Decimal("0.00")

currency_validator = RegexValidator(
    r"^[A-Z]{3}\Z", "Enter a three-letter ISO 4217 currency code in capitals, like USD or BDT."
)
prefix_validator = RegexValidator(
    r"^[A-Z0-9]{0,10}\Z", "Use up to 10 capital letters or digits for the invoice number prefix."
)
price_code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9._-]{0,31}\Z",
    "Use up to 32 capital letters, digits, dots, dashes or underscores, starting with a letter or digit.",
)


class BillingSettings(models.Model):
    """One row per hospital (pk=1, made by the migration): its currency and invoice numbering.

    Until the hospital's administrator saves the settings (`currency_chosen`), the currency
    read is the one of the hospital's time zone (hms.billing.currencies), not the column's.
    """

    currency = models.CharField(max_length=3, default="USD", validators=[currency_validator])
    currency_chosen = models.BooleanField(
        default=False, help_text="Saved by the administrator (else it follows the time zone)."
    )
    invoice_prefix = models.CharField(max_length=10, default="INV", blank=True, validators=[prefix_validator])
    address = models.TextField(blank=True, help_text="Printed under the hospital's name on invoices.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "billing settings"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="billing_settings_single_row")]

    def __str__(self) -> str:
        return f"{self.currency}, prefix {self.invoice_prefix or '(none)'}"


class InvoiceCounter(models.Model):
    """The last invoice sequence number issued in a year (the hospital's local year)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_sequence = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_sequence}"


class PriceListItem(TimeStampedModel):
    class Category(models.TextChoices):
        CONSULTATION = "consultation", "Consultation"
        PROCEDURE = "procedure", "Procedure"
        LAB = "lab", "Laboratory"
        DRUG = "drug", "Drug"
        BED = "bed", "Bed"
        OTHER = "other", "Other"

    code = models.CharField(max_length=32, unique=True, validators=[price_code_validator])
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=16, choices=Category.choices)
    unit_price = models.DecimalField(
        max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, validators=[MinValueValidator(ZERO)]
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="billing_price_item_price_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Invoice(TimeStampedModel, VoidableModel):
    """What a patient owes for one encounter; numbered when issued, so issued numbers have no gaps."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    # One live invoice per encounter (constraint below); a voided one may be replaced.
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="invoices")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=32, null=True, blank=True, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    created_by_id = models.BigIntegerField()
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by_id = models.BigIntegerField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # A discount on the whole invoice (after the lines' own), with why; never more than the lines.
    discount_amount = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, default=ZERO)
    discount_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "created_at"]),
            models.Index(fields=["status", "issued_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["encounter"],
                condition=Q(voided_at__isnull=True),
                name="billing_invoice_one_live_per_encounter",
            ),
            # Never issued (a draft, or a draft voided): no number. Issued: a number and a date.
            models.CheckConstraint(
                condition=Q(status__in=["draft", "void"], number__isnull=True, issued_at__isnull=True)
                | Q(status__in=["issued", "paid", "void"], number__isnull=False, issued_at__isnull=False),
                name="billing_invoice_numbered_once_issued",
            ),
            models.CheckConstraint(
                condition=Q(status="void", voided_at__isnull=False)
                | (~Q(status="void") & Q(voided_at__isnull=True)),
                name="billing_invoice_void_status_matches_voided_at",
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__gte=0), name="billing_invoice_discount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount_amount=0) | ~Q(discount_reason=""),
                name="billing_invoice_discount_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft invoice {self.pk}"

    @property
    def label(self) -> str:
        """How messages name it, mid-sentence: "invoice INV-2025-000042" or "draft invoice 7"."""
        return f"invoice {self.number}" if self.number else f"draft invoice {self.pk}"


class InvoiceLine(TimeStampedModel):
    """A charge on an invoice: the price item's code, name and unit price as they were when added.

    `line_total` is what is charged: quantity times unit price, less the line's discount.
    A line accepted from the visit names the order or prescription it bills (`source_*`),
    so the same one is not proposed twice.
    """

    class Source(models.TextChoices):
        LAB_ORDER = "lab_order", "Lab order"
        PRESCRIPTION = "prescription", "Prescription"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    item_code = models.CharField(max_length=32)
    item_name = models.CharField(max_length=200)
    category = models.CharField(max_length=16, choices=PriceListItem.Category.choices)
    quantity = models.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=2)
    unit_price = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    line_total = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    discount_amount = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, default=ZERO)
    discount_reason = models.CharField(max_length=255, blank=True)
    source_kind = models.CharField(max_length=16, choices=Source.choices, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    added_by_id = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="billing_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="billing_line_price_not_negative"),
            models.CheckConstraint(condition=Q(line_total__gte=0), name="billing_line_total_not_negative"),
            models.CheckConstraint(
                condition=Q(discount_amount__gte=0), name="billing_line_discount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount_amount=0) | ~Q(discount_reason=""),
                name="billing_line_discount_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(source_kind="", source_id__isnull=True)
                | (~Q(source_kind="") & Q(source_id__isnull=False)),
                name="billing_line_source_named_whole",
            ),
            models.UniqueConstraint(
                fields=["invoice", "source_kind", "source_id"],
                condition=Q(source_id__isnull=False),
                name="billing_line_source_once_per_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.item_code} = {self.line_total}"

    @property
    def gross_total(self) -> Decimal:
        """Quantity times unit price, before the line's discount."""
        return self.line_total + self.discount_amount


class InvoiceMoney(TimeStampedModel, VoidableModel):
    """Money that moved on an invoice: a payment taken, or a refund given back from one.

    Never deleted: one entered by mistake is voided. The invoice's paid amount is its live
    payments less its live refunds.
    """

    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        CARD = "card", "Card"
        INSURANCE = "insurance", "Insurance"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        MOBILE_MONEY = "mobile_money", "Mobile money"

    # Each declares its own `invoice`, for the name the invoice reaches it by (payments, refunds).
    invoice: models.ForeignKey[Invoice, Invoice]
    amount = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    method = models.CharField(max_length=16, choices=Method.choices)

    class Meta:
        abstract = True

    @property
    def patient_id(self) -> int:
        """The invoice's patient: whose record it is, for record access and the audit row."""
        return self.invoice.patient_id


class Payment(InvoiceMoney):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(max_length=100, blank=True, help_text="Card slip, transfer or claim number.")
    received_by_id = models.BigIntegerField()
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [models.Index(fields=["received_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.get_method_display()} on {self.received_at:%Y-%m-%d}"


class Refund(InvoiceMoney):
    """Money given back from a payment, with why."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="refunds")
    reason = models.CharField(max_length=255)
    refunded_by_id = models.BigIntegerField()
    refunded_at = models.DateTimeField()

    class Meta:
        ordering = ["refunded_at", "id"]
        indexes = [models.Index(fields=["refunded_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_refund_amount_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="billing_refund_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Refund of {self.amount} on {self.refunded_at:%Y-%m-%d}"
