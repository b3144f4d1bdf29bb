from decimal import Decimal

import pytest

from hms.audit.models import AuditEvent
from hms.billing import services
from hms.billing.models import Invoice, InvoiceLine, Payment, PriceListItem
from hms.billing.tests.conftest import CODE, url
from hms.tenancy.context import hospital_context

BASE = f"/h/{CODE}/billing"  # junk ids cannot be reversed: those addresses are written out
JUNK = ["abc", "1e9999", "NaN", "-5", "", "0", "Infinity", "12,50", "1" * 60, "0x10", "½"]


def _draft(user, encounter, lines=(("CONS", "1"),)):
    with hospital_context(CODE):
        invoice = services.invoice_create_for_encounter(acting_user=user, encounter_id=encounter.pk)
        for code, quantity in lines:
            services.invoice_line_add(
                acting_user=user,
                invoice_id=invoice.pk,
                item_code=code,
                quantity=Decimal(quantity),
            )
    return invoice


def _issued(user, encounter, lines=(("CONS", "1"),)):
    invoice = _draft(user, encounter, lines)
    with hospital_context(CODE):
        return services.invoice_issue(acting_user=user, invoice_id=invoice.pk)


@pytest.mark.django_db
def test_reception_opens_fills_issues_and_takes_payment_through_the_pages(
    client, receptionist, encounter, prices
):
    client.force_login(receptionist)

    page = client.get(url("encounter", encounter_id=encounter.pk))
    assert page.status_code == 200 and "Open a draft invoice" in page.content.decode()
    created = client.post(url("encounter", encounter_id=encounter.pk))
    with hospital_context(CODE):
        invoice = Invoice.objects.get()
    assert created.status_code == 302 and created["Location"] == url("invoice", invoice_id=invoice.pk)

    assert (
        client.post(url("line-add", invoice_id=invoice.pk), {"item_code": "CBC", "quantity": "2"}).status_code
        == 302
    )
    assert (
        client.post(
            url("line-add", invoice_id=invoice.pk), {"item_code": "CONS", "quantity": "1"}
        ).status_code
        == 302
    )
    with hospital_context(CODE):
        cbc = InvoiceLine.objects.get(item_code="CBC")
    assert client.post(url("line-remove", invoice_id=invoice.pk, line_id=cbc.pk)).status_code == 302
    assert client.post(url("issue", invoice_id=invoice.pk)).status_code == 302
    paid = client.post(
        url("payment-record", invoice_id=invoice.pk), {"amount": "50", "method": "cash", "reference": "r1"}
    )
    assert paid.status_code == 302

    page = client.get(url("invoice", invoice_id=invoice.pk))
    body = page.content.decode()
    with hospital_context(CODE):
        invoice.refresh_from_db()
        assert AuditEvent.objects.filter(action="payment.record", client_address="127.0.0.1").exists()
    assert page.status_code == 200
    assert invoice.status == "paid" and f"Invoice {invoice.number}" in body
    assert 'id="balance">0.00</th>' in body
    assert "Record payment" not in body  # nothing left to pay


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", JUNK)
def test_junk_quantities_answer_400_with_the_message(client, receptionist, encounter, prices, quantity):
    invoice = _draft(receptionist, encounter, lines=())
    client.force_login(receptionist)

    response = client.post(
        url("line-add", invoice_id=invoice.pk), {"item_code": "CONS", "quantity": quantity}
    )

    assert response.status_code == 400
    assert "The invoice line is not valid." in response.content.decode()
    with hospital_context(CODE):
        assert not InvoiceLine.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [*JUNK, "50.01", "1000"])
def test_junk_and_excessive_amounts_answer_400_with_the_message(
    client, receptionist, encounter, prices, amount
):
    invoice = _issued(receptionist, encounter)
    client.force_login(receptionist)

    response = client.post(url("payment-record", invoice_id=invoice.pk), {"amount": amount, "method": "cash"})

    assert response.status_code == 400
    body = response.content.decode()
    assert "The payment is not valid." in body or "would overpay it" in body
    with hospital_context(CODE):
        assert not Payment.objects.exists()


