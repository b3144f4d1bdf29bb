"""An invoice as a PDF (reportlab): the hospital, the patient, the lines, payments and balance.

Rendering only: callers read the invoice through a selector first (permission check and
audit row), then pass it here. Text is set in Noto Sans, embedded (hms/billing/fonts,
OFL): Latin, Greek and Cyrillic from Noto Sans, Bengali and Arabic runs from Noto Sans
Bengali and Noto Sans Arabic, so names print as recorded, not as boxes. Every cell is a
paragraph that wraps within its column, so nothing overlaps however long a name is.
Not yet shaped (no HarfBuzz): Bengali conjuncts print as letter and virama, and Arabic
letters print unjoined, left to right.
"""

import datetime
import functools
import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
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
GREY = "#4a5560"
FONTS = Path(__file__).resolve().parent / "fonts"
SANS, SANS_BOLD = "HmsNotoSans", "HmsNotoSans-Bold"
# Unicode ranges set in a script's own font: (first, last, regular font, bold font, file stem)
SCRIPTS = [
    (0x0980, 0x09FF, "HmsNotoBengali", "HmsNotoBengali-Bold", "NotoSansBengali"),
    (0x0600, 0x06FF, "HmsNotoArabic", "HmsNotoArabic-Bold", "NotoSansArabic"),
    (0x0750, 0x077F, "HmsNotoArabic", "HmsNotoArabic-Bold", "NotoSansArabic"),
    (0x08A0, 0x08FF, "HmsNotoArabic", "HmsNotoArabic-Bold", "NotoSansArabic"),
    (0xFB50, 0xFDFF, "HmsNotoArabic", "HmsNotoArabic-Bold", "NotoSansArabic"),
    (0xFE70, 0xFEFF, "HmsNotoArabic", "HmsNotoArabic-Bold", "NotoSansArabic"),
]


@functools.cache
def fonts_register() -> None:
    """Register the embedded fonts with reportlab (once a process); `<b>` in Noto Sans is its bold."""
    faces = {(SANS, SANS_BOLD, "NotoSans")} | {(regular, bold, stem) for *_, regular, bold, stem in SCRIPTS}
    for regular, bold, stem in sorted(faces):
        pdfmetrics.registerFont(TTFont(regular, str(FONTS / f"{stem}-Regular.ttf")))
        pdfmetrics.registerFont(TTFont(bold, str(FONTS / f"{stem}-Bold.ttf")))
        pdfmetrics.registerFontFamily(regular, normal=regular, bold=bold, italic=regular, boldItalic=bold)


def _script_font(char: str, *, bold: bool) -> str | None:
    point = ord(char)
    for first, last, regular, bold_font, _ in SCRIPTS:
        if first <= point <= last:
            return bold_font if bold else regular
    return None


def _text(value: object, *, bold: bool = False) -> str:
    """`value` as paragraph markup: escaped, with each run of Bengali or Arabic in its script's font.

    Spaces and marks shared by every script stay in the run they sit in, so a name reads as one.
    """
    runs: list[tuple[str | None, str]] = []
    for char in str(value):
        font = _script_font(char, bold=bold)
        if runs and (font == runs[-1][0] or (font is None and char.isspace())):
            runs[-1] = (runs[-1][0], runs[-1][1] + char)
        else:
            runs.append((font, char))
    return "".join(
        f'<font name="{font}">{escape(text)}</font>' if font else escape(text) for font, text in runs
    )


