import re

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.connections import hospital_alias
from hms.tenancy.context import hospital_context

STAFF = [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.ADMIN]
MRN_CELL = re.compile(r"<td>(TH-\d+|DMC-\d+)</td>")


def _home(hospital_code="TH001"):
    """The patient list (menu "Patients"); the hospital's front page is each role's start page."""
    return reverse("patient-list", kwargs={"hospital_code": hospital_code})


def _front(hospital_code="TH001"):
    return reverse("hospital-home", kwargs={"hospital_code": hospital_code})


def _mrns_in(response):
    return MRN_CELL.findall(response.content.decode())


@pytest.fixture
def th001(make_hospital):
    hospital = make_hospital("TH001", name="Test Hospital")
    with hospital_context(hospital):
        Patient.objects.bulk_create(PatientFactory.build(mrn=f"TH-{number:03d}") for number in range(1, 31))
    return hospital


@pytest.fixture
def th001_patients(th001):
    """TH001's 30 patients in the list's order: family name, given name, id."""
    with hospital_context(th001):
        return sorted(Patient.objects.all(), key=lambda p: (p.family_name, p.given_name, p.pk))


@pytest.fixture
def dmc001(make_hospital):
    hospital = make_hospital("DMC001", name="Downtown Medical Center")
    with hospital_context(hospital):
        for number in range(1, 4):
            PatientFactory(mrn=f"DMC-{number:03d}")
    return hospital


def _login(client, make_user, role, hospital, username="user"):
    user = make_user(username, role=role, hospital=hospital)
    client.force_login(user)
    return user


@pytest.mark.django_db
@pytest.mark.parametrize("role", STAFF)
def test_staff_see_the_hospital_their_role_and_the_first_page_of_patients(
    client, make_user, th001, th001_patients, role
):
    user = _login(client, make_user, role, th001)

    response = client.get(_home())

    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Test Hospital</h1>" in body
    assert f"your role: <strong>{user.get_role_display()}</strong>" in body
    assert "Patients (30)" in body
    assert "Page 1 of 2" in body
    assert _mrns_in(response) == [p.mrn for p in th001_patients[:25]]
    assert 'href="?page=2"' in body
    with hospital_context("TH001"):
        event = AuditEvent.objects.get()
    assert (event.action, event.actor_id) == ("patient.list", user.pk)
    assert event.detail["patient_ids"] == [p.pk for p in th001_patients[:25]]
    assert event.client_address == "127.0.0.1"


@pytest.mark.django_db
def test_second_page_shows_the_rest(client, make_user, th001, th001_patients):
    _login(client, make_user, Role.NURSE, th001)

    response = client.get(_home(), {"page": "2"})

    assert response.status_code == 200
    assert _mrns_in(response) == [p.mrn for p in th001_patients[25:]]
    assert "Page 2 of 2" in response.content.decode()
    assert 'href="?page=1"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "shown"), [("abc", 1), ("9999", 2), ("0", 2), ("", 1)])
def test_bad_page_numbers_do_not_fail(client, make_user, th001, th001_patients, page, shown):
    _login(client, make_user, Role.DOCTOR, th001)

    response = client.get(_home(), {"page": page})

    assert response.status_code == 200
    assert f"Page {shown} of 2" in response.content.decode()
    expected = th001_patients[:25] if shown == 1 else th001_patients[25:]
    assert _mrns_in(response) == [p.mrn for p in expected]


@pytest.mark.django_db
def test_a_patient_user_sees_no_patient_list(client, make_user, th001, th001_patients):
    _login(client, make_user, Role.PATIENT, th001)

    response = client.get(_home())

    assert response.status_code == 200
    body = response.content.decode()
    assert "Test Hospital" in body
    assert "your role: <strong>Patient</strong>" in body
    assert "shown to hospital staff only" in body
    assert "<table>" not in body
    assert _mrns_in(response) == []
    for patient in th001_patients:
        assert patient.mrn not in body
    with hospital_context("TH001"):
        assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_empty_hospital_says_so(client, make_hospital, make_user):
    hospital = make_hospital("EMPTY01", name="Empty Clinic")
    _login(client, make_user, Role.ADMIN, hospital)

    response = client.get(_home("EMPTY01"))

    assert response.status_code == 200
    assert "No patients are registered yet." in response.content.decode()


@pytest.mark.django_db
def test_staff_of_one_hospital_never_see_another_hospitals_patients(
    client, make_user, th001, th001_patients, dmc001
):
    _login(client, make_user, Role.DOCTOR, dmc001, username="dmc_doctor")

    own = client.get(_home("DMC001"))
    other = client.get(_home())
    other_page = client.get(_home(), {"page": "2"})

    assert own.status_code == 200
    assert sorted(_mrns_in(own)) == ["DMC-001", "DMC-002", "DMC-003"]
    assert "Downtown Medical Center" in own.content.decode()
    for response in (own, other, other_page):
        body = response.content.decode()
        for patient in th001_patients:
            assert patient.mrn not in body
    # Another hospital's code answers exactly as an unknown code does.
    unknown = client.get(_home("NOPE01"))
    assert other.status_code == other_page.status_code == unknown.status_code == 404
    with hospital_context("TH001"):
        assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login(client, th001):
    response = client.get(_home())
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={_home()}"


