"""The reception desk's day, in the browser: book a patient into a free slot of the doctor's
calendar, check them in when they come, and at the end of the visit invoice it from what the
doctor ordered and prescribed, issue the invoice and take the payment."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from hms.billing.models import Invoice, Payment
from hms.scheduling.models import Appointment
from hms.tenancy.context import hospital_context
from hms.web.tests.browser.clinic import CODE, look

pytestmark = pytest.mark.django_db(transaction=True)


def test_reception_books_checks_in_and_invoices_the_visit(screen, day_clinic):
    clinic = day_clinic
    # The day's list so far: Rahima Khatun is booked at 12:30; Abdul Malik came early for 13:00.
    clinic.book("Rahima", datetime.time(12, 30), "Blood pressure review")
    clinic.arrive(clinic.book("Abdul", datetime.time(13, 0), "Cough for two weeks"))
    page = screen.page
    screen.sign_in("desk")
    expect(page.get_by_role("heading", name="Riverside General Hospital")).to_be_visible()
    expect(page.locator("header")).to_contain_text("Rina Das")
    look(screen, "start-reception")

    # Morning: Farhana Chowdhury phones; the desk finds a free slot on Dr Ahmed's calendar.
    page.get_by_role("link", name="Appointments", exact=True).click()
    page.get_by_role("link", name="Day calendar").click()
    page.get_by_label("Doctor").select_option(label="Dr Karim Ahmed")
    page.get_by_role("button", name="Show").click()
    look(screen, "calendar")
    page.get_by_role("link", name=re.compile(r"^Book Dr Karim Ahmed on .* at 11:30$")).click()

    # The booking form comes filled in with the doctor, the day and the time; the patient is
    # found by typing part of her name and choosing her from the matches.
    expect(page.get_by_label("Time (hh:mm)")).to_have_value("11:30")
    expect(page.get_by_label("Duration (minutes)")).to_have_value("30")  # the slot's length
    page.get_by_label("Patient: search by name, MRN or phone number").press_sequentially("Far", delay=50)
    choice = page.get_by_role("button", name=re.compile(r"^Chowdhury, Farhana"))
    expect(choice).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Hossain, Farid"))).to_be_visible()
    look(screen, "booking-picker")
    choice.click()
    expect(page.locator(".picker-chosen")).to_contain_text("Chowdhury, Farhana")
    page.get_by_label("Reason for the visit (required)").fill("Fever and sore throat for three days")
    look(screen, "booking")
    page.get_by_role("button", name="Book", exact=True).last.click()
    expect(page.locator(".messages")).to_contain_text(re.compile(r"Booked Chowdhury, Farhana for .* 11:30"))

    # She comes in: checked in from the day list.
    row = page.locator("tr", has_text="Chowdhury, Farhana")
    row.get_by_role("button", name="Arrived").click()
    row = page.locator("tr", has_text="Chowdhury, Farhana")
    expect(row.locator(".status-arrived")).to_have_text("Arrived")
    expect(row).to_contain_text("11:30–12:00")
    look(screen, "day-list")
    with hospital_context(CODE):
        appointment = Appointment.objects.get(patient=clinic.patients["Farhana"])
        assert appointment.status == Appointment.Status.ARRIVED
        assert appointment.reason == "Fever and sore throat for three days"

    # The doctor sees her, orders a blood count and prescribes paracetamol (their own test walks
    # through those pages); the visit ends.
    encounter = clinic.start_visit(appointment)
    clinic.full_blood_count(encounter)
    clinic.paracetamol(encounter)
    clinic.finish(encounter)

    # Afternoon: the desk invoices the visit from what was ordered and prescribed.
    page.get_by_role("link", name="Home", exact=True).click()
    page.get_by_role("link", name="Billing", exact=True).click()
    look(screen, "billing")
    page.locator("tr", has_text="Chowdhury, Farhana").get_by_role("link", name="Invoice this visit").click()
    look(screen, "visit-to-invoice")
    page.get_by_role("button", name="Open a draft invoice").click()
    expect(page.get_by_role("heading", name="From this visit")).to_be_visible()
    # The blood count is priced from the price list and ticked; the paracetamol has no price
    # of its own code, so the desk picks its item and ticks it.
    expect(page.get_by_label("Full blood count", exact=True)).to_be_checked()
    paracetamol = page.get_by_label("Paracetamol 500 mg tablets", exact=True)
    expect(paracetamol).not_to_be_checked()
    page.get_by_label("Price list item for Paracetamol 500 mg tablets").select_option(
        label="Paracetamol 500 mg tablets (PARACETAMOL) · 2.00"
    )
    paracetamol.check()
    look(screen, "invoice-proposed")
    page.get_by_role("button", name="Add the ticked lines").click()
    page.get_by_label("Item", exact=True).select_option(label="CONSULT · Consultation · 1,000.00")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#balance")).to_have_text("1,424.00")

    page.locator("summary", has_text="Issue the invoice").click()
    expect(page.get_by_text("Issue it to Farhana Chowdhury for BDT 1,424.00?")).to_be_visible()
    page.get_by_role("button", name="Yes, issue the invoice").click()
    expect(page.locator("h1 .status-issued")).to_have_text("Issued")

    page.get_by_label(re.compile(r"^Amount \(BDT")).fill("1424")
    page.get_by_label("Method").select_option(label="Cash")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator("h1 .status-paid")).to_have_text("Paid")
    expect(page.locator("#balance")).to_have_text("0.00")
    expect(page.locator("main")).to_contain_text("by Rina Das")  # who issued it, by name
    look(screen, "invoice")
    with hospital_context(CODE):
        invoice = Invoice.objects.get(encounter=encounter)
        assert invoice.status == Invoice.Status.PAID and invoice.number.startswith("RGH")
        assert Payment.objects.get(invoice=invoice).amount == Decimal("1424.00")
