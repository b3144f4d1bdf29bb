"""Every billing list page runs the same queries for three times the rows (no query per row),
on the shared database and on the hospital's."""

from decimal import Decimal

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hms.billing.models import Invoice
from hms.billing.tests.conftest import CODE, url
from hms.billing.tests.factories import (
    EncounterFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    PaymentFactory,
    PriceListItemFactory,
)
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.connections import hospital_alias
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
FEW = 3


def _counts(client, address, params=None):
    """(shared, hospital) queries of one showing of the page, after a first one has warmed up."""
    assert client.get(address, params).status_code == 200
    with (
        CaptureQueriesContext(connections["default"]) as shared,
        CaptureQueriesContext(connections[hospital_alias(CODE)]) as hospital,
    ):
        response = client.get(address, params)
    assert response.status_code == 200
    return len(shared), len(hospital)


def _same_queries_for_more_rows(client, user, add, address, params=None):
    client.force_login(user)
    counts = []
    for added in (FEW, 2 * FEW):  # FEW rows, then three times as many
        with hospital_context(CODE):
            add(added)
        counts.append(_counts(client, address(), params))
    assert counts[0] == counts[1]


def _issued_invoice(patient=None, lines=1, payments=0):
    encounter = EncounterFactory(patient=patient, finished=True) if patient else EncounterFactory()
    invoice = InvoiceFactory(issued=True, encounter=encounter)
    InvoiceLineFactory.create_batch(lines, invoice=invoice, unit_price=Decimal("40.00"))
    PaymentFactory.create_batch(payments, invoice=invoice, amount=Decimal("1.00"))
    return invoice


def test_the_billing_home_lists_visits_to_invoice_in_a_fixed_number_of_queries(client, receptionist, doctor):
    def add(count):
        EncounterFactory.create_batch(count, practitioner_user_id=doctor.pk)

    _same_queries_for_more_rows(client, receptionist, add, lambda: url("home"))


def test_outstanding_invoices_in_a_fixed_number_of_queries(client, receptionist):
    def add(count):
        for _ in range(count):
            _issued_invoice(lines=2, payments=1)

    _same_queries_for_more_rows(client, receptionist, add, lambda: url("outstanding"))


def test_a_patients_invoices_and_visits_in_a_fixed_number_of_queries(client, receptionist, patient):
    def add(count):
        for _ in range(count):
            _issued_invoice(patient=patient, lines=2, payments=1)
            EncounterFactory(patient=patient, finished=True)  # a visit not yet invoiced

    _same_queries_for_more_rows(
        client, receptionist, add, lambda: url("patient-invoices", patient_id=patient.pk), {"voided": "1"}
    )


def test_an_encounters_invoices_in_a_fixed_number_of_queries(client, receptionist, encounter):
    def add(count):
        InvoiceFactory.create_batch(
            count,
            encounter=encounter,
            status=Invoice.Status.VOID,
            voided_at=timezone.now(),
            voided_by_id=receptionist.pk,
            void_reason="opened twice",
        )

    _same_queries_for_more_rows(
        client, receptionist, add, lambda: url("encounter", encounter_id=encounter.pk)
    )


def test_the_price_list_in_a_fixed_number_of_queries(client, admin):
    _same_queries_for_more_rows(client, admin, PriceListItemFactory.create_batch, lambda: url("price-list"))


def test_an_invoices_lines_and_payments_in_a_fixed_number_of_queries(client, admin, make_user, dmc):
    with hospital_context(CODE):
        invoice = _issued_invoice(patient=PatientFactory())

    def add(count):
        InvoiceLineFactory.create_batch(count, invoice=invoice, unit_price=Decimal("40.00"))
        for number in range(count):
            desk = make_user(f"desk{count}_{number}", role="RECEPTIONIST", hospital=dmc)
            PaymentFactory(invoice=invoice, amount=Decimal("1.00"), received_by_id=desk.pk)

    _same_queries_for_more_rows(client, admin, add, lambda: url("invoice", invoice_id=invoice.pk))


def test_the_days_takings_in_a_fixed_number_of_queries(client, admin):
    def add(count):
        for method in ("cash", "card", "mobile_money"):
            PaymentFactory.create_batch(count, method=method, received_at=timezone.now())

    _same_queries_for_more_rows(client, admin, add, lambda: url("takings"))
