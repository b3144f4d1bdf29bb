"""The administrator's dashboard: the figures in the hospital's days and weeks (Asia/Dhaka here,
six hours ahead of UTC), each chart's CSV equal to the numbers on the screen, and the same
queries for three times the rows."""

import csv
import datetime
import io
import re
import zoneinfo
from decimal import Decimal
from html import unescape

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.billing.tests.factories import InvoiceFactory, PaymentFactory
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.models import Appointment
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.connections import hospital_alias
from hms.tenancy.context import hospital_context
from hms.web.dashboard import CHARTS

DHAKA = zoneinfo.ZoneInfo("Asia/Dhaka")
TABLE = re.compile(r'<table class="chart-figures" data-chart="([^"]+)">(.*?)</table>', re.S)
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)


def _home():
    return reverse("hospital-home", kwargs={"hospital_code": "DH001"})


def _csv_url(slug):
    return reverse(f"dashboard-csv-{slug}", kwargs={"hospital_code": "DH001"})


def _local(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=DHAKA)


def _screen_tables(body):
    """Each chart's table as shown: slug -> rows of cells (the header first)."""
    return {
        slug: [[unescape(cell) for cell in CELL.findall(row)] for row in ROW.findall(table)]
        for slug, table in TABLE.findall(body)
    }


def _csv_rows(client, slug):
    response = client.get(_csv_url(slug))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"DH001-{slug}-" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def dhaka(make_hospital, make_user):
    hospital = make_hospital("DH001", name="Dhaka General", time_zone="Asia/Dhaka")
    admin = make_user("admin", role=Role.ADMIN, hospital=hospital)
    doctor = make_user("doctor", role=Role.DOCTOR, hospital=hospital)
    return hospital, admin, doctor


@pytest.fixture
def figures(dhaka):
    """Rows on both sides of Dhaka's midnight, which is 18:00 UTC the day before."""
    _, _, doctor = dhaka
    today = timezone.now().astimezone(DHAKA).date()
    monday = today - datetime.timedelta(days=today.weekday())
    last_monday = monday - datetime.timedelta(weeks=1)
    with hospital_context("DH001"):
        patient = PatientFactory()
        # Today in Dhaka, yesterday in UTC: counts on Dhaka's today.
        for minutes, status in ((30, Appointment.Status.BOOKED), (45, Appointment.Status.ARRIVED)):
            starts = _local(today, 0, minutes)
            AppointmentFactory(
                patient=patient,
                practitioner_user_id=doctor.pk,
                starts_at=starts,
                ends_at=starts + datetime.timedelta(minutes=15),
                status=status,
            )
        AppointmentFactory(  # cancelled: not counted
            patient=patient,
            practitioner_user_id=doctor.pk,
            starts_at=_local(today, 0, 30),
            ends_at=_local(today, 0, 45),
            status=Appointment.Status.CANCELLED,
        )
        # Last week: two due, one a no-show.
        for hour, status in ((10, Appointment.Status.NO_SHOW), (11, Appointment.Status.COMPLETED)):
            starts = _local(last_monday + datetime.timedelta(days=1), hour)
            AppointmentFactory(
                patient=patient,
                practitioner_user_id=doctor.pk,
                starts_at=starts,
                ends_at=starts + datetime.timedelta(minutes=15),
                status=status,
            )
        # Taka, the currency of the hospital's time zone (its administrator has not chosen another).
        invoice = InvoiceFactory(patient=patient, encounter__patient=patient, issued=True, currency="BDT")
        PaymentFactory(invoice=invoice, amount=Decimal("10.00"), received_at=_local(today, 0, 30))
        PaymentFactory(invoice=invoice, amount=Decimal("5.25"), received_at=_local(today, 0, 40))
        PaymentFactory(  # voided: not revenue
            invoice=invoice,
            amount=Decimal("7.00"),
            received_at=_local(today, 0, 50),
            voided_at=timezone.now(),
            voided_by_id=1,
            void_reason="Entered twice",
        )
        PaymentFactory(
            invoice=invoice,
            amount=Decimal("3.00"),
            received_at=_local(today, 0, 0) - datetime.timedelta(minutes=1),
        )
        dollars = InvoiceFactory(
            patient=patient, encounter__patient=patient, encounter__finished=True, issued=True
        )
        PaymentFactory(invoice=dollars, amount=Decimal("99.00"), received_at=_local(today, 0, 30))  # not taka
        # Registrations: three this week (Monday 00:30 in Dhaka is Sunday in UTC), one last week.
        PatientFactory.create_batch(4)
        Patient.objects.update(created_at=_local(monday, 0, 30) - datetime.timedelta(weeks=30))
        ids = list(Patient.objects.order_by("id").values_list("pk", flat=True))
        Patient.objects.filter(pk__in=ids[:3]).update(created_at=_local(monday, 0, 30))
        Patient.objects.filter(pk=ids[3]).update(
            created_at=_local(monday, 0, 0) - datetime.timedelta(minutes=30)
        )
    return today, monday, last_monday