def _local(moment: datetime.datetime | None, zone: datetime.tzinfo) -> str:
    if moment is None:
        return "-"
    return timezone.localtime(moment, zone).strftime("%Y-%m-%d %H:%M")


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    normal = ParagraphStyle("HmsNormal", parent=base["Normal"], fontName=SANS, fontSize=9.5, leading=12)
    return {
        "normal": normal,
        "bold": ParagraphStyle("HmsBold", parent=normal, fontName=SANS_BOLD),
        "number": ParagraphStyle("HmsNumber", parent=normal, alignment=TA_RIGHT, wordWrap="CJK"),
        "number_bold": ParagraphStyle(
            "HmsNumberBold", parent=normal, fontName=SANS_BOLD, alignment=TA_RIGHT, wordWrap="CJK"
        ),
        "title": ParagraphStyle(
            "HmsTitle", parent=base["Title"], fontName=SANS_BOLD, fontSize=16, leading=20
        ),
        "heading": ParagraphStyle("HmsHeading", parent=base["Heading2"], fontName=SANS_BOLD, fontSize=13),
        "subheading": ParagraphStyle(
            "HmsSubheading", parent=base["Heading3"], fontName=SANS_BOLD, fontSize=11
        ),
        "footer": ParagraphStyle("HmsFooter", parent=normal, fontSize=7.5, leading=9, textColor=GREY),
    }


def _table(rows: list[list[Any]], widths: list[float], *, head: bool = True, grid: bool = True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if head else 0)
    style: list[tuple[Any, ...]] = [("VALIGN", (0, 0), (-1, -1), "TOP")]
    if head:
        style.append(("BACKGROUND", (0, 0), (-1, 0), HEAD))
    if grid:
        style.append(("GRID", (0, 0), (-1, -1), 0.5, GRID))
    table.setStyle(TableStyle(style))
    return table


