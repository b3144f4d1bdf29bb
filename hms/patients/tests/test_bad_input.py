"""Bad input on the patient pages and services: a control character in a name is a 400 with
the message and nothing is registered; on PostgreSQL as on SQLite, never a database error."""

import datetime

import pytest
from django.urls import reverse

from hms.accounts.models import Role
from hms.core.exceptions import ApplicationError
from hms.patients.models import NextOfKin, Patient
from hms.patients.services import patient_register
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
CODE = "TH001"
REGISTRATION = {
    "given_name": "Rahima",
    "family_name": "Khatun",
    "birth_date": "1990-04-02",
    "sex": "female",
    "phone": "",
    "email": "",
    "address": "",
    "national_id": "",
    "insurance_number": "",
    "kin_name": "",
    "kin_relationship": "",
    "kin_phone": "",
}


@pytest.fixture
def receptionist(make_hospital, make_user):
    return make_user("desk", role=Role.RECEPTIONIST, hospital=make_hospital(CODE))


@pytest.mark.parametrize("name", ["Rahima\x00", "Rahima\x1b[2J", "Ra\x7fhima"])
def test_a_patient_name_with_a_control_character_is_a_400_and_nothing_is_registered(
    client, receptionist, name
):
    client.force_login(receptionist)
    response = client.post(
        reverse("patients:new", kwargs={"hospital_code": CODE}), {**REGISTRATION, "given_name": name}
    )
    assert response.status_code == 400
    assert "Remove the control characters (such as NUL); they cannot be stored." in response.content.decode()
    with hospital_context(CODE):
        assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"given_name": "Rahima\x00"}, "given_name"),
        ({"address": "Road 1\x00"}, "address"),
        ({"identifiers": [("NATIONAL_ID", "77\x00")]}, "identifiers"),
        ({"next_of_kin": [{"name": "Karim\x00", "relationship": "brother"}]}, "next_of_kin"),
    ],
)
def test_patient_register_refuses_nul_before_the_database(receptionist, fields, field):
    values = {
        "given_name": "Rahima",
        "family_name": "Khatun",
        "birth_date": datetime.date(1990, 4, 2),
        **fields,
    }
    with hospital_context(CODE):
        with pytest.raises(ApplicationError) as raised:
            patient_register(acting_user=receptionist, **values)
        assert field in raised.value.details
        assert not Patient.objects.exists() and not NextOfKin.objects.exists()
