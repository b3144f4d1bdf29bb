"""The hospital administrator's day, in the browser: the dashboard's charts, a chart's figures
downloaded as CSV (the file must say exactly what the page shows: its table and its bars), the
staff list, and the audit log filtered by a username and by a patient's MRN."""

import csv
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from hms.billing.services import invoice_create_for_encounter, invoice_issue, invoice_line_add, payment_record
from hms.scheduling.models import Appointment
from hms.scheduling.rules import booking_rules_get
from hms.scheduling.tests.factories import AppointmentFactory
from hms.staff.tests.factories import DepartmentFactory, StaffMemberFactory
from hms.tenancy.context import hospital_context
from hms.web.tests.browser.clinic import CODE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def working_month(day_clinic):
    """A month of the clinic's work: today's visit (invoiced and paid), and appointments on days
    before, one of them missed; its staff in the staff directory."""
    clinic = day_clinic
    desk = clinic.people["desk"]
    visit = clinic.visit("Farhana", datetime.time(11), "Fever and sore throat")
    clinic.finish(visit)
    with hospital_context(CODE):
        medicine = DepartmentFactory(name="General medicine")
        for username in ("dr_karim", "nurse_nila", "desk"):
            StaffMemberFactory(user=clinic.people[username], department=medicine)
        invoice = invoice_create_for_encounter(acting_user=desk, encounter_id=visit.pk)
        invoice_line_add(acting_user=desk, invoice_id=invoice.pk, item_code="CONSULT")
        invoice_issue(acting_user=desk, invoice_id=invoice.pk)
        payment_record(acting_user=desk, invoice_id=invoice.pk, amount=Decimal(1000), method="cash")
        now = timezone.now()
        for days_ago, patient, status in [
            (3, "Farid", Appointment.Status.COMPLETED),
            (3, "Rahima", Appointment.Status.NO_SHOW),
            (3, "Abdul", Appointment.Status.CANCELLED),
            (9, "Sadia", Appointment.Status.COMPLETED),
        ]:
            starts = now - datetime.timedelta(days=days_ago)
            AppointmentFactory(
                patient=clinic.patients[patient],
                practitioner_user_id=clinic.doctor.pk,
                starts_at=starts,
                ends_at=starts + datetime.timedelta(minutes=30),
                status=status,
            )
    return clinic


def _cells(page: Page, selector: str) -> list[list[str]]:
    """The text of each row's cells (the figures' table sits in a closed <details>: read, not seen)."""
    return page.locator(selector).evaluate_all(
        "rows => rows.map(row => Array.from(row.cells).map(cell => cell.textContent.trim()))"
    )


def _downloaded_csv(page: Page, chart: str) -> list[list[str]]:
    with page.expect_download() as download:
        page.locator(f"#chart-{chart}").get_by_role("link", name="Download these figures (CSV)").click()
    assert download.value.suggested_filename.startswith(f"{CODE}-{chart}-")
    with Path(download.value.path()).open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def _chart_on_screen(page: Page, chart: str) -> tuple[list[str], list[list[str]], list[str]]:
    """A chart as the page shows it: its table's header and rows, and each bar's tooltip."""
    figure = f"#chart-{chart}"
    header = _cells(page, f"{figure} table.chart-figures thead tr")[0]
    rows = _cells(page, f"{figure} table.chart-figures tbody tr")
    bars = page.locator(f"{figure} rect.chart-bar > title").all_text_contents()
    return header, rows, bars


def test_the_administrator_reads_the_dashboard_the_staff_and_the_audit_log(screen, working_month):
    clinic = working_month
    page = screen.page
    screen.sign_in("rgh_admin")
    expect(page.locator("main")).to_contain_text("Dashboard")
    expect(page.locator("figure.chart")).to_have_count(4)
    screen.check("start-admin")

    # Each chart's CSV is the screen: the same header and rows as its table, a bar per row.
    for chart in (
        "appointments-per-day",
        "new-patients-per-week",
        "no-show-rate-per-week",
        "revenue-per-day",
    ):
        header, rows, bars = _chart_on_screen(page, chart)
        downloaded = _downloaded_csv(page, chart)
        assert downloaded == [header, *rows], chart
        assert bars == [f"{row[0]}: {row[-1] or 'none due'}" for row in rows], chart
    _, appointments, _ = _chart_on_screen(page, "appointments-per-day")
    counts = {day: int(count) for day, count in appointments}
    assert sum(counts.values()) == 4  # today's visit and three before; the cancelled one left out
    axis = page.locator("#chart-no-show-rate-per-week text.chart-label").all_text_contents()
    assert any(label.endswith("%") for label in axis), axis  # the rate's axis says it is a percentage
    _, weeks, _ = _chart_on_screen(page, "new-patients-per-week")
    assert weeks[-1][1] == "5"  # the clinic's five patients, registered this week
    _, revenue, _ = _chart_on_screen(page, "revenue-per-day")
    assert revenue[-1][1] == "1000.00" and all(amount == "0.00" for _, amount in revenue[:-1])

    # The rules for patients booking online: a month ahead at most, from now on.
    page.get_by_role("link", name="Online booking rules for patients").click()
    page.get_by_label("How many days ahead a patient may book").fill("30")
    page.get_by_role("button", name="Save the rules").click()
    expect(page.locator(".messages")).to_contain_text("The booking rules are saved")
    expect(page.locator(".portal-summary")).to_contain_text("30 days ahead")
    screen.check("booking-rules")
    with hospital_context(CODE):
        assert booking_rules_get().max_days_ahead == 30

    # The staff directory.
    page.get_by_role("link", name="Staff", exact=True).click()
    for name in ("Karim Ahmed", "Nila Sen", "Rina Das"):
        expect(page.locator("main")).to_contain_text(name)
    screen.check("staff-list")

    # The audit log: what the desk did, then everything about Farhana Chowdhury's record.
    page.get_by_role("link", name="Audit log", exact=True).click()
    page.get_by_label("Username").fill("desk")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**username=desk**")  # the filtered log, not the one before it
    rows = _cells(page, "table.audit-log tbody tr")
    assert rows and all(row[2] == "desk" for row in rows)
    assert any(row[4] == "payment.record" for row in rows)
    screen.check("audit-log-username")  # nothing cut off at 768 px either
    if screen.width == "tablet":
        # Wider than a tablet, the log scrolls sideways in its own box, with the scrollbar under it.
        box = page.locator(".table-scroll", has=page.locator("table.audit-log"))
        assert box.evaluate("box => box.scrollWidth > box.clientWidth")
    page.get_by_label("Username").fill("")
    page.get_by_label("Patient MRN").fill(clinic.patients["Farhana"].mrn)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"**mrn={clinic.patients['Farhana'].mrn}**")
    rows = _cells(page, "table.audit-log tbody tr")
    assert rows and all(clinic.patients["Farhana"].mrn in row[6] for row in rows)
    assert {"appointment.book", "encounter.start"} <= {row[4] for row in rows}
    screen.check("audit-log-mrn")