def invoice_pdf(
    invoice: Invoice, *, hospital: Hospital | None = None, page_compression: bool = True
) -> bytes:
    """The invoice as PDF bytes; dates in the hospital's time zone; "VOID" across a void invoice.

    `hospital` is the registry row (read from the current hospital when not given).
    """
    fonts_register()
    hospital = hospital if hospital is not None else get_hospital(current_tenant().code)
    zone = hospital_time_zone(hospital)  # also when no page has it active (a command, a test)
    settings_row = billing_settings_get()
    figures = invoice_figures(invoice)
    patient = figures.patient
    currency = invoice.currency
    st = _styles()

    def cell(value: object, style: str = "normal") -> Paragraph:
        return Paragraph(_text(value, bold=style.endswith("bold")), st[style])

    story: list[Any] = [Paragraph(_text(hospital.name, bold=True), st["title"])]
    address_lines = [line.strip() for line in settings_row.address.splitlines() if line.strip()]
    if address_lines:
        story.append(Paragraph("<br/>".join(_text(line) for line in address_lines), st["normal"]))
    story.append(Spacer(1, 6 * mm))

    title = "Invoice" if invoice.number else "Draft invoice (not issued)"
    story.append(Paragraph(_text(f"{title} {invoice.number or ''}".strip(), bold=True), st["heading"]))
    facts = [
        ["Invoice number", invoice.number or "not issued yet", "Status", invoice.get_status_display()],
        ["Patient", patient.full_name, "MRN", patient.mrn],
        ["Issued", _local(invoice.issued_at, zone), "Visit", _local(invoice.encounter.started_at, zone)],
        ["Currency", currency, "Time zone", hospital.time_zone],
    ]
    fact_rows = [[cell(a, "bold"), cell(b), cell(c, "bold"), cell(d)] for a, b, c, d in facts]
    story.extend(
        [_table(fact_rows, [30 * mm, 62 * mm, 24 * mm, 54 * mm], head=False, grid=False), Spacer(1, 6 * mm)]
    )

    # The item's name first, its code small beneath it; every cell wraps inside its column.
    rows: list[list[Any]] = [
        [cell("Item", "bold"), cell("Quantity", "number_bold"), cell("Unit price", "number_bold")]
        + [cell("Discount", "number_bold"), cell("Amount", "number_bold")]
    ]
    for line in figures.lines:
        item = f'{_text(line.item_name)}<br/><font size="7" color="{GREY}">{_text(line.item_code)}</font>'
        if line.discount_reason:
            item += f'<br/><font size="7" color="{GREY}">Discount: {_text(line.discount_reason)}</font>'
        rows.append(
            [
                Paragraph(item, st["normal"]),
                cell(quantity_format(line.quantity), "number"),
                cell(money_format(line.unit_price), "number"),
                cell(money_format(line.discount_amount) if line.discount_amount else "", "number"),
                cell(money_format(line.line_total), "number"),
            ]
        )
    if not figures.lines:
        rows.append([cell("No lines yet."), "", "", "", ""])
    story.extend([_table(rows, [76 * mm, 18 * mm, 26 * mm, 24 * mm, 26 * mm]), Spacer(1, 4 * mm)])

    total_rows = []
    if invoice.discount_amount:
        total_rows.append(["Lines", f"{currency} {money_format(figures.lines_total)}"])
        total_rows.append(
            [f"Discount ({invoice.discount_reason})", f"- {currency} {money_format(invoice.discount_amount)}"]
        )
    total_rows += [
        ["Total", f"{currency} {money_format(figures.total)}"],
        ["Paid", f"{currency} {money_format(figures.paid)}"],
        ["Balance due", f"{currency} {money_format(figures.balance)}"],
    ]
    last = len(total_rows) - 1
    totals = Table(
        [
            [
                cell(label, "number_bold" if i == last else "number"),
                cell(v, "number_bold" if i == last else "number"),
            ]
            for i, (label, v) in enumerate(total_rows)
        ],
        colWidths=[60 * mm, 45 * mm],
        hAlign="RIGHT",
    )
    totals.setStyle(TableStyle([("LINEABOVE", (0, last), (-1, last), 0.75, colors.black)]))
    story.extend([totals, Spacer(1, 6 * mm)])

    # Payments, then refunds: when, how, what for, how much.
    money_moves: list[tuple[str, tuple[str, str, str], list[tuple[Any, str, str, Any]]]] = [
        (
            "Payments",
            ("Received", "Method", "Reference"),
            [(p.received_at, p.get_method_display(), p.reference or "-", p.amount) for p in figures.payments],
        ),
        (
            "Refunds",
            ("Given back", "Method", "Reason"),
            [(r.refunded_at, r.get_method_display(), r.reason, r.amount) for r in figures.refunds],
        ),
    ]
    for title, headings, moves in money_moves:
        if moves:
            heading = [cell(text, "bold") for text in headings] + [cell("Amount", "number_bold")]
            rows = [
                [cell(_local(at, zone)), cell(method), cell(text), cell(money_format(amount), "number")]
                for at, method, text, amount in moves
            ]
            story.append(Paragraph(title, st["subheading"]))
            story.append(_table([heading, *rows], [38 * mm, 34 * mm, 68 * mm, 30 * mm]))
    if invoice.status == Invoice.Status.VOID:
        story.append(Spacer(1, 6 * mm))
        story.append(
            Paragraph(
                f"<b>Void</b> since {_local(invoice.voided_at, zone)}: {_text(invoice.void_reason)}. "
                "Nothing is owed on this invoice.",
                st["normal"],
            )
        )
    printed = _local(timezone.now(), zone)
    footer = _text(
        f"{hospital.name} - {invoice.number or 'draft'} - printed {printed} ({hospital.time_zone})"
    )

    def decorate(canvas: Any, doc: Any) -> None:  # reportlab ships no types
        canvas.saveState()
        page = Paragraph(
            f"Page {doc.page}", ParagraphStyle("HmsPage", parent=st["footer"], alignment=TA_RIGHT)
        )
        page.wrapOn(canvas, 20 * mm, 10 * mm)
        page.drawOn(canvas, A4[0] - doc.rightMargin - 20 * mm, 8 * mm)
        note = Paragraph(footer, st["footer"])  # wraps rather than running into the page number
        note.wrapOn(canvas, doc.width - 24 * mm, 12 * mm)
        note.drawOn(canvas, doc.leftMargin, 8 * mm)
        if invoice.status == Invoice.Status.VOID:
            canvas.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.25))
            canvas.setFont(SANS_BOLD, 120)
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
        bottomMargin=22 * mm,
        pageCompression=1 if page_compression else 0,
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
