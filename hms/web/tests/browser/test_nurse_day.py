"""The nurse's day, in the browser: the queue of arrived patients waiting for vital signs, their
vital signs recorded, and the lab worklist (a specimen collected, its result entered)."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from hms.encounters.models import Observation
from hms.orders.models import LabOrder
from hms.tenancy.context import hospital_context
from hms.web.tests.browser.clinic import CODE, look

pytestmark = pytest.mark.django_db(transaction=True)


def test_nurse_records_vital_signs_from_the_queue_and_works_the_lab_worklist(screen, day_clinic):
    clinic = day_clinic
    # The morning so far: Rahima Khatun has arrived and the doctor has started her visit; Abdul
    # Malik has arrived and waits; Sadia Islam was seen and a blood glucose ordered.
    visit = clinic.visit("Rahima", datetime.time(12, 0), "Headache and dizziness")
    clinic.arrive(clinic.book("Abdul", datetime.time(12, 30), "Cough"))
    seen = clinic.visit("Sadia", datetime.time(13, 0), "Tiredness")
    clinic.glucose(seen)

    page = screen.page
    screen.sign_in("nurse_nila")
    expect(page.locator("header")).to_contain_text("Nila Sen (Nurse)")
    queue = page.locator("#vitals-due")
    expect(queue.locator("tr", has_text="Khatun, Rahima")).to_contain_text("Karim Ahmed")
    expect(queue.locator("tr", has_text="Malik, Abdul")).to_contain_text("visit not started yet")
    expect(page.locator("#lab-worklist")).to_contain_text("1 specimen to collect")
    look(screen, "start-nurse")

    queue.locator("tr", has_text="Khatun, Rahima").get_by_role("link", name="Record vital signs").click()
    expect(page.locator(".patient-banner")).to_contain_text("Rahima Khatun")
    measured = {
        "Body temperature": "38.4",
        "Heart rate": "96",
        "Systolic blood pressure": "150",
        "Diastolic blood pressure": "95",
        "Respiratory rate": "18",
        "Oxygen saturation (SpO2)": "97",
        "Body weight": "61",
        "Body height": "155",
    }
    for vital, value in measured.items():
        page.get_by_label(vital, exact=True).fill(value)
    look(screen, "vitals-form")
    page.get_by_role("button", name="Record").click()
    expect(page.locator(".messages")).to_contain_text("Recorded")
    expect(page.locator("main")).to_contain_text("38.4 °C")
    look(screen, "vitals-recorded")
    with hospital_context(CODE):
        assert Observation.objects.filter(encounter=visit).count() == 10  # the BMI and the BP panel too

    # Back on the queue, Rahima is done; Abdul still waits for the doctor to start his visit.
    page.get_by_role("link", name="Home", exact=True).click()
    expect(page.locator("#vitals-due")).not_to_contain_text("Khatun, Rahima")
    expect(page.locator("#vitals-due")).to_contain_text("Malik, Abdul")

    # The lab worklist: Sadia's specimen is collected and her result entered.
    page.get_by_role("link", name="1 specimen to collect").click()
    row = page.locator("tr", has_text="Islam, Sadia")
    expect(row.locator(".status-ordered")).to_have_text("Ordered")
    look(screen, "lab-worklist")
    row.get_by_role("link", name="Glucose").click()
    page.get_by_role("button", name="Specimen collected").click()
    expect(page.locator(".messages")).to_contain_text("Specimen collected: enter the result.")
    page.get_by_label("Value", exact=True).fill("7.8")
    page.get_by_label(re.compile("^Unit")).select_option(label="mmol/L")
    page.get_by_role("button", name="Save result").click()
    expect(page.locator(".messages")).to_contain_text("Result saved: 7.8 mmol/L (high).")
    look(screen, "lab-result-entered")
    with hospital_context(CODE):
        order = LabOrder.objects.get(encounter=seen)
        assert order.status == LabOrder.Status.RESULTED
        result = order.results.get()
        # kept in the unit it was entered in, with that unit's LOINC code (glucose in mmol/L)
        assert (result.value_numeric, result.unit, result.loinc_code) == (Decimal("7.8"), "mmol/L", "14749-6")
        assert (result.entered_value, result.entered_unit) == ("7.8", "mmol/L")
