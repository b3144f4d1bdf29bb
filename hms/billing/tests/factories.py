"""Test data for billing; use inside `hospital_context(...)`, the router picks the database.

Factories write rows directly (no audit row, no numbering rules): for setting up a test,
not for what it tests. `InvoiceFactory(issued=True)` is numbered and issued.
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from hms.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    Payment,
    PriceListItem,
    Refund,
)
from hms.billing.money import money_round
from hms.encounters.models import Encounter
from hms.patients.tests.factories import PatientFactory


class EncounterFactory(factory.django.DjangoModelFactory):
    """A visit in progress (billing's own; the encounters app has none yet). `finished=True` ends it."""

    class Meta:
        model = Encounter

    class Params:
        finished = factory.Trait(
            status="finished", ended_at=factory.LazyAttribute(lambda encounter: encounter.started_at)
        )

    patient = factory.SubFactory(PatientFactory)
    practitioner_user_id = 1
    started_at = factory.LazyFunction(timezone.now)


class BillingSettingsFactory(factory.django.DjangoModelFactory):
    """The hospital's one settings row (pk 1, made by the migration): changed in place."""

    class Meta:
        model = BillingSettings
        django_get_or_create = ("id",)

    id = 1
    currency = "USD"
    invoice_prefix = "INV"


class InvoiceCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceCounter
        django_get_or_create = ("year",)

    year = factory.LazyFunction(lambda: timezone.now().year)
    last_sequence = 0


class PriceListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceListItem

    code = factory.Sequence(lambda n: f"ITEM-{n:04d}")
    name = factory.Sequence(lambda n: f"Item {n}")
    category = PriceListItem.Category.OTHER
    unit_price = Decimal("10.00")


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    class Params:
        issued = factory.Trait(
            status=Invoice.Status.ISSUED,
            number=factory.Sequence(lambda n: f"TEST-{n:06d}"),
            issued_at=factory.LazyFunction(timezone.now),
            issued_by_id=1,
        )

    encounter = factory.SubFactory(EncounterFactory)
    patient = factory.SelfAttribute("encounter.patient")
    currency = "USD"
    created_by_id = 1


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    item_code = factory.Sequence(lambda n: f"ITEM-{n:04d}")
    item_name = factory.Sequence(lambda n: f"Item {n}")
    category = PriceListItem.Category.OTHER
    quantity = Decimal("1.00")
    unit_price = Decimal("10.00")
    line_total = factory.LazyAttribute(lambda line: money_round(line.quantity * line.unit_price))
    added_by_id = 1


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    invoice = factory.SubFactory(InvoiceFactory, issued=True)
    amount = Decimal("5.00")
    method = Payment.Method.CASH
    received_by_id = 1
    received_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=1))


class RefundFactory(factory.django.DjangoModelFactory):
    """1.00 given back in cash from a payment, with a reason."""

    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory)
    invoice = factory.SelfAttribute("payment.invoice")
    amount = Decimal("1.00")
    method = Payment.Method.CASH
    reason = "Paid twice"
    refunded_by_id = 1
    refunded_at = factory.LazyFunction(timezone.now)
