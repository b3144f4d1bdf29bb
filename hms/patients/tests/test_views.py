"""The patient pages: registration, the record, edits; refusals are 403/404/400, never 500."""

import re

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.patients.models import NextOfKin, Patient, PatientIdentifier
from hms.patients.tests.factories import NextOfKinFactory, PatientFactory, PatientIdentifierFactory
from hms.tenancy.connections import hospital_alias
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


def _url(name, hospital_code="TH001", **kwargs):
    """A patient page's address: `_url("detail", patient_id=7)`."""
    return reverse(f"patients:{name}", kwargs={"hospital_code": hospital_code, **kwargs})


def _home(hospital_code="TH001"):
    return reverse("hospital-home", kwargs={"hospital_code": hospital_code})


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
    response = client.post(_url("new"), REGISTRATION)
    with hospital_context("TH001"):
        patient = Patient.objects.get()
        assert list(PatientIdentifier.objects.values_list("system", "value")) == [("NATIONAL_ID", "NID-77")]
        assert NextOfKin.objects.get().name == "Chidi Okafor"
    assert response.status_code == 302
    assert response["Location"] == _url("detail", patient_id=patient.pk)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert patient.mrn in page.content.decode()


@pytest.mark.django_db
def test_a_likely_duplicate_is_shown_and_registers_only_once_confirmed(client, login):
    login(Role.RECEPTIONIST)
    client.post(_url("new"), REGISTRATION)
    again = {
        **REGISTRATION,
        "national_id": "",
        "kin_name": "",
        "kin_relationship": "",
        "given_name": "Aminah",
    }
    warned = client.post(_url("new"), again)
    assert warned.status_code == 400
    assert "Possibly already registered" in warned.content.decode()
    confirmed = client.post(_url("new"), {**again, "confirm_not_duplicate": "on"})
    assert confirmed.status_code == 302
    with hospital_context("TH001"):
        assert Patient.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "junk",
    [
        {"birth_date": "yesterday"},
        {"birth_date": "2999-99-99"},
        {"given_name": "", "family_name": ""},
        {"birth_date": "2999-01-01"},
        {"birth_date": "", "age_years": "131"},
        {"birth_date": "", "age_years": ""},
        {"age_years": "30"},
        {"sex": "banana"},
        {"email": "nope"},
        {"kin_name": "Only A Name", "kin_relationship": ""},
    ],
)
def test_bad_registrations_answer_400_with_the_reason_and_write_nothing(client, login, junk):
    login(Role.RECEPTIONIST)
    response = client.post(_url("new"), {**REGISTRATION, **junk})
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    with hospital_context("TH001"):
        assert not Patient.objects.exists()


