"""The invoice PDF, read back: its content streams are decoded (ASCII85, zlib) with no PDF library."""

import base64
import datetime
import re
import zlib
from decimal import Decimal

import pytest

from hms.billing import services
from hms.billing.models import Invoice, Payment
from hms.billing.pdf import invoice_pdf
from hms.billing.tests.conftest import CODE
from hms.tenancy.context import hospital_context

STREAM = re.compile(rb"stream\r?\n(.*?)\r?\n?endstream", re.DOTALL)
SHOWN_TEXT = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")


def _pdf_text(content: bytes) -> str:
    """The strings the PDF draws, in order, from every (possibly compressed) content stream."""
    shown = []
    for raw in STREAM.findall(content):
        data = raw.strip()
        if data.endswith(b"~>"):  # reportlab compresses as /ASCII85Decode /FlateDecode
            data = zlib.decompress(base64.a85decode(data, adobe=True))
        for text in SHOWN_TEXT.findall(data):
            shown.append(re.sub(rb"\\(.)", rb"\1", text).decode("latin-1"))
    return "\n".join(shown)


def _invoice(user, encounter, lines):
    invoice = services.invoice_create_for_encounter(acting_user=user, encounter_id=encounter.pk)
    for code, quantity in lines:
        services.invoice_line_add(
            acting_user=user, invoice_id=invoice.pk, item_code=code, quantity=Decimal(quantity)
        )
    return services.invoice_issue(acting_user=user, invoice_id=invoice.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("compressed", [True, False])
def test_the_pdf_names_the_hospital_patient_number_lines_and_balance(
    admin, receptionist, encounter, prices, dmc, compressed
):
    with hospital_context(CODE):
        services.billing_settings_update(
            acting_user=admin, currency="USD", invoice_prefix="INV", address="12 Lake Road\nDhaka 1205"
        )
        invoice = _invoice(
            receptionist, encounter, [("CONS", "1"), ("CBC", "0.5"), ("PARA", "3")]
        )  # 50 + 6.18 + 0.45
        payment = services.payment_record(
            acting_user=receptionist,
            invoice_id=invoice.pk,
            amount=Decimal("20"),
            method="cash",
            reference="R-1",
        )
        # 23:30 UTC on 1 March is 05:30 on 2 March in Dhaka.
        Payment.objects.filter(pk=payment.pk).update(
            received_at=datetime.datetime(2025, 3, 1, 23, 30, tzinfo=datetime.UTC)
        )
        invoice = Invoice.objects.get(pk=invoice.pk)
        content = invoice_pdf(invoice, hospital=dmc, page_compression=compressed)
    assert content.startswith(b"%PDF")
    assert content.rstrip().endswith(b"%%EOF")
    text = _pdf_text(content)
    for expected in [
        "Downtown Medical Center",
        "12 Lake Road",
        invoice.number,
        "Amina Rahman",
        "000000018",
        "Full blood count",
        "6.18",
        "USD 56.63",  # total
        "USD 20.00",  # paid
        "USD 36.63",  # balance
        "2025-03-02 05:30",  # the payment, in the hospital's time zone
        "Cash",
        "R-1",
    ]:
        assert expected in text, expected
    assert "VOID" not in text


@pytest.mark.django_db
def test_a_void_invoice_carries_the_void_watermark(
    receptionist, admin, encounter, other_encounter, prices, dmc
):
    with hospital_context(CODE):
        invoice = _invoice(receptionist, encounter, [("CONS", "1")])
        voided = services.invoice_void(acting_user=admin, invoice_id=invoice.pk, reason="wrong patient")
        text = _pdf_text(invoice_pdf(voided, hospital=dmc))
        draft = services.invoice_create_for_encounter(
            acting_user=receptionist, encounter_id=other_encounter.pk
        )
        draft_text = _pdf_text(invoice_pdf(draft))  # the hospital is read from the context
    assert "VOID" in text and "wrong patient" in text and invoice.number in text
    assert "Draft invoice (not issued)" in draft_text and "No lines yet." in draft_text


@pytest.mark.django_db
def test_names_with_markup_and_letters_outside_latin_1_do_not_break_the_pdf(
    admin, receptionist, patient, encounter, prices, dmc
):
    with hospital_context(CODE):
        patient.given_name = "<b>Ayesha & Co</b>"
        patient.family_name = "রহমান"
        patient.save()
        services.price_item_create(
            acting_user=admin,
            code="XR",
            name="X-ray (chest) <left>",
            category="procedure",
            unit_price=Decimal("5"),
        )
        invoice = _invoice(receptionist, encounter, [("XR", "1")])
        content = invoice_pdf(invoice, hospital=dmc)
    assert content.startswith(b"%PDF")
    assert "Ayesha" in _pdf_text(content)