@pytest.mark.django_db
def test_the_dashboard_counts_in_the_hospitals_days_and_weeks(client, dhaka, figures):
    _, admin, _ = dhaka
    today, monday, last_monday = figures
    client.force_login(admin)

    body = client.get(_home()).content.decode()

    tables = _screen_tables(body)
    assert list(tables) == list(CHARTS)
    appointments = dict(tables["appointments-per-day"][1:])
    assert len(appointments) == 30
    assert appointments[today.isoformat()] == "2"
    assert appointments[(today - datetime.timedelta(days=1)).isoformat()] == "0"
    patients = dict(tables["new-patients-per-week"][1:])
    assert len(patients) == 12
    assert (patients[monday.isoformat()], patients[last_monday.isoformat()]) == ("3", "1")
    no_shows = {row[0]: row[1:] for row in tables["no-show-rate-per-week"][1:]}
    assert no_shows[last_monday.isoformat()] == ["2", "1", "50.0"]
    assert no_shows[(last_monday - datetime.timedelta(weeks=1)).isoformat()] == ["0", "0", ""]
    revenue = dict(tables["revenue-per-day"][1:])
    assert tables["revenue-per-day"][0] == ["day", "payments_BDT"]
    assert revenue[today.isoformat()] == "15.25"
    assert revenue[(today - datetime.timedelta(days=1)).isoformat()] == "3.00"
    assert "Revenue per day in BDT" in body
    assert "1 payment(s) on invoices in another currency are not counted here." in body
    with hospital_context("DH001"):
        actions = set(AuditEvent.objects.filter(actor_id=admin.pk).values_list("action", flat=True))
    assert {"appointment.figures", "patient.figures", "payment.figures"} <= actions


@pytest.mark.django_db
def test_each_charts_csv_is_the_screen(client, dhaka, figures):
    _, admin, _ = dhaka
    client.force_login(admin)
    body = client.get(_home()).content.decode()
    tables = _screen_tables(body)
    for slug in CHARTS:
        assert _csv_rows(client, slug) == tables[slug], slug
        # One bar per row, its tooltip the row's label and figure.
        figure = re.search(rf'<figure class="chart" id="chart-{slug}">(.*?)</figure>', body, re.S).group(1)
        titles = re.findall(r'<rect class="chart-bar"[^>]*><title>([^<]+)</title>', figure)
        rows = tables[slug][1:]
        assert len(titles) == len(rows)
        assert [title.split(": ")[0] for title in titles] == [row[0] for row in rows]
        assert [title.split(": ")[1] for title in titles] == [row[-1] or "none due" for row in rows]


@pytest.mark.django_db
def test_the_dashboard_has_no_inline_style_or_script(client, dhaka, figures):
    _, admin, _ = dhaka
    client.force_login(admin)
    body = client.get(_home()).content.decode()
    assert "<svg" in body
    assert "style=" not in body and "<style" not in body and "<script" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.PATIENT])
def test_only_the_administrator_downloads_the_figures(client, dhaka, make_user, role):
    hospital, _, _ = dhaka
    client.force_login(make_user("someone", role=role, hospital=hospital))
    for slug in CHARTS:
        assert client.get(_csv_url(slug)).status_code == 403
    assert "chart-figures" not in client.get(_home()).content.decode()


@pytest.mark.django_db
def test_the_dashboard_runs_the_same_queries_for_three_times_the_rows(client, dhaka):
    _, admin, doctor = dhaka
    client.force_login(admin)
    counts = []
    made = 0
    for rows in (5, 10):
        with hospital_context("DH001"):
            for _ in range(rows):
                made += 1
                patient = PatientFactory()
                starts = timezone.now() - datetime.timedelta(hours=7 * made)  # over the last 30 days
                AppointmentFactory(
                    patient=patient,
                    practitioner_user_id=doctor.pk,
                    starts_at=starts,
                    ends_at=starts + datetime.timedelta(minutes=15),
                    status=Appointment.Status.NO_SHOW if made % 3 == 0 else Appointment.Status.COMPLETED,
                )
                invoice = InvoiceFactory(patient=patient, encounter__patient=patient, issued=True)
                PaymentFactory(invoice=invoice)
        client.get(_home())
        with (
            CaptureQueriesContext(connections["default"]) as shared,
            CaptureQueriesContext(connections[hospital_alias("DH001")]) as hospital,
        ):
            response = client.get(_home())
        assert response.status_code == 200
        counts.append((len(shared), len(hospital)))
    assert counts[0] == counts[1]
