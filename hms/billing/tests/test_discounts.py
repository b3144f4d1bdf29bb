"""Discounts: a reason each, audited, never below zero, drafts only."""

from decimal import Decimal

import pytest

from hms.audit.models import AuditEvent
from hms.billing import services
from hms.billing.models import Invoice, InvoiceLine
from hms.billing.tests.conftest import CODE
from hms.core.exceptions import ApplicationError
from hms.tenancy.context import hospital_context


def _draft_with_consultation(user, encounter):
    invoice = services.invoice_create_for_encounter(acting_user=user, encounter_id=encounter.pk)
    line = services.invoice_line_add(acting_user=user, invoice_id=invoice.pk, item_code="CONS")  # 50.00
    return invoice, line


@pytest.mark.django_db
def test_a_line_discount_lowers_the_line_and_is_audited_with_its_reason(receptionist, encounter, prices):
    with hospital_context(CODE):
        invoice, line = _draft_with_consultation(receptionist, encounter)
        services.invoice_line_discount(
            acting_user=receptionist,
            invoice_id=invoice.pk,
            line_id=line.pk,
            amount="12.5",
            reason="  staff  family ",
        )
        stored = InvoiceLine.objects.get(pk=line.pk)
        event = AuditEvent.objects.filter(action="invoice.line_discount").get()
        assert services.invoice_total(Invoice.objects.get(pk=invoice.pk)) == Decimal("37.50")
    assert (stored.line_total, stored.discount_amount, stored.discount_reason) == (
        Decimal("37.50"),
        Decimal("12.50"),
        "staff family",
    )
    assert stored.gross_total == Decimal("50.00")
    assert event.detail["reason"] == "staff family" and event.detail["discount"] == "12.50"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "reason", "field"),
    [
        ("50.01", "too much", "amount"),
        ("-1", "negative", "amount"),
        ("5", "", "reason"),
        ("abc", "x", "amount"),
    ],
)
def test_a_line_discount_past_the_line_or_without_a_reason_is_refused(
    receptionist, encounter, prices, amount, reason, field
):
    with hospital_context(CODE):
        invoice, line = _draft_with_consultation(receptionist, encounter)
        before = AuditEvent.objects.count()
        with pytest.raises(ApplicationError) as raised:
            services.invoice_line_discount(
                acting_user=receptionist, invoice_id=invoice.pk, line_id=line.pk, amount=amount, reason=reason
            )
        assert field in raised.value.details
        assert InvoiceLine.objects.get(pk=line.pk).line_total == Decimal("50.00")
        assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_an_invoice_discount_never_takes_the_total_below_zero(receptionist, encounter, prices):
    with hospital_context(CODE):
        invoice, line = _draft_with_consultation(receptionist, encounter)
        services.invoice_line_add(
            acting_user=receptionist, invoice_id=invoice.pk, item_code="PARA", quantity=2
        )
        with pytest.raises(ApplicationError, match="cannot be more than that"):
            services.invoice_discount(
                acting_user=receptionist, invoice_id=invoice.pk, amount="50.31", reason="x"
            )
        services.invoice_discount(
            acting_user=receptionist, invoice_id=invoice.pk, amount="50.30", reason="charity"
        )
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert services.invoice_total(invoice) == Decimal("0.00")
        # Neither a line discount nor taking a line off may now push it below zero.
        with pytest.raises(ApplicationError, match="lower it first"):
            services.invoice_line_discount(
                acting_user=receptionist, invoice_id=invoice.pk, line_id=line.pk, amount="1", reason="x"
            )
        with pytest.raises(ApplicationError, match="lower the discount first"):
            services.invoice_line_remove(acting_user=receptionist, invoice_id=invoice.pk, line_id=line.pk)
        # Issued at zero: paid at once.
        issued = services.invoice_issue(acting_user=receptionist, invoice_id=invoice.pk)
        event = AuditEvent.objects.filter(action="invoice.discount").get()
    assert issued.status == Invoice.Status.PAID
    assert event.detail == {
        "invoice_id": invoice.pk,
        "before": "0.00",
        "discount": "50.30",
        "reason": "charity",
        "total": "0.00",
    }


@pytest.mark.django_db
def test_discounts_are_for_drafts_and_for_those_who_may_change_invoices(
    receptionist, nurse, encounter, prices
):
    with hospital_context(CODE):
        invoice, line = _draft_with_consultation(receptionist, encounter)
        with pytest.raises(Exception) as refused:
            services.invoice_discount(acting_user=nurse, invoice_id=invoice.pk, amount="1", reason="x")
        assert type(refused.value).__name__ in {"NotAllowed", "NotFound"}
        services.invoice_issue(acting_user=receptionist, invoice_id=invoice.pk)
        with pytest.raises(ApplicationError, match="only a draft invoice can take discounts"):
            services.invoice_discount(acting_user=receptionist, invoice_id=invoice.pk, amount="1", reason="x")
        with pytest.raises(ApplicationError, match="only a draft invoice can take discounts"):
            services.invoice_line_discount(
                acting_user=receptionist, invoice_id=invoice.pk, line_id=line.pk, amount="1", reason="x"
            )
