"""Refunds of payments: a reason each, audited, at most what was paid, voided never deleted,
the balance and the invoice's status recomputed."""

from decimal import Decimal

import pytest

from hms.audit.models import AuditEvent
from hms.billing import services
from hms.billing.models import Invoice, Refund
from hms.billing.tests.conftest import CODE
from hms.core.exceptions import ApplicationError, NotAllowed
from hms.tenancy.context import hospital_context


def _paid(receptionist, encounter):
    """An invoice of 50.00 paid in full in cash."""
    invoice = services.invoice_create_for_encounter(acting_user=receptionist, encounter_id=encounter.pk)
    services.invoice_line_add(acting_user=receptionist, invoice_id=invoice.pk, item_code="CONS")
    services.invoice_issue(acting_user=receptionist, invoice_id=invoice.pk)
    payment = services.payment_record(
        acting_user=receptionist, invoice_id=invoice.pk, amount=Decimal("50"), method="cash"
    )
    return Invoice.objects.get(pk=invoice.pk), payment


@pytest.mark.django_db
def test_a_refund_reopens_the_balance_and_is_audited(admin, receptionist, encounter, prices):
    with hospital_context(CODE):
        invoice, payment = _paid(receptionist, encounter)
        assert invoice.status == Invoice.Status.PAID
        refund = services.payment_refund(
            acting_user=admin,
            invoice_id=invoice.pk,
            payment_id=payment.pk,
            amount="20",
            method="cash",
            reason="charged twice for the consultation",
        )
        invoice.refresh_from_db()
        event = AuditEvent.objects.filter(action="payment.refund").get()
        assert services.invoice_paid(invoice) == Decimal("30.00")
    assert invoice.status == Invoice.Status.ISSUED and invoice.paid_at is None
    assert (refund.amount, refund.reason, refund.refunded_by_id) == (
        Decimal("20.00"),
        "charged twice for the consultation",
        admin.pk,
    )
    assert event.detail["balance_after"] == "20.00" and event.detail["reason"] == refund.reason


@pytest.mark.django_db
def test_a_refund_is_at_most_what_is_left_of_the_payment_and_needs_a_reason(
    admin, receptionist, encounter, prices
):
    with hospital_context(CODE):
        invoice, payment = _paid(receptionist, encounter)
        services.payment_refund(
            acting_user=admin,
            invoice_id=invoice.pk,
            payment_id=payment.pk,
            amount="40",
            method="cash",
            reason="a",
        )
        with pytest.raises(ApplicationError, match="At most 10.00"):
            services.payment_refund(
                acting_user=admin,
                invoice_id=invoice.pk,
                payment_id=payment.pk,
                amount="10.01",
                method="cash",
                reason="b",
            )
        with pytest.raises(ApplicationError, match="Give a reason for the refund"):
            services.payment_refund(
                acting_user=admin,
                invoice_id=invoice.pk,
                payment_id=payment.pk,
                amount="1",
                method="cash",
                reason=" ",
            )
        with pytest.raises(NotAllowed):
            services.payment_refund(
                acting_user=receptionist,
                invoice_id=invoice.pk,
                payment_id=payment.pk,
                amount="1",
                method="cash",
                reason="c",
            )
        assert Refund.objects.count() == 1


@pytest.mark.django_db
def test_a_refund_is_voided_not_deleted_and_the_payment_counts_again(admin, receptionist, encounter, prices):
    with hospital_context(CODE):
        invoice, payment = _paid(receptionist, encounter)
        refund = services.payment_refund(
            acting_user=admin,
            invoice_id=invoice.pk,
            payment_id=payment.pk,
            amount="50",
            method="card",
            reason="x",
        )
        # A payment with a live refund cannot be voided; the refund comes first.
        with pytest.raises(ApplicationError, match="void the refund first"):
            services.payment_void(acting_user=admin, payment_id=payment.pk, reason="mistake")
        services.refund_void(acting_user=admin, refund_id=refund.pk, reason="entered on the wrong invoice")
        invoice.refresh_from_db()
        stored = Refund.objects.get(pk=refund.pk)
        event = AuditEvent.objects.filter(action="refund.void").get()
    assert stored.voided_at is not None and stored.void_reason == "entered on the wrong invoice"
    assert invoice.status == Invoice.Status.PAID
    assert event.detail["balance_after"] == "0.00"


@pytest.mark.django_db
def test_an_invoice_refunded_in_full_can_be_voided(admin, receptionist, encounter, prices):
    with hospital_context(CODE):
        invoice, payment = _paid(receptionist, encounter)
        with pytest.raises(ApplicationError, match="has payments of 50.00"):
            services.invoice_void(acting_user=admin, invoice_id=invoice.pk, reason="wrong patient")
        services.payment_refund(
            acting_user=admin,
            invoice_id=invoice.pk,
            payment_id=payment.pk,
            amount="50",
            method="cash",
            reason="wrong patient",
        )
        voided = services.invoice_void(acting_user=admin, invoice_id=invoice.pk, reason="wrong patient")
    assert voided.status == Invoice.Status.VOID