@pytest.mark.django_db
def test_a_form_missing_its_fields_is_a_400_not_a_500(client, receptionist, admin, encounter, prices):
    invoice = _issued(receptionist, encounter)
    draft_encounter_invoice = invoice.pk
    client.force_login(admin)
    for address in [
        url("payment-record", invoice_id=draft_encounter_invoice),
        url("invoice-void", invoice_id=draft_encounter_invoice),
        url("line-add", invoice_id=draft_encounter_invoice),
        url("issue", invoice_id=draft_encounter_invoice),
        url("price-list"),
        url("price-item", item_id=prices["CONS"].pk),
        url("settings"),
    ]:
        response = client.post(address, {})
        assert response.status_code == 400, address


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/invoices/abc/",
        "/invoices/-1/",
        "/invoices/99999999999999999999999/",
        "/invoices/999999/",
        "/invoices/999999/pdf/",
        "/encounters/1e5/",
        "/encounters/999999/",
        "/patients/NaN/",
        "/patients/999999/",
        "/prices/abc/",
        "/prices/999999/",
    ],
)
def test_junk_and_missing_ids_answer_404(client, receptionist, path):
    client.force_login(receptionist)
    assert client.get(BASE + path).status_code == 404


@pytest.mark.django_db
def test_ids_past_the_database_range_in_posts_answer_404(client, receptionist, admin, encounter, prices):
    invoice = _issued(receptionist, encounter)
    client.force_login(admin)
    huge = "9" * 30
    assert (
        client.post(f"{BASE}/invoices/{invoice.pk}/payments/{huge}/void/", {"reason": "x"}).status_code == 404
    )
    assert client.post(f"{BASE}/invoices/{huge}/issue/").status_code == 404
    assert client.post(f"{BASE}/invoices/{invoice.pk}/lines/{huge}/remove/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["doctor", "nurse"])
def test_doctors_and_nurses_are_refused_billing_pages_and_writes(
    client, request, receptionist, encounter, other_encounter, prices, role
):
    invoice = _issued(receptionist, encounter)
    client.force_login(request.getfixturevalue(role))
    assert client.get(url("invoice", invoice_id=invoice.pk)).status_code == 403
    assert client.get(url("outstanding")).status_code == 403
    assert client.post(url("encounter", encounter_id=other_encounter.pk)).status_code == 403
    assert (
        client.post(
            url("payment-record", invoice_id=invoice.pk), {"amount": "1", "method": "cash"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            url("price-list"), {"code": "X", "name": "X", "category": "other", "unit_price": "1"}
        ).status_code
        == 403
    )
    assert client.get(url("home")).status_code == 200  # the billing home says who to ask
    with hospital_context(CODE):
        assert Invoice.objects.count() == 1 and not Payment.objects.exists()


@pytest.mark.django_db
def test_a_patient_sees_their_own_invoice_and_pdf_but_not_anyone_elses(
    client, receptionist, patient_user, encounter, other_encounter, patient, other_patient, prices
):
    mine = _issued(receptionist, encounter)
    with hospital_context(CODE):
        theirs = services.invoice_issue(
            acting_user=receptionist,
            invoice_id=services.invoice_line_add(
                acting_user=receptionist,
                invoice_id=services.invoice_create_for_encounter(
                    acting_user=receptionist, encounter_id=other_encounter.pk
                ).pk,
                item_code="CONS",
            ).invoice_id,
        )
    client.force_login(patient_user)

    home = client.get(url("home"))
    assert home.status_code == 302 and home["Location"] == url("patient-invoices", patient_id=patient.pk)
    listing = client.get(home["Location"])
    assert listing.status_code == 200 and mine.number in listing.content.decode()
    assert theirs.number not in listing.content.decode()
    assert client.get(url("invoice", invoice_id=mine.pk)).status_code == 200
    assert client.get(url("invoice-pdf", invoice_id=mine.pk)).status_code == 200
    assert client.get(url("invoice", invoice_id=theirs.pk)).status_code == 404
    assert client.get(url("invoice-pdf", invoice_id=theirs.pk)).status_code == 404
    assert client.get(url("invoice-print", invoice_id=theirs.pk)).status_code == 404
    assert client.get(url("patient-invoices", patient_id=other_patient.pk)).status_code == 404
    assert (
        client.post(url("payment-record", invoice_id=mine.pk), {"amount": "1", "method": "cash"}).status_code
        == 403
    )


@pytest.mark.django_db
def test_another_hospitals_user_gets_404_for_every_billing_page(
    client, receptionist, encounter, prices, make_hospital, make_user
):
    invoice = _issued(receptionist, encounter)
    th = make_hospital("TH001")
    client.force_login(make_user("th_admin", role="ADMIN", hospital=th))
    for page in [
        url("home"),
        url("invoice", invoice_id=invoice.pk),
        url("invoice-pdf", invoice_id=invoice.pk),
        url("outstanding"),
        url("price-list"),
    ]:
        assert client.get(page).status_code == 404, page
    assert client.post(url("invoice-void", invoice_id=invoice.pk), {"reason": "x"}).status_code == 404


@pytest.mark.django_db
def test_the_pdf_page_is_inline_with_the_invoice_number_as_file_name(
    client, receptionist, encounter, patient, prices
):
    invoice = _issued(receptionist, encounter)
    client.force_login(receptionist)

    response = client.get(url("invoice-pdf", invoice_id=invoice.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{invoice.number}.pdf"'
    assert response.content.startswith(b"%PDF")
    with hospital_context(CODE):
        event = AuditEvent.objects.filter(action="invoice.pdf").get()
    assert event.patient_id == patient.pk


@pytest.mark.django_db
def test_the_printable_page_shows_times_in_the_hospitals_zone_and_void_mark(
    client, receptionist, admin, encounter, prices
):
    import datetime

    invoice = _issued(receptionist, encounter)
    with hospital_context(CODE):
        Invoice.objects.filter(pk=invoice.pk).update(
            issued_at=datetime.datetime(2025, 3, 1, 23, 30, tzinfo=datetime.UTC)
        )
        services.invoice_void(acting_user=admin, invoice_id=invoice.pk, reason="wrong patient")
    client.force_login(receptionist)

    response = client.get(url("invoice-print", invoice_id=invoice.pk))

    body = response.content.decode()
    assert response.status_code == 200
    assert "2025-03-02 05:30" in body  # Asia/Dhaka
    assert 'class="void"' in body and "wrong patient" in body
    assert invoice.number in body and "Amina Rahman" in body and "000000018" in body


@pytest.mark.django_db
def test_admin_manages_the_price_list_and_bad_prices_answer_400(client, admin, prices):
    client.force_login(admin)
    created = client.post(
        url("price-list"), {"code": "ECG", "name": "ECG", "category": "procedure", "unit_price": "15.5"}
    )
    assert created.status_code == 302
    for price in ["abc", "1e9999", "NaN", "-1"]:
        response = client.post(
            url("price-list"), {"code": "X1", "name": "X", "category": "procedure", "unit_price": price}
        )
        assert (
            response.status_code == 400 and "The price list item is not valid." in response.content.decode()
        )
    with hospital_context(CODE):
        ecg = PriceListItem.objects.get(code="ECG")
    edited = client.post(
        url("price-item", item_id=ecg.pk),
        {"name": "ECG, 12 lead", "category": "procedure", "unit_price": "18"},
    )
    assert edited.status_code == 302
    assert client.post(url("price-item-deactivate", item_id=ecg.pk)).status_code == 302
    again = client.post(url("price-item-deactivate", item_id=ecg.pk))
    assert again.status_code == 400 and "already inactive" in again.content.decode()
    listing = client.get(url("price-list"))
    assert listing.status_code == 200 and "ECG, 12 lead" in listing.content.decode()
    with hospital_context(CODE):
        ecg.refresh_from_db()
    assert (ecg.unit_price, ecg.is_active) == (18, False)


@pytest.mark.django_db
def test_a_receptionist_reads_the_price_list_but_cannot_change_it(client, receptionist, prices):
    client.force_login(receptionist)
    listing = client.get(url("price-list"))
    assert listing.status_code == 200 and "Add an item" not in listing.content.decode()
    assert client.post(url("price-item-deactivate", item_id=prices["CONS"].pk)).status_code == 403
    assert client.get(url("settings")).status_code == 403


@pytest.mark.django_db
def test_outstanding_and_patient_lists(client, receptionist, encounter, patient, prices):
    invoice = _issued(receptionist, encounter)
    client.force_login(receptionist)
    outstanding = client.get(url("outstanding"), {"page": "abc"})
    assert outstanding.status_code == 200 and invoice.number in outstanding.content.decode()
    listing = client.get(url("patient-invoices", patient_id=patient.pk), {"voided": "1"})
    assert listing.status_code == 200 and invoice.number in listing.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "status"),
    [
        ("", 200),
        ("2025-03-10", 200),
        ("abc", 400),
        ("0001-01-01", 400),
        ("9999-12-31", 400),
        ("2025-02-30", 400),
    ],
)
def test_takings_page_for_a_day(client, admin, prices, day, status):
    client.force_login(admin)
    response = client.get(url("takings"), {"day": day})
    assert response.status_code == status


@pytest.mark.django_db
def test_takings_are_for_admins_only(client, receptionist):
    client.force_login(receptionist)
    assert client.get(url("takings")).status_code == 403


@pytest.mark.django_db
def test_voiding_through_the_pages(client, receptionist, admin, encounter, prices):
    invoice = _issued(receptionist, encounter)
    with hospital_context(CODE):
        payment = services.payment_record(
            acting_user=receptionist, invoice_id=invoice.pk, amount=Decimal("10"), method="cash"
        )
    client.force_login(admin)
    refused = client.post(url("invoice-void", invoice_id=invoice.pk), {"reason": "wrong patient"})
    assert refused.status_code == 400 and "void them (or refund them) first" in refused.content.decode()
    no_reason = client.post(
        url("payment-void", invoice_id=invoice.pk, payment_id=payment.pk), {"reason": " "}
    )
    assert no_reason.status_code == 400
    assert (
        client.post(
            url("payment-void", invoice_id=invoice.pk, payment_id=payment.pk), {"reason": "refund"}
        ).status_code
        == 302
    )
    assert (
        client.post(url("invoice-void", invoice_id=invoice.pk), {"reason": "wrong patient"}).status_code
        == 302
    )
    with hospital_context(CODE):
        invoice.refresh_from_db()
    assert invoice.status == "void"


@pytest.mark.django_db
def test_get_on_a_post_only_url_is_405(client, receptionist, admin, encounter, prices):
    invoice = _issued(receptionist, encounter)
    client.force_login(admin)
    assert client.get(url("issue", invoice_id=invoice.pk)).status_code == 405


def test_the_price_list_pages_by_50_and_finds_items_by_code_or_name(client, dmc, admin):
    from decimal import Decimal

    from hms.billing.models import PriceListItem
    from hms.tenancy.context import hospital_context

    with hospital_context(dmc):
        PriceListItem.objects.bulk_create(
            PriceListItem(code=f"LAB-{n:03d}", name=f"Test {n}", category="lab", unit_price=Decimal("5.00"))
            for n in range(60)
        )
        PriceListItem.objects.create(
            code="XRAY-CHEST", name="Chest X-ray", category="procedure", unit_price=40
        )
    client.force_login(admin)
    first = client.get(url("price-list")).content.decode()
    assert first.count("<td>LAB-") + first.count("<td>XRAY-") == 50
    assert "Page 1 of 2" in first
    second = client.get(url("price-list"), {"page": 2}).content.decode()
    assert second.count("<td>LAB-") + second.count("<td>XRAY-") == 11
    found = client.get(url("price-list"), {"q": "x-ray"}).content.decode()
    assert "Chest X-ray" in found and "<td>LAB-" not in found
    assert "No item matches" in client.get(url("price-list"), {"q": "zzz"}).content.decode()
