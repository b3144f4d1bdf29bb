"""Each role sees the links its rights open, on every hospital page, and none on error pages."""

import re

import pytest
from django.urls import reverse

from hms.accounts.models import Role
from hms.care.tests.factories import CareAssignmentFactory
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.rules import booking_rules_update
from hms.tenancy.context import hospital_context

NAV = re.compile(r'<nav class="hospital-nav">(.*?)</nav>', re.S)
CHART = re.compile(r'<ul class="chart-links">(.*?)</ul>', re.S)
LABEL = re.compile(r">([^<]+)</a>")


def _labels(pattern, response):
    found = pattern.search(response.content.decode())
    return LABEL.findall(found.group(1)) if found else []


def _url(name, **kwargs):
    return reverse(name, kwargs={"hospital_code": "TH001", **kwargs})


@pytest.fixture
def th001(make_hospital):
    return make_hospital("TH001")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            Role.ADMIN,
            [
                "Home",
                "Patients",
                "Appointments",
                "Critical results",
                "Billing",
                "Staff",
                "Audit log",
                "Emergency access review",
            ],
        ),
        (
            Role.DOCTOR,
            [
                "Home",
                "Patients",
                "My appointments",
                "Appointments",
                "Lab worklist",
                "Critical results",
                "Staff",
            ],
        ),
        (Role.NURSE, ["Home", "Patients", "Appointments", "Lab worklist", "Staff"]),
        (Role.RECEPTIONIST, ["Home", "Patients", "Appointments", "Billing", "Staff"]),
        (Role.PATIENT, ["Home"]),  # no record linked to the account yet
    ],
)
def test_the_hospital_menu_follows_the_role(client, make_user, th001, role, expected):
    client.force_login(make_user("someone", role=role, hospital=th001))
    response = client.get(_url("hospital-home"))
    assert response.status_code == 200
    assert _labels(NAV, response) == expected
    for url in re.findall(r'<nav class="hospital-nav">.*?</nav>', response.content.decode(), re.S):
        for href in re.findall(r'href="([^"]+)"', url):
            assert client.get(href).status_code == 200, href


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.DOCTOR, ["Appointments", "Encounters", "Prescriptions", "Lab results"]),
        (
            Role.NURSE,
            ["Appointments", "Encounters", "Prescriptions", "Lab results", "Send to a clinician (walk-in)"],
        ),
        (
            Role.RECEPTIONIST,
            ["Appointments", "Book an appointment", "Invoices", "Send to a clinician (walk-in)"],
        ),
        (
            Role.ADMIN,
            [
                "Appointments",
                "Book an appointment",
                "Invoices",
                "Send to a clinician (walk-in)",
                "Access report",
            ],
        ),
    ],
)
def test_a_patients_record_links_to_the_parts_the_role_may_read(client, make_user, th001, role, expected):
    client.force_login(make_user("someone", role=role, hospital=th001))
    with hospital_context("TH001"):
        patient = PatientFactory()
    response = client.get(_url("patients:detail", patient_id=patient.pk))
    labels = [label.split(",")[0] for label in _labels(CHART, response)]
    assert labels == expected


@pytest.mark.django_db
def test_a_patient_reaches_their_whole_record_from_it(client, make_user, th001):
    user = make_user("amina", role=Role.PATIENT, hospital=th001)
    with hospital_context("TH001"):
        patient = PatientFactory(user_id=user.pk)
    client.force_login(user)
    response = client.get(_url("patients:detail", patient_id=patient.pk))
    hrefs = re.findall(r'href="([^"]+)"', CHART.search(response.content.decode()).group(1))
    assert len(hrefs) == 6  # "Book an appointment" leads to the portal's booking page
    for href in hrefs:
        assert client.get(href, follow=True).status_code == 200, href


