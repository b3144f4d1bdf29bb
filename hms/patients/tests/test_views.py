"""The patient pages: registration, the record, edits; refusals are 403/404/400, never 500."""

import pytest

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.patients.models import NextOfKin, Patient, PatientIdentifier
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context

REGISTRATION = {
    "given_name": "Amina",
    "family_name": "Okafor",
    "birth_date": "1990-04-02",
    "sex": "female",
    "phone": "",
    "email": "",
    "address": "",
    "national_id": "NID-77",
    "insurance_number": "",
    "kin_name": "Chidi Okafor",
    "kin_relationship": "brother",
    "kin_phone": "",
}


@pytest.fixture
def th001(make_hospital):
    return make_hospital("TH001", name="Test Hospital")


@pytest.fixture
def login(client, make_user, th001):
    def as_role(role, username="user", hospital=th001):
        user = make_user(username, role=role, hospital=hospital)
        client.force_login(user)
        return user

    return as_role


@pytest.mark.django_db
def test_a_receptionist_registers_a_patient_and_lands_on_the_record(client, login):
    login(Role.RECEPTIONIST)
    response = client.post("/h/TH001/patients/new/", REGISTRATION)
    with hospital_context("TH001"):
        patient = Patient.objects.get()
        assert list(PatientIdentifier.objects.values_list("system", "value")) == [("NATIONAL_ID", "NID-77")]
        assert NextOfKin.objects.get().name == "Chidi Okafor"
    assert response.status_code == 302
    assert response["Location"] == f"/h/TH001/patients/{patient.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert patient.mrn in page.content.decode()


@pytest.mark.django_db
def test_a_likely_duplicate_is_shown_and_registers_only_once_confirmed(client, login):
    login(Role.RECEPTIONIST)
    client.post("/h/TH001/patients/new/", REGISTRATION)
    again = {
        **REGISTRATION,
        "national_id": "",
        "kin_name": "",
        "kin_relationship": "",
        "given_name": "Aminah",
    }
    warned = client.post("/h/TH001/patients/new/", again)
    assert warned.status_code == 400
    assert "Possibly already registered" in warned.content.decode()
    confirmed = client.post("/h/TH001/patients/new/", {**again, "confirm_not_duplicate": "on"})
    assert confirmed.status_code == 302
    with hospital_context("TH001"):
        assert Patient.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "junk",
    [
        {"birth_date": "yesterday"},
        {"birth_date": "2999-99-99"},
        {"given_name": ""},
        {"sex": "banana"},
        {"email": "nope"},
        {"kin_name": "Only A Name", "kin_relationship": ""},
    ],
)
def test_bad_registrations_answer_400_with_the_reason_and_write_nothing(client, login, junk):
    login(Role.RECEPTIONIST)
    response = client.post("/h/TH001/patients/new/", {**REGISTRATION, **junk})
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    with hospital_context("TH001"):
        assert not Patient.objects.exists()


@pytest.mark.django_db
def test_a_nurse_may_not_open_the_registration_page(client, login):
    login(Role.NURSE)
    assert client.get("/h/TH001/patients/new/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("patient_id", ["999999", "abc", "1%3B%20drop"])
def test_unknown_records_answer_404(client, login, patient_id):
    login(Role.DOCTOR)
    assert client.get(f"/h/TH001/patients/{patient_id}/").status_code == 404


@pytest.mark.django_db
def test_a_patient_opens_their_own_record_from_the_home_page_and_no_other(client, login, th001):
    user = login(Role.PATIENT, "amina")
    with hospital_context("TH001"):
        own = PatientFactory(user_id=user.pk)
        other = PatientFactory()
    home = client.get("/h/TH001/").content.decode()
    assert f"/h/TH001/patients/{own.pk}/" in home
    assert client.get(f"/h/TH001/patients/{own.pk}/").status_code == 200
    assert client.get(f"/h/TH001/patients/{other.pk}/").status_code == 404
    assert client.get(f"/h/TH001/patients/{own.pk}/edit/").status_code == 403


@pytest.mark.django_db
def test_another_hospitals_patient_is_not_found(client, login, make_hospital):
    make_hospital("DMC001")
    with hospital_context("DMC001"):
        elsewhere = PatientFactory()
    login(Role.DOCTOR)
    assert client.get(f"/h/TH001/patients/{elsewhere.pk}/").status_code == 404
    assert client.get(f"/h/DMC001/patients/{elsewhere.pk}/").status_code == 404


@pytest.mark.django_db
def test_edits_and_additions_from_the_record_page(client, login):
    login(Role.RECEPTIONIST)
    with hospital_context("TH001"):
        patient = PatientFactory(given_name="Amina", family_name="Okafor")
    base = f"/h/TH001/patients/{patient.pk}/"
    edit = {
        "given_name": "Amina",
        "family_name": "Okafor",
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "phone": "+234 1 000",
        "email": "",
        "address": "",
    }
    assert client.post(base + "edit/", edit).status_code == 302
    assert client.post(base + "identifiers/", {"system": "INSURANCE", "value": "INS-1"}).status_code == 302
    assert client.post(base + "identifiers/", {"system": "INSURANCE", "value": "INS-1"}).status_code == 400
    assert client.post(base + "identifiers/", {"system": "NOPE", "value": "x"}).status_code == 400
    assert client.post(base + "next-of-kin/", {"name": "Chidi", "relationship": "brother"}).status_code == 302
    assert client.post(base + "next-of-kin/", {"name": "", "relationship": ""}).status_code == 400
    assert client.get(base + "identifiers/").status_code == 405
    with hospital_context("TH001"):
        stored = Patient.objects.get()
        actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert stored.phone == "+234 1 000"
    assert actions.count("patient.update") == 1
    assert actions.count("patient.identifier_add") == 1
    assert actions.count("patient.next_of_kin_add") == 1


@pytest.mark.django_db
def test_reception_links_a_patient_account_from_the_record(client, login, make_user, th001):
    login(Role.RECEPTIONIST)
    portal = make_user("amina", role=Role.PATIENT, hospital=th001)
    doctor = make_user("doc", role=Role.DOCTOR, hospital=th001)
    with hospital_context("TH001"):
        patient = PatientFactory()
    url = f"/h/TH001/patients/{patient.pk}/portal/"
    assert client.post(url, {"username": "nobody"}).status_code == 400
    refused = client.post(url, {"username": doctor.username})
    assert refused.status_code == 400
    assert "not a patient account of this hospital" in refused.content.decode()
    assert client.post(url, {"username": " amina "}).status_code == 302
    with hospital_context("TH001"):
        assert Patient.objects.get().user_id == portal.pk
    assert "linked to a patient account" in client.get(f"/h/TH001/patients/{patient.pk}/").content.decode()


@pytest.mark.django_db
def test_the_record_page_has_a_plain_title_and_one_portal_form(client, login):
    login(Role.RECEPTIONIST)
    with hospital_context("TH001"):
        patient = PatientFactory(given_name="Amina", family_name="Okafor")
    body = client.get(f"/h/TH001/patients/{patient.pk}/").content.decode()
    title = body.split("<title>")[1].split("</title>")[0]
    assert title == "Amina Okafor &middot; Test Hospital"
    assert body.count(f'action="/h/TH001/patients/{patient.pk}/portal/"') == 1