@pytest.mark.django_db
def test_a_nurse_may_not_open_the_registration_page(client, login):
    login(Role.NURSE)
    assert client.get(_url("new")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("patient_id", ["999999", "abc", "1%3B%20drop"])
def test_unknown_records_answer_404(client, login, patient_id):
    login(Role.DOCTOR)
    # Written out: junk cannot be reversed, and how the address is read is part of what is tested.
    assert client.get(f"{_home()}patients/{patient_id}/").status_code == 404


@pytest.mark.django_db
def test_a_patient_opens_their_own_record_from_the_home_page_and_no_other(client, login, th001):
    user = login(Role.PATIENT, "amina")
    with hospital_context("TH001"):
        own = PatientFactory(user_id=user.pk)
        other = PatientFactory()
    home = client.get(_home()).content.decode()
    assert _url("detail", patient_id=own.pk) in home
    assert client.get(_url("detail", patient_id=own.pk)).status_code == 200
    assert client.get(_url("detail", patient_id=other.pk)).status_code == 404
    assert client.get(_url("edit", patient_id=own.pk)).status_code == 403


@pytest.mark.django_db
def test_another_hospitals_patient_is_not_found(client, login, make_hospital):
    make_hospital("DMC001")
    with hospital_context("DMC001"):
        elsewhere = PatientFactory()
    login(Role.DOCTOR)
    assert client.get(_url("detail", patient_id=elsewhere.pk)).status_code == 404
    assert client.get(_url("detail", "DMC001", patient_id=elsewhere.pk)).status_code == 404


@pytest.mark.django_db
def test_edits_and_additions_from_the_record_page(client, login):
    login(Role.RECEPTIONIST)
    with hospital_context("TH001"):
        patient = PatientFactory(given_name="Amina", family_name="Okafor")
    edit_url = _url("edit", patient_id=patient.pk)
    identifiers = _url("identifier-new", patient_id=patient.pk)
    next_of_kin = _url("next-of-kin-new", patient_id=patient.pk)
    edit = {
        "given_name": "Amina",
        "family_name": "Okafor",
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "phone": "+234 1 000",
        "email": "",
        "address": "",
    }
    assert client.post(edit_url, edit).status_code == 302
    assert client.post(identifiers, {"system": "INSURANCE", "value": "INS-1"}).status_code == 302
    assert client.post(identifiers, {"system": "INSURANCE", "value": "INS-1"}).status_code == 400
    assert client.post(identifiers, {"system": "NOPE", "value": "x"}).status_code == 400
    assert client.post(next_of_kin, {"name": "Chidi", "relationship": "brother"}).status_code == 302
    assert client.post(next_of_kin, {"name": "", "relationship": ""}).status_code == 400
    assert client.get(identifiers).status_code == 405
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
    make_user("doc", role=Role.DOCTOR, hospital=th001)
    with hospital_context("TH001"):
        patient = PatientFactory()
    url = _url("portal-link", patient_id=patient.pk)
    refused = client.post(url, {"username": "doc"})
    assert refused.status_code == 400
    assert "There is no patient account named doc in this hospital" in refused.content.decode()
    assert client.post(url, {"username": " amina "}).status_code == 302
    with hospital_context("TH001"):
        assert Patient.objects.get().user_id == portal.pk
    page = client.get(_url("detail", patient_id=patient.pk)).content.decode()
    assert "linked to the patient account <strong>amina</strong>" in page
    assert _url("portal-unlink", patient_id=patient.pk) in page


@pytest.mark.django_db
def test_another_hospitals_account_is_answered_as_one_that_does_not_exist(
    client, login, make_user, make_hospital
):
    login(Role.RECEPTIONIST)
    make_user("far_away", role=Role.PATIENT, hospital=make_hospital("DMC001"))
    with hospital_context("TH001"):
        patient = PatientFactory()
    url = _url("portal-link", patient_id=patient.pk)
    answers = []
    for name in ("far_away", "no_such_person"):
        response = client.post(url, {"username": name})
        assert response.status_code == 400
        portal = response.content.decode().split("<h2>Patient portal</h2>")[1]
        answers.append(re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", portal).replace(name, "NAME"))
    assert answers[0] == answers[1]
    assert "There is no patient account named NAME in this hospital" in answers[0]
    with hospital_context("TH001"):
        assert Patient.objects.get().user_id is None


@pytest.mark.django_db
def test_a_linked_record_is_relinked_only_after_an_audited_unlink(client, login, make_user, th001):
    login(Role.RECEPTIONIST)
    first = make_user("amina", role=Role.PATIENT, hospital=th001)
    second = make_user("amina2", role=Role.PATIENT, hospital=th001)
    with hospital_context("TH001"):
        patient = PatientFactory()
    link, unlink = _url("portal-link", patient_id=patient.pk), _url("portal-unlink", patient_id=patient.pk)
    assert client.post(link, {"username": "amina"}).status_code == 302
    moved = client.post(link, {"username": "amina2"})
    assert moved.status_code == 400
    assert "already linked to a patient account: unlink it first" in moved.content.decode()
    unconfirmed = client.post(unlink, {})
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm the unlinking" in unconfirmed.content.decode()
    with hospital_context("TH001"):
        assert Patient.objects.get().user_id == first.pk
    assert client.post(unlink, {"confirm": "on"}).status_code == 302
    with hospital_context("TH001"):
        assert Patient.objects.get().user_id is None
    again = client.post(unlink, {"confirm": "on"})
    assert again.status_code == 400 and "not linked to a patient account" in again.content.decode()
    assert client.post(link, {"username": "amina2"}).status_code == 302
    with hospital_context("TH001"):
        assert Patient.objects.get().user_id == second.pk
        events = [
            (e.action, e.detail.get("user_id"))
            for e in AuditEvent.objects.filter(action__startswith="patient.portal").order_by("id")
        ]
    assert events == [
        ("patient.portal_link", first.pk),
        ("patient.portal_unlink", first.pk),
        ("patient.portal_link", second.pk),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.NURSE, Role.PATIENT])
def test_who_may_not_update_a_record_may_not_unlink_it(client, login, make_user, th001, role):
    portal = make_user("amina", role=Role.PATIENT, hospital=th001)
    with hospital_context("TH001"):
        patient = PatientFactory(user_id=portal.pk)
    login(role)
    response = client.post(_url("portal-unlink", patient_id=patient.pk), {"confirm": "on"})
    assert response.status_code in (403, 404)
    with hospital_context("TH001"):
        assert Patient.objects.get().user_id == portal.pk


@pytest.mark.django_db
def test_the_record_page_has_a_plain_title_and_one_portal_form(client, login):
    login(Role.RECEPTIONIST)
    with hospital_context("TH001"):
        patient = PatientFactory(given_name="Amina", family_name="Okafor")
    body = client.get(_url("detail", patient_id=patient.pk)).content.decode()
    title = body.split("<title>")[1].split("</title>")[0]
    assert title == "Amina Okafor &middot; Test Hospital"
    assert body.count(f'action="{_url("portal-link", patient_id=patient.pk)}"') == 1


def _queries(client, url, hospital_code="TH001"):
    """The page at `url` (200) and the queries it ran: (on the shared database, on the hospital's)."""
    with (
        CaptureQueriesContext(connections["default"]) as shared,
        CaptureQueriesContext(connections[hospital_alias(hospital_code)]) as hospital,
    ):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), (len(shared), len(hospital))