@pytest.mark.django_db
def test_a_patients_portal_menu_leads_only_to_their_own_record(client, make_user, th001):
    user = make_user("amina", role=Role.PATIENT, hospital=th001)
    with hospital_context("TH001"):
        patient = PatientFactory(user_id=user.pk)
    client.force_login(user)
    response = client.get(_url("hospital-home"))
    assert _labels(NAV, response) == [
        "Home",
        "My record",
        "Appointments",
        "Book an appointment",
        "Lab results",
        "Prescriptions",
        "Invoices",
    ]
    hrefs = re.findall(r'href="([^"]+)"', NAV.search(response.content.decode()).group(1))
    book = _url("scheduling:portal-book")
    assert hrefs[3] == book
    assert all(str(patient.pk) in href for href in hrefs[1:] if href != book)
    for href in hrefs:
        assert client.get(href).status_code == 200, href


@pytest.mark.django_db
def test_a_patients_menu_offers_booking_only_while_the_hospital_takes_bookings_online(
    client, make_user, th001
):
    user = make_user("amina", role=Role.PATIENT, hospital=th001)
    admin = make_user("admin", role=Role.ADMIN, hospital=th001)
    with hospital_context("TH001"):
        PatientFactory(user_id=user.pk)
        booking_rules_update(
            acting_user=admin,
            self_booking_enabled=False,
            max_days_ahead=60,
            cancel_notice_hours=24,
            max_upcoming=3,
        )
    client.force_login(user)

    assert "Book an appointment" not in _labels(NAV, client.get(_url("hospital-home")))

    with hospital_context("TH001"):
        booking_rules_update(
            acting_user=admin,
            self_booking_enabled=True,
            max_days_ahead=60,
            cancel_notice_hours=24,
            max_upcoming=3,
        )
    assert "Book an appointment" in _labels(NAV, client.get(_url("hospital-home")))


@pytest.mark.django_db
def test_error_pages_carry_no_menu(client, make_user, th001):
    client.force_login(make_user("nurse", role=Role.NURSE, hospital=th001))
    response = client.get(_url("staff:department-new"))  # GET on a POST-only page: 405, no template
    assert response.status_code == 405
    forbidden = client.get(_url("audit:log"))
    assert forbidden.status_code == 403
    assert '<nav class="hospital-nav">' not in forbidden.content.decode()


@pytest.mark.django_db
def test_pages_rendered_outside_the_hospitals_context_get_no_menu(rf, make_user, th001):
    from hms.web.navigation import navigation

    request = rf.get(_url("hospital-home"))
    request.hospital = th001
    request.user = make_user("doc", role=Role.DOCTOR, hospital=th001)
    assert navigation(request) == {"hospital_nav": [], "chart_links": []}  # e.g. the 503 page
    with hospital_context("TH001"):
        assert [link.label for link in navigation(request)["hospital_nav"]][:3] == [
            "Home",
            "Patients",
            "My appointments",
        ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.DOCTOR, ["Prescribe", "Order lab tests", "Prescriptions", "Lab results"]),
        (Role.NURSE, ["Prescriptions", "Lab results"]),
    ],
)
def test_an_encounter_links_to_its_orders(client, make_user, th001, role, expected):
    from hms.encounters.services import encounter_start

    doctor = make_user("doc", role=Role.DOCTOR, hospital=th001)
    user = doctor if role == Role.DOCTOR else make_user("nurse", role=role, hospital=th001)
    with hospital_context("TH001"):
        patient = CareAssignmentFactory(clinician_user_id=doctor.pk).patient
        encounter = encounter_start(acting_user=doctor, patient=patient, reason="Cough")
    client.force_login(user)
    page = client.get(_url("encounters:detail", encounter_id=encounter.pk)).content.decode()
    links = re.search(r'<p class="related-links">(.*?)</p>', page, re.S).group(1)
    assert LABEL.findall(links) == expected
    for href in re.findall(r'href="([^"]+)"', links):
        assert client.get(href).status_code == 200, href


@pytest.mark.django_db
def test_my_appointments_shows_the_doctor_their_own_day(client, make_user, th001):
    doctor = make_user("doc", role=Role.DOCTOR, hospital=th001)
    client.force_login(doctor)
    nav = NAV.search(client.get(_url("hospital-home")).content.decode()).group(1)
    href = re.search(r'href="([^"]+)">My appointments<', nav).group(1)
    assert href == f"{_url('scheduling:day')}?doctor={doctor.pk}"
    page = client.get(href.replace("&amp;", "&"))
    assert page.status_code == 200
    assert f'<option value="{doctor.pk}" selected' in page.content.decode()
