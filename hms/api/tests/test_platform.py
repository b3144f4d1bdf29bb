"""The platform operator's hospitals through the API: the console's services and security log."""

import pytest
from django.test import Client

from hms.accounts.models import Role, User
from hms.api.tests.conftest import ApiClient, token_for
from hms.hospitals.models import Hospital
from hms.security.models import SecurityEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(make_user):
    make_user("operator", role=Role.SUPERADMIN)
    return ApiClient(token_for(Client(), "operator"))


def test_the_operator_provisions_a_hospital_with_its_first_admin(operator):
    response = operator.post(
        "/api/v1/hospitals/",
        {
            "code": "PV001",
            "name": "Provisioned General",
            "time_zone": "Asia/Dhaka",
            "admin_username": "pvadmin",
            "admin_email": "admin@example.org",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["hospital"] == {
        "code": "PV001",
        "name": "Provisioned General",
        "status": "ACTIVE",
        "time_zone": "Asia/Dhaka",
    }
    assert body["admin_username"] == "pvadmin"
    assert "/reset/" in body["set_password_link"] or body["set_password_link"]
    admin = User.objects.get(username="pvadmin")
    assert admin.role == Role.ADMIN and admin.hospital.code == "PV001"
    assert SecurityEvent.objects.filter(kind="admin_action", detail__action="hospital_created").exists()
    listed = operator.get("/api/v1/hospitals/?q=PV0").json()["results"]
    assert [row["code"] for row in listed] == ["PV001"]


def test_bad_details_are_refused_before_anything_is_made(operator):
    response = operator.post(
        "/api/v1/hospitals/",
        {
            "code": "bad code",
            "name": "X",
            "time_zone": "Mars/Base",
            "admin_username": "a",
            "admin_email": "a@b.org",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert {"code", "time_zone"} <= set(response.json()["errors"])
    assert not Hospital.objects.filter(name="X").exists()


def test_the_operator_suspends_and_reactivates_and_each_is_logged(operator, make_hospital, make_user):
    make_hospital("SU001")
    make_user("nurse", role=Role.NURSE, hospital=Hospital.objects.get(code="SU001"))
    nurse = ApiClient(token_for(Client(), "nurse"))
    suspended = operator.post("/api/v1/hospitals/SU001/suspend")
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "SUSPENDED"
    assert nurse.get("/api/v1/hospitals/SU001/patients").status_code == 403
    assert operator.post("/api/v1/hospitals/SU001/suspend").status_code == 400  # already
    assert operator.post("/api/v1/hospitals/SU001/reactivate").json()["status"] == "ACTIVE"
    assert nurse.get("/api/v1/hospitals/SU001/patients").status_code == 200
    actions = set(SecurityEvent.objects.filter(kind="admin_action").values_list("detail__action", flat=True))
    assert {"hospital_suspended", "hospital_reactivated"} <= actions
    assert operator.post("/api/v1/hospitals/NOPE01/suspend").status_code == 404


def test_nobody_else_reaches_the_platform_endpoints(make_hospital, make_user):
    hospital = make_hospital("SU001")
    make_user("admin", role=Role.ADMIN, hospital=hospital)
    admin = ApiClient(token_for(Client(), "admin"))
    assert admin.get("/api/v1/hospitals/").status_code == 403
    assert admin.post("/api/v1/hospitals/SU001/suspend").status_code == 403
    assert admin.post("/api/v1/hospitals/", {}, content_type="application/json").status_code == 403
    assert Hospital.objects.get(code="SU001").status == "ACTIVE"
