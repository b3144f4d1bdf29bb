"""The patient's day, in the browser: Farhana Chowdhury signs in to the portal, sees what her
visit left behind (her coming appointment, a verified blood glucose, her prescription, the
invoice), books a follow-up with the doctor herself and cancels the appointment she no
longer needs."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.billing.services import invoice_create_for_encounter, invoice_issue, invoice_line_add
from hms.orders.models import LabOrder
from hms.orders.services import lab_order_collect, lab_result_enter, lab_result_verify
from hms.patients.services import patient_portal_link
from hms.scheduling.models import Appointment
from hms.scheduling.services import appointment_book
from hms.scheduling.wallclock import hospital_zone
from hms.staff.tests.factories import DepartmentFactory, StaffMemberFactory
from hms.tenancy.context import hospital_context
from hms.web.tests.browser.clinic import CODE, SLOT_MINUTES

pytestmark = pytest.mark.django_db(transaction=True)


def _day_label(day: datetime.date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def _answer_and_send(screen, where, answer: tuple[str, str], shot: str, button: str, said: str) -> None:
    """Fill in the one field of a form (label, text), take its screenshot, send it, and read the
    page's message saying what was done."""
    where.get_by_label(answer[0]).fill(answer[1])
    screen.check(shot)
    where.get_by_role("button", name=button).click()
    expect(screen.page.locator(".messages")).to_contain_text(said)


@pytest.fixture
def farhana(day_clinic, make_user):
    """Farhana's portal account, and what this morning's visit left: a verified blood glucose,
    paracetamol, an issued invoice; and an appointment the desk booked her for tomorrow 17:00."""
    clinic = day_clinic
    user = make_user("farhana", role=Role.PATIENT, hospital=day_clinic.people["desk"].hospital)
    user.first_name, user.last_name = "Farhana", "Chowdhury"
    user.save()
    patient = clinic.patients["Farhana"]
    visit = clinic.visit("Farhana", datetime.time(11), "Fever and sore throat")
    clinic.glucose(visit)
    clinic.paracetamol(visit)
    nurse = clinic.people["nurse_nila"]
    with hospital_context(CODE):
        StaffMemberFactory(user=clinic.doctor, department=DepartmentFactory(name="General medicine"))
        patient_portal_link(acting_user=clinic.people["desk"], patient=patient, user=user)
        order = LabOrder.objects.get(encounter=visit)
        lab_order_collect(acting_user=nurse, order_id=order.pk)
        result = lab_result_enter(acting_user=nurse, order_id=order.pk, value="92", unit="mg/dL")
        lab_result_verify(acting_user=clinic.doctor, result_id=result.pk)
    clinic.finish(visit)
    with hospital_context(CODE):
        invoice = invoice_create_for_encounter(acting_user=clinic.people["desk"], encounter_id=visit.pk)
        invoice_line_add(acting_user=clinic.people["desk"], invoice_id=invoice.pk, item_code="CONSULT")
        invoice_issue(acting_user=clinic.people["desk"], invoice_id=invoice.pk)
        tomorrow = timezone.now().astimezone(hospital_zone()).date() + datetime.timedelta(days=1)
        appointment_book(
            acting_user=clinic.people["desk"],
            patient=patient,
            practitioner_user_id=clinic.doctor.pk,
            local_date=tomorrow,
            local_time=datetime.time(17),
            duration_minutes=SLOT_MINUTES,
            reason="Throat check",
        )
    return clinic, patient, tomorrow


def test_a_patient_reads_her_record_books_a_follow_up_and_cancels_an_appointment(screen, farhana):
    clinic, patient, tomorrow = farhana
    page = screen.page
    screen.sign_in("farhana")
    expect(page.get_by_role("heading", name="Riverside General Hospital")).to_be_visible()

    # Her start page: what is coming, and what her visit left behind.
    coming = page.locator("#portal-appointments")
    expect(coming.locator("tbody tr")).to_have_count(1)  # this morning's visit is over
    expect(coming).to_contain_text(f"{_day_label(tomorrow)} {tomorrow.year}, 17:00")
    expect(coming).to_contain_text("Karim Ahmed")
    expect(page.locator("#portal-results")).to_contain_text("Glucose")
    expect(page.locator("#portal-results")).not_to_contain_text("[Mass/volume]")  # LOINC's long name
    expect(page.locator("#portal-results")).to_contain_text("92")
    expect(page.locator("#portal-prescriptions")).to_contain_text("Paracetamol 500 mg tablets")
    expect(page.locator("#portal-invoices")).to_contain_text("1,000.00")
    expect(page.locator("#portal-invoices")).to_contain_text("Issued")
    screen.check("start-patient")

    # She books a follow-up herself: the doctor (by department), a free time, the reason.
    # from her menu, on every page while the hospital takes bookings online
    page.locator("nav.hospital-nav").get_by_role("link", name="Book an appointment").click()
    expect(page.get_by_role("heading", name="Book an appointment")).to_be_visible()
    page.get_by_label("Department and doctor").select_option(label="Dr Karim Ahmed")
    page.get_by_label("Free times from").fill(tomorrow.isoformat())
    page.get_by_role("button", name="Show free times").click()
    expect(page.get_by_role("heading", name="Free times with Dr Karim Ahmed")).to_be_visible()
    expect(page.get_by_role("link", name=f"{_day_label(tomorrow)} at 17:00")).to_have_count(0)  # hers already
    screen.check("patient-book")
    page.get_by_role("link", name=f"{_day_label(tomorrow)} at 09:30").click()
    expect(page.get_by_role("heading", name="Check and confirm")).to_be_visible()
    expect(page.locator(".portal-summary")).to_contain_text(
        f"{_day_label(tomorrow)} {tomorrow.year}, 09:30–10:00"
    )
    _answer_and_send(
        screen,
        page,
        ("Why would you like to see the doctor? (required)", "Glucose follow-up"),
        "patient-book-confirm",
        "Book this appointment",
        f"Booked: you will see Dr Karim Ahmed on {_day_label(tomorrow)} at 09:30.",
    )
    expect(coming.locator("tbody tr")).to_have_count(2)

    # She no longer needs the throat check: cancelled, after saying why.
    row = coming.locator("tr", has_text="Throat check")
    row.locator("summary", has_text="Cancel").click()
    _answer_and_send(
        screen,
        row,
        ("Why are you cancelling? (required)", "Throat is better"),
        "patient-cancel",
        "Yes, cancel it",
        f"Your appointment with Dr Karim Ahmed on {_day_label(tomorrow)} at 17:00 is cancelled.",
    )
    expect(coming.locator("tbody tr")).to_have_count(1)
    expect(coming).to_contain_text("Glucose follow-up")

    with hospital_context(CODE):
        mine = Appointment.objects.filter(patient=patient).order_by("starts_at")
        statuses = {a.reason: (a.status, a.booked_by_id) for a in mine}
        assert statuses["Glucose follow-up"] == (Appointment.Status.BOOKED, patient.user_id)
        assert statuses["Throat check"][0] == Appointment.Status.CANCELLED
        actions = set(AuditEvent.objects.filter(actor_id=patient.user_id).values_list("action", flat=True))
        assert {"appointment.upcoming_list", "appointment.book", "appointment.cancel"} <= actions
