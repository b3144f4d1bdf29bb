"""An invoice as a PDF (reportlab): the hospital, the patient, the lines, payments and balance.

Rendering only: callers read the invoice through a selector first (permission check and
audit row), then pass it here. Text uses the PDF standard fonts, which cover Latin
scripts; letters outside Latin-1 print as boxes.
"""

import datetime
import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hms.billing.common import hospital_time_zone
from hms.billing.models import Invoice
from hms.billing.money import money_format, quantity_format
from hms.billing.selectors import invoice_figures
from hms.billing.services import billing_settings_get
from hms.hospitals.models import Hospital
from hms.tenancy.context import current_tenant, get_hospital

GRID = colors.HexColor("#b8c2cc")
HEAD = colors.HexColor("#eef2f6")


def _local(moment: datetime.datetime | None, zone: datetime.tzinfo) -> str:
    if moment is None:
        return "-"
    return timezone.localtime(moment, zone).strftime("%Y-%m-%d %H:%M")


def _text(value: object) -> str:
    return escape(str(value))


def invoice_pdf(
    invoice: Invoice, *, hospital: Hospital | None = None, page_compression: bool = True
) -> bytes:
    """The invoice as PDF bytes; dates in the hospital's time zone; "VOID" across a void invoice.

    `hospital` is the registry row (read from the current hospital when not given).
    """
    hospital = hospital if hospital is not None else get_hospital(current_tenant().code)
    zone = hospital_time_zone(hospital)  # also when no page has it active (a command, a test)
    settings_row = billing_settings_get()
    figures = invoice_figures(invoice)
    patient = figures.patient
    currency = invoice.currency
    styles = getSampleStyleSheet()
    normal = styles["Normal"]

    story: list = []
    story.append(Paragraph(f"<b>{_text(hospital.name)}</b>", styles["Title"]))
    address_lines = [line.strip() for line in settings_row.address.splitlines() if line.strip()]
    if address_lines:
        story.append(Paragraph("<br/>".join(_text(line) for line in address_lines), normal))
    story.append(Spacer(1, 6 * mm))

    title = "Invoice" if invoice.number else "Draft invoice (not issued)"
    story.append(Paragraph(f"{title} {_text(invoice.number or '')}".strip(), styles["Heading2"]))
    facts = [
        ["Invoice number", invoice.number or "not issued yet", "Status", invoice.get_status_display()],
        ["Patient", Paragraph(_text(patient.full_name), normal), "MRN", patient.mrn],
        ["Issued", _local(invoice.issued_at, zone), "Encounter", _local(invoice.encounter.started_at, zone)],
        ["Currency", currency, "Time zone", hospital.time_zone],
    ]
    facts_table = Table(facts, colWidths=[32 * mm, 60 * mm, 26 * mm, 52 * mm])
    facts_table.setStyle(
        TableStyle(
            [("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"), ("FONTNAME", (2, 0), (2, -1), "Helvetica-Bold")]
        )
    )
    story.extend([facts_table, Spacer(1, 6 * mm)])

    rows: list[list] = [["Code", "Item", "Quantity", "Unit price", "Amount"]]
    for line in figures.lines:
        rows.append(
            [
                line.item_code,
                Paragraph(_text(line.item_name), normal),
                quantity_format(line.quantity),
                money_format(line.unit_price),
                money_format(line.line_total),
            ]
        )
    if not figures.lines:
        rows.append(["", "No lines yet.", "", "", ""])
    lines_table = Table(rows, colWidths=[26 * mm, 70 * mm, 20 * mm, 27 * mm, 27 * mm], repeatRows=1)
    lines_table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD),
                ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.extend([lines_table, Spacer(1, 4 * mm)])

    totals = Table(
        [
            ["Total", f"{currency} {money_format(figures.total)}"],
            ["Paid", f"{currency} {money_format(figures.paid)}"],
            ["Balance due", f"{currency} {money_format(figures.balance)}"],
        ],
        colWidths=[40 * mm, 40 * mm],
        hAlign="RIGHT",
    )
    totals.setStyle(
        TableStyle(
            [
                ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                ("FONTNAME", (0, 2), (-1, 2), "Helvetica-Bold"),
                ("LINEABOVE", (0, 2), (-1, 2), 0.75, colors.black),
            ]
        )
    )
    story.extend([totals, Spacer(1, 6 * mm)])

    if figures.payments:
        story.append(Paragraph("Payments", styles["Heading3"]))
        payment_rows: list[list] = [["Received", "Method", "Reference", "Amount"]]
        for payment in figures.payments:
            payment_rows.append(
                [
                    _local(payment.received_at, zone),
                    payment.get_method_display(),
                    Paragraph(_text(payment.reference or "-"), normal),
                    money_format(payment.amount),
                ]
            )
        payments_table = Table(payment_rows, colWidths=[40 * mm, 35 * mm, 65 * mm, 30 * mm], repeatRows=1)
        payments_table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                    ("BACKGROUND", (0, 0), (-1, 0), HEAD),
                    ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                    ("ALIGN", (3, 0), (3, -1), "RIGHT"),
                ]
            )
        )
        story.append(payments_table)
    if invoice.status == Invoice.Status.VOID:
        story.append(Spacer(1, 6 * mm))
        story.append(
            Paragraph(
                f"<b>Void</b> since {_local(invoice.voided_at, zone)}: {_text(invoice.void_reason)}. "
                "Nothing is owed on this invoice.",
                normal,
            )
        )
    printed = _local(timezone.now(), zone)

    def decorate(canvas: Any, doc: Any) -> None:  # reportlab ships no types
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.HexColor("#4a5560"))
        footer = f"{hospital.name} - {invoice.number or 'draft'} - printed {printed} ({hospital.time_zone})"
        canvas.drawString(doc.leftMargin, 10 * mm, footer)
        canvas.drawRightString(A4[0] - doc.rightMargin, 10 * mm, f"Page {doc.page}")
        if invoice.status == Invoice.Status.VOID:
            canvas.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.25))
            canvas.setFont("Helvetica-Bold", 120)
            canvas.translate(A4[0] / 2, A4[1] / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, -40, "VOID")
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=invoice.number or f"Draft invoice {invoice.pk}",
        author=hospital.name,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        pageCompression=1 if page_compression else 0,
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
