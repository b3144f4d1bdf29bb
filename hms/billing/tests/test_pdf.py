"""The invoice PDF, read back with pypdf: its text, its embedded fonts and where each piece of
text is drawn (no two pieces of text may overlap)."""

import datetime
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from hms.billing import services
from hms.billing.models import Invoice, Payment
from hms.billing.pdf import SANS, fonts_register, invoice_pdf
from hms.billing.tests.conftest import CODE
from hms.tenancy.context import hospital_context


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _embedded_fonts(content: bytes) -> set[str]:
    """The names of the fonts embedded in the PDF's pages (subset prefixes taken off)."""
    names = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                names.add(str(font["/BaseFont"]).lstrip("/").split("+")[-1])
    return names


def _text_boxes(content: bytes) -> list[tuple[float, float, float, float, str]]:
    """Each piece of text drawn on the first page as a box (left, bottom, right, top, text).

    The width is measured in Noto Sans at the size drawn (the scripts' fonts are close to it);
    the box runs from the baseline's descent to the size's height above it.
    """
    fonts_register()
    boxes = []

    def visit(text, matrix, text_matrix, font, size):
        if not text.strip():
            return
        scale = text_matrix[0] * matrix[0] or 1
        x = matrix[0] * text_matrix[4] + matrix[4]
        y = matrix[3] * text_matrix[5] + matrix[5]
        height = size * abs(scale)
        width = stringWidth(text.strip(), SANS, height)
        boxes.append((x, y - 0.2 * height, x + width, y + 0.8 * height, text.strip()))

    PdfReader(io.BytesIO(content)).pages[0].extract_text(visitor_text=visit)
    return boxes


def _overlaps(boxes):
    found = []
    for i, (l1, b1, r1, t1, a) in enumerate(boxes):
        for l2, b2, r2, t2, b in boxes[i + 1 :]:
            if l1 < r2 - 0.5 and l2 < r1 - 0.5 and b1 < t2 - 0.5 and b2 < t1 - 0.5:
                found.append((a, b))
    return found


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


@pytest.mark.django_db
def test_a_bengali_name_is_printed_in_an_embedded_font_that_has_its_letters(
    admin, receptionist, patient, encounter, prices, dmc
):
    with hospital_context(CODE):
        patient.given_name, patient.family_name = "মোহাম্মদ", "করিম"
        patient.save()
        services.price_item_create(
            acting_user=admin,
            code="ECG",
            name="ইসিজি (ECG) تخطيط القلب",
            category="procedure",
            unit_price=Decimal("5"),
        )
        invoice = _invoice(receptionist, encounter, [("ECG", "1")])
        content = invoice_pdf(invoice, hospital=dmc)
    text = _pdf_text(content)
    assert "মোহাম্মদ করিম" in text
    assert "ইসিজি" in text
    fonts = _embedded_fonts(content)
    assert {"NotoSans-Regular", "NotoSansBengali-Regular", "NotoSansArabic-Regular"} <= fonts
    assert not fonts & {"Helvetica", "Helvetica-Bold"}


@pytest.mark.django_db
def test_a_100_character_item_name_wraps_and_no_text_overlaps(admin, receptionist, encounter, prices, dmc):
    long_name = ("Magnetic resonance imaging of the whole spine with and without contrast, " * 2)[:100]
    unbroken = "X" * 100  # no space to break at: it is split inside the column
    with hospital_context(CODE):
        for code, name in (("MRI-SPINE-FULL", long_name), ("LONGWORD", unbroken)):
            services.price_item_create(
                acting_user=admin,
                code=code,
                name=name,
                category="procedure",
                unit_price=Decimal("123456789.99"),
            )
        invoice = _invoice(
            receptionist, encounter, [("MRI-SPINE-FULL", "3"), ("LONGWORD", "2"), ("CONS", "1")]
        )
        content = invoice_pdf(invoice, hospital=dmc, page_compression=False)
    boxes = _text_boxes(content)
    assert len(boxes) > 20
    assert _overlaps(boxes) == []
    text = _pdf_text(content)
    assert "MRI-SPINE-FULL" in text and "Magnetic resonance imaging" in text
    # The name comes before its code (the code is printed small beneath it).
    assert text.index("Magnetic resonance") < text.index("MRI-SPINE-FULL")


@pytest.mark.django_db
def test_discounts_and_refunds_are_printed_with_their_reasons(admin, receptionist, encounter, prices, dmc):
    with hospital_context(CODE):
        invoice = services.invoice_create_for_encounter(acting_user=receptionist, encounter_id=encounter.pk)
        line = services.invoice_line_add(acting_user=receptionist, invoice_id=invoice.pk, item_code="CONS")
        services.invoice_line_discount(
            acting_user=receptionist,
            invoice_id=invoice.pk,
            line_id=line.pk,
            amount="10",
            reason="staff family",
        )
        services.invoice_discount(
            acting_user=receptionist, invoice_id=invoice.pk, amount="5", reason="loyalty"
        )
        services.invoice_issue(acting_user=receptionist, invoice_id=invoice.pk)
        payment = services.payment_record(
            acting_user=receptionist, invoice_id=invoice.pk, amount=Decimal("35"), method="cash"
        )
        services.payment_refund(
            acting_user=admin,
            invoice_id=invoice.pk,
            payment_id=payment.pk,
            amount="15",
            method="cash",
            reason="paid twice at the desk",
        )
        content = invoice_pdf(Invoice.objects.get(pk=invoice.pk), hospital=dmc)
    text = _pdf_text(content)
    for expected in ["staff family", "loyalty", "paid twice at the desk", "35.00", "20.00", "15.00"]:
        assert expected in text, expected
