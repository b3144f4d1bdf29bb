"""The invoice page's new parts through the test client: lines proposed from the visit and
accepted, discounts, refunds, issuing behind a confirmation, and the setup checklist."""

import re
from decimal import Decimal

import pytest

from hms.billing import services
from hms.billing.models import Invoice, InvoiceLine, Refund
from hms.billing.tests.conftest import CODE, url
from hms.billing.tests.factories import PriceListItemFactory
from hms.orders.tests.factories import LabOrderFactory
from hms.tenancy.context import hospital_context

FIELD = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.I)


def _unlabelled(body: str) -> list[str]:
    """Fields of the page with neither a <label for> of their id nor an aria-label."""
    labels = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', body))
    missing = []
    for _, attributes in FIELD.findall(body):
        if re.search(r'type="(hidden|submit)"', attributes) or "aria-label=" in attributes:
            continue
        field_id = re.search(r'\bid="([^"]+)"', attributes)
        if field_id is None or field_id[1] not in labels:
            missing.append(attributes.strip())
    return missing


@pytest.mark.django_db
def test_the_desk_accepts_the_visits_lines_then_discounts_and_issues(client, receptionist, encounter, prices):
    with hospital_context(CODE):
        PriceListItemFactory(code="718-7", name="Haemoglobin", category="lab", unit_price=Decimal("4.00"))
        order = LabOrderFactory(encounter=encounter)
        invoice = services.invoice_create_for_encounter(acting_user=receptionist, encounter_id=encounter.pk)
    client.force_login(receptionist)
    page = client.get(url("invoice", invoice_id=invoice.pk)).content.decode()
    assert "From this visit" in page and f'value="lab_order-{order.pk}"' in page
    assert _unlabelled(page) == []
    # Issuing is behind a confirmation step (a <details>, no script), naming the total.
    assert '<details class="confirm">' in page and "Yes, issue the invoice" in page
    with hospital_context(CODE):
        assert InvoiceLine.objects.count() == 0  # proposed, not added

    key = f"lab_order-{order.pk}"
    accepted = client.post(
        url("lines-accept", invoice_id=invoice.pk),
        {"accept": [key], f"item-{key}": "718-7", f"qty-{key}": "2"},
    )
    assert accepted.status_code == 302
    with hospital_context(CODE):
        line = InvoiceLine.objects.get()
    assert (line.item_code, line.line_total, line.source_id) == ("718-7", Decimal("8.00"), order.pk)

    refused = client.post(
        url("line-discount", invoice_id=invoice.pk, line_id=line.pk), {"amount": "3", "reason": ""}
    )
    assert refused.status_code == 400 and "Give a reason for the discount." in refused.content.decode()
    assert (
        client.post(
            url("line-discount", invoice_id=invoice.pk, line_id=line.pk),
            {"amount": "3", "reason": "pensioner"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            url("invoice-discount", invoice_id=invoice.pk), {"amount": "1", "reason": "loyalty"}
        ).status_code
        == 302
    )
    too_much = client.post(url("invoice-discount", invoice_id=invoice.pk), {"amount": "5.01", "reason": "x"})
    assert too_much.status_code == 400 and "cannot be more than that" in too_much.content.decode()
    assert client.post(url("issue", invoice_id=invoice.pk)).status_code == 302
    with hospital_context(CODE):
        invoice.refresh_from_db()
        assert services.invoice_total(invoice) == Decimal("4.00")
    assert invoice.status == Invoice.Status.ISSUED


@pytest.mark.django_db
def test_the_admin_refunds_a_payment_and_voids_the_refund(client, admin, receptionist, encounter, prices):
    with hospital_context(CODE):
        invoice = services.invoice_create_for_encounter(acting_user=receptionist, encounter_id=encounter.pk)
        services.invoice_line_add(acting_user=receptionist, invoice_id=invoice.pk, item_code="CONS")
        services.invoice_issue(acting_user=receptionist, invoice_id=invoice.pk)
        payment = services.payment_record(
            acting_user=receptionist, invoice_id=invoice.pk, amount=Decimal("50"), method="cash"
        )
    client.force_login(admin)
    page = client.get(url("invoice", invoice_id=invoice.pk)).content.decode()
    assert "Record the refund" in page and _unlabelled(page) == []
    refund_url = url("payment-refund", invoice_id=invoice.pk, payment_id=payment.pk)
    assert client.post(refund_url, {"amount": "50", "method": "cash", "reason": ""}).status_code == 400
    assert (
        client.post(refund_url, {"amount": "50", "method": "cash", "reason": "wrong patient"}).status_code
        == 302
    )
    with hospital_context(CODE):
        refund = Refund.objects.get()
        invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED
    page = client.get(url("invoice", invoice_id=invoice.pk)).content.decode()
    assert "wrong patient" in page and 'id="balance">50.00</th>' in page
    voided = client.post(
        url("refund-void", invoice_id=invoice.pk, refund_id=refund.pk), {"reason": "typed twice"}
    )
    assert voided.status_code == 302
    with hospital_context(CODE):
        assert Refund.objects.get().voided_at is not None
        assert Invoice.objects.get().status == Invoice.Status.PAID


@pytest.mark.django_db
def test_a_receptionist_cannot_refund(client, receptionist, encounter, prices):
    with hospital_context(CODE):
        invoice = services.invoice_create_for_encounter(acting_user=receptionist, encounter_id=encounter.pk)
        services.invoice_line_add(acting_user=receptionist, invoice_id=invoice.pk, item_code="CONS")
        services.invoice_issue(acting_user=receptionist, invoice_id=invoice.pk)
        payment = services.payment_record(
            acting_user=receptionist, invoice_id=invoice.pk, amount=Decimal("50"), method="cash"
        )
    client.force_login(receptionist)
    refund_url = url("payment-refund", invoice_id=invoice.pk, payment_id=payment.pk)
    assert client.post(refund_url, {"amount": "5", "method": "cash", "reason": "x"}).status_code == 403
    assert "Record the refund" not in client.get(url("invoice", invoice_id=invoice.pk)).content.decode()


@pytest.mark.django_db
def test_the_admins_setup_checklist_ticks_itself(client, admin, receptionist):
    client.force_login(admin)
    page = client.get(url("settings")).content.decode()
    assert page.count("status-todo") == 3  # staff accounts are done: the receptionist exists
    assert "Working hours" in page and "follows the hospital&#x27;s time zone" in page
    assert 'value="BDT"' in page  # Asia/Dhaka
    client.post(url("settings"), {"currency": "BDT", "invoice_prefix": "DMC", "address": ""})
    with hospital_context(CODE):
        PriceListItemFactory(code="CONS")
    page = client.get(url("settings")).content.decode()
    assert page.count("status-todo") == 1 and page.count("status-done") == 3
    assert "Setting up the hospital" in client.get(url("home")).content.decode()