@pytest.mark.django_db
def test_the_record_page_runs_the_same_queries_for_three_times_the_identifiers_and_next_of_kin(client, login):
    login(Role.RECEPTIONIST)
    counts = []
    for number in (3, 9):
        with hospital_context("TH001"):
            patient = PatientFactory()
            identifiers = PatientIdentifierFactory.create_batch(number, patient=patient)
            kin = NextOfKinFactory.create_batch(number, patient=patient)
        url = _url("detail", patient_id=patient.pk)
        client.get(url)  # sign-in and per-process look-ups out of the way
        body, count = _queries(client, url)
        assert all(row.value in body for row in identifiers)
        assert all(escape(person.name) in body for person in kin)
        counts.append(count)
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_an_age_instead_of_a_birth_date_registers_an_estimated_date_shown_as_such(client, login):
    login(Role.RECEPTIONIST)
    response = client.post(_url("new"), {**REGISTRATION, "birth_date": "", "age_years": "40"})
    assert response.status_code == 302
    with hospital_context("TH001"):
        patient = Patient.objects.get()
    assert patient.birth_date_estimated is True
    assert 39 <= (patient.created_at.date() - patient.birth_date).days // 365 <= 40
    page = client.get(response["Location"]).content.decode()
    assert f"born {patient.birth_date:%Y-%m-%d} (estimated)" in page
    assert "(estimated)</span>" in page  # the banner too


@pytest.mark.django_db
def test_a_patient_with_one_name_registers_and_is_shown_by_that_name(client, login):
    login(Role.RECEPTIONIST)
    response = client.post(_url("new"), {**REGISTRATION, "given_name": "Aung", "family_name": ""})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "<h1>Aung</h1>" in page
    assert "<strong>Aung</strong></a>" in page  # the banner
    assert ", Aung" not in page and "Aung ," not in page


@pytest.mark.django_db
def test_a_doctor_records_a_death_and_the_banner_shows_it(client, login):
    login(Role.DOCTOR)
    with hospital_context("TH001"):
        patient = PatientFactory(birth_date="1950-01-01")
    record = _url("detail", patient_id=patient.pk)
    assert "Record death" in client.get(record).content.decode()
    death = _url("death-record", patient_id=patient.pk)
    unconfirmed = client.post(death, {"deceased_at": "2026-01-03T04:30"})
    assert unconfirmed.status_code == 400
    assert "Confirm that the patient has died" in unconfirmed.content.decode()
    assert client.post(death, {"deceased_at": "2026-01-03T04:30", "confirm": "on"}).status_code == 302
    page = client.get(record).content.decode()
    assert "Deceased 3 Jan 2026" in page
    assert "76 y at death" in page  # born 1 January 1950: the age stops at the death
    assert "Record death" not in page
    assert "Take back the recorded death" not in page  # the administrator's


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.NURSE])
def test_other_roles_see_no_death_form_and_are_refused(client, login, role):
    login(role)
    with hospital_context("TH001"):
        patient = PatientFactory()
    assert "Record death" not in client.get(_url("detail", patient_id=patient.pk)).content.decode()
    response = client.post(
        _url("death-record", patient_id=patient.pk), {"deceased_at": "2026-01-03T04:30", "confirm": "on"}
    )
    assert response.status_code == 403
    with hospital_context("TH001"):
        assert Patient.objects.get().deceased_at is None


@pytest.mark.django_db
def test_the_admin_takes_back_a_death_with_a_reason(client, login, make_user, th001):
    admin = login(Role.ADMIN)
    with hospital_context("TH001"):
        patient = PatientFactory(deceased_at="2026-01-03T04:30Z", deceased_recorded_by=admin.pk)
    undo = _url("death-undo", patient_id=patient.pk)
    assert (
        "Take back the recorded death" in client.get(_url("detail", patient_id=patient.pk)).content.decode()
    )
    assert client.post(undo, {"reason": ""}).status_code == 400
    assert client.post(undo, {"reason": "Wrong patient"}).status_code == 302
    with hospital_context("TH001"):
        assert Patient.objects.get().deceased_at is None
        assert AuditEvent.objects.filter(action="patient.death_undo").count() == 1
