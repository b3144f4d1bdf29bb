"""The REST API and the record basics of issue 14: a future birth date refused, single-name
patients, estimated birth dates and sex for clinical use in and out, deceased status shown."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from hms.accounts.models import Role
from hms.api.tests.conftest import ApiClient, token_for
from hms.patients.models import Patient
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db

BASE = "/api/v1/hospitals/PB001"


@pytest.fixture
def clerk(make_hospital, make_user):
    make_user("clerk", role=Role.RECEPTIONIST, hospital=make_hospital("PB001", time_zone="Asia/Dhaka"))
    return ApiClient(token_for(Client(), "clerk"))


def test_a_future_birth_date_is_a_400_naming_the_field(clerk):
    future = (timezone.now().date() + datetime.timedelta(days=2)).isoformat()
    response = clerk.post(
        f"{BASE}/patients", {"given_name": "Amina", "birth_date": future}, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert "birth_date" in response.json()["errors"]
    with hospital_context("PB001"):
        assert not Patient.objects.exists()


def test_a_single_name_patient_with_an_estimated_birth_date_is_registered_and_listed(clerk):
    response = clerk.post(
        f"{BASE}/patients",
        {
            "given_name": "Aung",
            "birth_date": "1980-03-02",
            "birth_date_estimated": True,
            "sex": "other",
            "sex_for_clinical_use": "female",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["given_name"], created["family_name"]) == ("Aung", "")
    assert (created["birth_date_estimated"], created["sex_for_clinical_use"]) == (True, "female")
    assert created["deceased_at"] is None
    listed = clerk.get(f"{BASE}/patients", {"q": "aung"}).json()
    assert [(row["id"], row["birth_date_estimated"]) for row in listed["results"]] == [(created["id"], True)]
    nameless = clerk.patch(
        f"{BASE}/patients/{created['id']}", {"given_name": ""}, content_type="application/json"
    )
    assert nameless.status_code == 400
    known = clerk.patch(
        f"{BASE}/patients/{created['id']}", {"birth_date": "1980-05-06"}, content_type="application/json"
    )
    assert known.status_code == 200 and known.json()["birth_date_estimated"] is False