@pytest.mark.django_db
def test_a_platform_superadmin_may_enter_any_hospital_but_sees_no_patient_list(
    client, make_user, th001, dmc001
):
    _login(client, make_user, Role.SUPERADMIN, None, username="root")

    for code, name in [("TH001", "Test Hospital"), ("DMC001", "Downtown Medical Center")]:
        response = client.get(_front(code))
        assert response.status_code == 200
        body = response.content.decode()
        assert f"<h1>{name}</h1>" in body
        assert "Platform super-administrator" in body
        assert "shown to hospital staff only" in body
        assert _mrns_in(response) == []


@pytest.mark.django_db
def test_staff_search_the_hospitals_patients_from_its_page(client, make_user, th001, dmc001):
    user = _login(client, make_user, Role.RECEPTIONIST, th001)
    with hospital_context("TH001"):
        Patient.objects.filter(mrn="TH-007").update(family_name="Zzyzx", family_name_norm="zzyzx")

    page = client.get(_home())
    found = client.get(_home(), {"q": "zzy"})
    by_mrn = client.get(_home(), {"q": "TH-012"})
    foreign = client.get(_home(), {"q": "DMC-001"})

    assert 'name="q"' in page.content.decode()
    assert _mrns_in(found) == ["TH-007"]
    assert "Patients matching &ldquo;zzy&rdquo; (1)" in found.content.decode()
    assert 'value="zzy"' in found.content.decode()
    assert _mrns_in(by_mrn) == ["TH-012"]
    assert _mrns_in(foreign) == []
    assert "No patient matches" in foreign.content.decode()
    with hospital_context("TH001"):
        events = list(AuditEvent.objects.order_by("id").values_list("action", "actor_id"))
    assert events == [("patient.list", user.pk)] + [("patient.search", user.pk)] * 3


@pytest.mark.django_db
def test_a_search_typed_on_a_start_page_is_answered_by_the_patient_list(client, make_user, th001):
    _login(client, make_user, Role.NURSE, th001)
    start = client.get(_front()).content.decode()
    assert f'action="{_home()}"' in start and 'name="q"' in start

    found = client.get(_front(), {"q": "TH-012"})

    assert found.status_code == 200
    assert _mrns_in(found) == ["TH-012"]


@pytest.mark.django_db
def test_search_result_pages_keep_the_query(client, make_user, th001, th001_patients):
    _login(client, make_user, Role.DOCTOR, th001)
    with hospital_context("TH001"):
        Patient.objects.update(given_name="Ana María", given_name_norm="ana maria")

    response = client.get(_home(), {"q": "ana m", "page": "1"})
    second = client.get(_home(), {"q": "ana m", "page": "2"})

    body = response.content.decode()
    assert "Page 1 of 2" in body
    assert 'href="?q=ana+m&amp;page=2"' in body
    # Every given name is now the same, so the order is by family name, then id.
    expected = sorted(th001_patients, key=lambda p: (p.family_name, p.pk))
    assert _mrns_in(response) + _mrns_in(second) == [p.mrn for p in expected]


def _queries(client, url, data, hospital_code):
    """The page at `url` (200) and the queries it ran: (on the shared database, on the hospital's)."""
    with (
        CaptureQueriesContext(connections["default"]) as shared,
        CaptureQueriesContext(connections[hospital_alias(hospital_code)]) as hospital,
    ):
        response = client.get(url, data)
    assert response.status_code == 200
    return response.content.decode(), (len(shared), len(hospital))


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "okafor"], ids=["list", "search"])
def test_the_patient_list_and_search_run_the_same_queries_for_three_times_the_rows(
    client, make_hospital, make_user, query
):
    hospital = make_hospital("QC001")
    _login(client, make_user, Role.RECEPTIONIST, hospital)
    counts = []
    for added, shown in ((5, 5), (10, 15)):
        with hospital_context(hospital):
            Patient.objects.bulk_create(
                PatientFactory.build_batch(added, family_name="Okafor", family_name_norm="okafor")
            )
        client.get(_home("QC001"), {"q": query})  # sign-in and per-process look-ups out of the way
        body, count = _queries(client, _home("QC001"), {"q": query}, "QC001")
        assert len(re.findall(r"<tr><td>MRN\d+</td>", body)) == shown
        counts.append(count)
    assert counts[0] == counts[1]
