"""A walk-in and a break-the-glass, done in the browser as reception and doctors do them."""

import pytest

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.encounters.tests.factories import AllergyFactory
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clinic(make_hospital, make_user):
    hospital = make_hospital("TH001", name="Tangail General")
    people = {
        "desk": make_user("desk", role=Role.RECEPTIONIST, hospital=hospital),
        "dr_karim": make_user("dr_karim", role=Role.DOCTOR, hospital=hospital),
        "dr_nila": make_user("dr_nila", role=Role.DOCTOR, hospital=hospital),
        "admin": make_user("th_admin", role=Role.ADMIN, hospital=hospital),
    }
    names = [("Rina", "Das"), ("Karim", "Ahmed"), ("Nila", "Sen"), ("Asha", "Roy")]
    for user, (first, last) in zip(people.values(), names, strict=True):
        user.first_name, user.last_name = first, last
        user.save()
    with hospital_context("TH001"):
        patient = PatientFactory(given_name="Farhana", family_name="Chowdhury-Rahmatullah-Bhuiyan-Talukder")
        AllergyFactory(patient=patient, substance="Penicillin", severity="severe", reaction="Anaphylaxis")
    return people, patient


def test_reception_sends_a_walk_in_and_the_doctor_starts_the_visit(screen, clinic):
    people, patient = clinic
    screen.sign_in("desk")
    screen.open(f"/h/TH001/patients/{patient.pk}/")
    screen.check("patient-page-reception")
    screen.page.get_by_role("link", name="Send to a clinician (walk-in)").click()
    screen.page.get_by_label("Clinician").select_option(label="Dr Karim Ahmed")
    screen.page.get_by_label("Reason for the visit").fill("Fever for three days")
    screen.check("walk-in-form")
    screen.page.get_by_role("button", name="Send").click()
    assert "was sent to Dr Karim Ahmed" in screen.page.content()

    screen.sign_in("dr_karim")
    screen.open(f"/h/TH001/encounters/patients/{patient.pk}/")
    assert "Penicillin" in screen.page.content()  # the record is open: in their care
    screen.page.get_by_role("button", name="Start encounter").click()
    screen.page.wait_for_load_state()
    assert "/encounters/" in screen.page.url and "Fever" not in screen.page.url
    screen.check("encounter-page-doctor")


def test_a_doctor_outside_care_breaks_the_glass_and_the_admin_reviews_it(screen, clinic):
    people, patient = clinic
    screen.sign_in("dr_nila")
    screen.open(f"/h/TH001/encounters/patients/{patient.pk}/")
    assert "Not in your care" in screen.page.content() and "Penicillin" not in screen.page.content()
    screen.check("break-the-glass-offer")
    screen.page.get_by_label("Why do you need this record?").select_option(label="Emergency treatment")
    screen.page.get_by_role("button", name="Open with emergency access").click()
    screen.page.wait_for_load_state()
    body = screen.page.content()
    assert "Emergency access" in body and "Penicillin" in body
    screen.check("break-the-glass-open")

    screen.sign_in("th_admin")
    screen.open("/h/TH001/care/emergency-access/")
    assert "dr_nila" in screen.page.content()
    screen.check("emergency-access-review")
    screen.page.get_by_label("Review note").fill("Called to the emergency room; appropriate.")
    screen.page.get_by_role("button", name="Mark reviewed").click()
    assert "Nothing to review" in screen.page.content()
    with hospital_context("TH001"):
        assert AuditEvent.objects.filter(action="emergency_access.review").count() == 1
