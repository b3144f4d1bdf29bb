"""The doctor's day, in the browser: today's clinic, a patient's chart opened from it with her
allergy in plain sight, amoxicillin refused for her penicillin allergy, paracetamol prescribed
instead, and the visit's note written and signed."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from hms.encounters.models import ClinicalNote
from hms.orders.models import Prescription
from hms.scheduling.models import Appointment
from hms.tenancy.context import hospital_context
from hms.web.tests.browser.clinic import CODE, look

pytestmark = pytest.mark.django_db(transaction=True)


def test_doctor_sees_the_allergy_is_refused_amoxicillin_prescribes_and_signs_a_note(screen, day_clinic):
    clinic = day_clinic
    # The desk booked the morning's clinic; Farhana Chowdhury (allergic to penicillin) has arrived.
    appointment = clinic.book("Farhana", datetime.time(12, 0), "Fever and sore throat for three days")
    clinic.arrive(appointment)
    clinic.book("Rahima", datetime.time(12, 30), "Blood pressure review")
    # Sadia Islam is being seen; her blood glucose is back and waits for the doctor to verify it.
    seen = clinic.visit("Sadia", datetime.time(13, 0), "Tiredness and thirst")
    clinic.glucose_resulted(seen, "11.2")

    page = screen.page
    screen.sign_in("dr_karim")
    expect(page.locator("header")).to_contain_text("Dr Karim Ahmed")
    clinic_list = page.locator("#clinic")
    expect(
        clinic_list.locator("tr", has_text="Chowdhury, Farhana").locator(".status-arrived")
    ).to_be_visible()
    expect(clinic_list.locator("tr", has_text="Khatun, Rahima").locator(".status-booked")).to_be_visible()
    expect(page.locator("#open-encounters")).to_contain_text("Islam, Sadia")
    expect(page.locator("#to-verify").locator("tr", has_text="Islam, Sadia")).to_contain_text("Glucose")
    look(screen, "start-doctor")

    # Her chart, from the clinic list: the allergy is the first thing on it.
    clinic_list.get_by_role("link", name="Chowdhury, Farhana").click()
    banner = page.locator(".patient-banner")
    expect(banner).to_contain_text("Penicillin")
    expect(banner.locator(".allergy-severe")).to_be_visible()
    look(screen, "chart")
    # The visit starts from today's appointment, chosen already, with its reason.
    expect(page.get_by_label("From appointment")).to_have_value(str(appointment.pk))
    expect(page.get_by_label("Reason for the visit")).to_have_value("Fever and sore throat for three days")
    page.get_by_role("button", name="Start encounter").click()
    expect(
        page.get_by_role("heading", name=re.compile("^Encounter of .*: Chowdhury, Farhana$"))
    ).to_be_visible()

    # Amoxicillin, chosen from the formulary as she types, is refused for her allergy.
    page.get_by_role("link", name="Prescribe", exact=True).click()
    page.get_by_label("Drug (type to search the formulary)").press_sequentially("amoxi", delay=50)
    page.get_by_role("option", name=re.compile(r"^Amoxicillin \u2014")).click()
    page.get_by_label("Dose", exact=True).fill("500")
    page.get_by_label("Dose unit", exact=True).select_option(label="mg")
    page.get_by_label("Frequency").select_option(label="TDS: three times a day")
    page.get_by_label(re.compile("^Duration in days")).fill("5")
    page.get_by_role("button", name="Prescribe", exact=True).click()
    refusal = page.get_by_role("alert", name="Not prescribed")
    expect(refusal).to_contain_text("Penicillin")
    look(screen, "prescription-refused")

    # Paracetamol instead.
    page.get_by_label("Drug (type to search the formulary)").fill("")
    page.get_by_label("Drug (type to search the formulary)").press_sequentially("parac", delay=50)
    page.get_by_role("option", name=re.compile(r"^Paracetamol \u2014")).click()
    page.get_by_label("Strength of the product").fill("500 mg")
    page.get_by_label("Dose", exact=True).fill("2")
    page.get_by_label("Dose unit", exact=True).select_option(label="tablet(s)")
    page.get_by_label("Frequency").select_option(label="QDS: four times a day")
    page.get_by_label(re.compile("^Duration in days")).fill("3")
    page.get_by_label(re.compile("^Quantity to dispense")).fill("24")
    page.get_by_role("button", name="Prescribe", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Paracetamol")
    look(screen, "prescribed")

    # The note: written, then signed through its confirmation step.
    page.get_by_role("link", name="Home", exact=True).click()
    page.locator("#open-encounters").get_by_role("link", name="Chowdhury, Farhana").click()
    page.get_by_role("link", name="Write a note").click()
    soap = {
        "Subjective": "Fever and sore throat for three days; no cough.",
        "Objective": "Temperature 38.2 °C; inflamed tonsils without exudate.",
        "Assessment": "Viral pharyngitis.",
        "Plan": "Paracetamol, fluids; back if not better in three days. Penicillin allergy: no amoxicillin.",
    }
    for section, text in soap.items():
        page.get_by_label(section).fill(text)
    look(screen, "note-form")
    page.get_by_role("button", name="Save draft").click()
    page.locator("summary", has_text="Sign note").first.click()
    expect(page.get_by_text("Once signed it never changes")).to_be_visible()
    look(screen, "note-sign-confirm")
    page.get_by_role("button", name="Yes, sign the note").click()
    expect(page.locator(".messages")).to_contain_text("Note signed.")
    expect(page.locator("main")).to_contain_text("signed by Dr Karim Ahmed")
    look(screen, "note-signed")
    with hospital_context(CODE):
        assert list(Prescription.objects.values_list("drug_name", flat=True)) == ["Paracetamol"]
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.IN_CONSULTATION
        note = ClinicalNote.objects.get(patient=clinic.patients["Farhana"])
        assert note.status == ClinicalNote.Status.SIGNED and note.assessment == "Viral pharyngitis."
