"""A critical result, in the browser: a potassium of 6.9 validated by the laboratory waits at the
top of the ordering doctor's start page; a read-back that misstates it is refused, the right one
acknowledges it and the alert leaves the page."""

import datetime

import pytest
from playwright.sync_api import expect

from hms.accounts.models import Role
from hms.alerts.models import CriticalAlert
from hms.orders.services import lab_order_collect, lab_order_create, lab_result_enter, lab_result_verify
from hms.tenancy.context import hospital_context
from hms.web.tests.browser.clinic import CODE, look

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_doctor_acknowledges_a_critical_potassium_from_the_start_page(screen, day_clinic, make_user):
    clinic = day_clinic
    nurse = clinic.people["nurse_nila"]
    scientist = make_user("lab_tania", role=Role.LAB, hospital=clinic.doctor.hospital)
    visit = clinic.visit("Abdul", datetime.time(11, 0), "Weakness and palpitations")
    with hospital_context(CODE):
        (order,) = lab_order_create(acting_user=clinic.doctor, encounter_id=visit.pk, test_code="2823-3")
        lab_order_collect(acting_user=nurse, order_id=order.pk)
        result = lab_result_enter(acting_user=nurse, order_id=order.pk, value="6.9", unit="mmol/L")
        lab_result_verify(acting_user=scientist, result_id=result.pk)

    page = screen.page
    screen.sign_in("dr_karim")
    alerts = page.locator("#critical-alerts")
    expect(alerts).to_contain_text("Critical results to acknowledge (1)")
    row = alerts.locator("tr", has_text="Malik, Abdul")
    expect(row).to_contain_text("Potassium 6.9 mmol/L (HH)")
    look(screen, "start-doctor-critical")

    # Misheard as 9.6: refused, nothing recorded, what was typed kept in the field.
    row.get_by_label("Read back the value and what you will do").fill("K 9.6, will repeat")
    row.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("alert")).to_contain_text("does not state the value 6.9")
    field = page.get_by_label("Read back the value and what you will do")
    expect(field).to_have_value("K 9.6, will repeat")
    look(screen, "critical-read-back-refused")

    field.fill("K 6.9 mmol/L: ECG now, calcium gluconate, repeat K")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".messages")).to_contain_text("Acknowledged: Potassium 6.9 mmol/L (HH)")
    expect(page.locator("#critical-alerts")).to_have_count(0)
    expect(page.locator("#clinic")).to_be_visible()  # back on the start page
    with hospital_context(CODE):
        alert = CriticalAlert.objects.get()
        assert alert.acknowledged_by_id == clinic.doctor.pk
        assert alert.read_back == "K 6.9 mmol/L: ECG now, calcium gluconate, repeat K"
