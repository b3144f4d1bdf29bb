"""One problem body for every failure, and never a 500 for bad input."""

import pytest
from django.test import Client

from hms.accounts.models import Role
from hms.api.tests.conftest import ApiClient, token_for
from hms.patients.models import Patient
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db

BASE = "/api/v1/hospitals/ER001"
PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}


@pytest.fixture
def clerk(make_hospital, make_user):
    make_user("clerk", role=Role.RECEPTIONIST, hospital=make_hospital("ER001"))
    return ApiClient(token_for(Client(), "clerk"))


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    return body


def test_malformed_json_is_a_400(clerk):
    _problem(clerk.post(f"{BASE}/patients", "{not json", content_type="application/json"), 400)


def test_a_body_that_is_not_json_is_a_415(clerk):
    _problem(
        clerk.post(f"{BASE}/patients", "given_name=A", content_type="application/x-www-form-urlencoded"), 415
    )


def test_asking_for_html_is_a_406(clerk):
    _problem(clerk.get(f"{BASE}/patients", HTTP_ACCEPT="text/html"), 406)


def test_an_unknown_address_and_a_wrong_method_are_problems(clerk):
    _problem(clerk.get("/api/v1/nothing-here"), 404)
    _problem(clerk.get(f"{BASE}/patients/99999999999999999999999"), 404)
    _problem(clerk.delete(f"{BASE}/patients"), 405)


def test_no_token_is_a_401_with_the_bearer_challenge(make_hospital):
    make_hospital("ER001")
    body = _problem(ApiClient().get(f"{BASE}/patients"), 401)
    assert "Bearer" in body["detail"]
    _problem(ApiClient().get("/api/v1/hospitals/"), 401)
    _problem(ApiClient("x" * 5000).get("/api/v1/auth/tokens"), 401)


def test_field_errors_are_listed_by_field(clerk):
    body = _problem(
        clerk.post(
            f"{BASE}/patients",
            {"given_name": "A\x00", "family_name": "", "birth_date": "yesterday", "sex": "Z"},
            content_type="application/json",
        ),
        400,
    )
    assert set(body["errors"]) >= {"given_name"}
    body = _problem(
        clerk.post(
            f"{BASE}/patients",
            {"given_name": "A", "family_name": "F" * 101, "birth_date": "2099-99-99"},
            content_type="application/json",
        ),
        400,
    )
    assert {"family_name", "birth_date"} <= set(body["errors"])


def test_junk_of_every_kind_never_answers_500(clerk):
    for body in ([], "text", 12, None, {"identifiers": "x"}, {"identifiers": [1]}, {"birth_date": 1e308}):
        response = clerk.post(f"{BASE}/patients", body, content_type="application/json")
        assert 400 <= response.status_code < 500, body
    for query in ("q=" + "a" * 300, "q=%00", "cursor=!!!", "cursor=cD0tMQ==", "q=1990-02-30"):
        response = clerk.get(f"{BASE}/patients?{query}")
        assert response.status_code < 500, query
    assert clerk.get(f"{BASE}/audit-events?date_from=junk").status_code == 403  # not an ADMIN


def test_a_likely_duplicate_is_a_409_that_confirming_overrides(clerk):
    with hospital_context("ER001"):
        PatientFactory(given_name="Amina", family_name="Okafor", birth_date="1990-04-02")
    new = {"given_name": "Amina", "family_name": "Okafor", "birth_date": "1990-04-02"}
    body = _problem(clerk.post(f"{BASE}/patients", new, content_type="application/json"), 409)
    assert body["candidates"][0]["name"] == "Amina Okafor"
    assert "confirm_duplicate" in body["errors"]
    created = clerk.post(
        f"{BASE}/patients", {**new, "confirm_duplicate": True}, content_type="application/json"
    )
    assert created.status_code == 201
    assert created.json()["mrn"]
    with hospital_context("ER001"):
        assert Patient.objects.filter(family_name="Okafor").count() == 2


def test_a_service_rule_is_a_400_with_its_message(clerk):
    with hospital_context("ER001"):
        patient = PatientFactory()
    first = clerk.post(
        f"{BASE}/patients/{patient.pk}/identifiers",
        {"system": "PASSPORT", "value": "X1"},
        content_type="application/json",
    )
    assert first.status_code == 201
    again = clerk.post(
        f"{BASE}/patients/{patient.pk}/identifiers",
        {"system": "PASSPORT", "value": "X1"},
        content_type="application/json",
    )
    assert _problem(again, 400)["detail"]


def test_a_suspended_hospital_answers_a_problem(clerk, make_user):
    from hms.hospitals.models import Hospital

    Hospital.objects.filter(code="ER001").update(status=Hospital.Status.SUSPENDED)
    body = _problem(clerk.get(f"{BASE}/patients"), 403)
    assert "suspended" in body["detail"]
