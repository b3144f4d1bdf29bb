"""Bad input on the encounter pages and services: a 400 with the message, nothing written,
and on PostgreSQL as on SQLite a NUL is a refusal, never a database error."""

from decimal import Decimal

import pytest
from django.urls import reverse

from hms.core.exceptions import ApplicationError
from hms.encounters.models import Allergy, ClinicalNote, Encounter, Observation
from hms.encounters.services import allergy_record, encounter_start, note_create, observation_record_vitals
from hms.encounters.vitals import HEART_RATE
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
CODE = "DMC001"


@pytest.fixture
def encounter(staff, chart):
    with hospital_context(CODE):
        return encounter_start(acting_user=staff.doctor, patient=chart.patient, appointment=chart.appointment)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e999999999", "Heart rate must be a number"),
        ("NaN", "Heart rate must be a number"),
        ("-inf", "Heart rate must be a number"),
        ("999999999", "Heart rate is too large"),
    ],
)
def test_a_vital_sign_that_is_no_number_is_a_400_naming_it_and_nothing_is_recorded(
    client, staff, encounter, typed, message
):
    client.force_login(staff.nurse)
    url = reverse("encounters:vitals", kwargs={"hospital_code": CODE, "encounter_id": encounter.pk})
    response = client.post(url, {"value_8867-4": typed, "unit_8867-4": "/min"})
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and "Nothing was recorded; check Heart rate." in body
    with hospital_context(CODE):
        assert not Observation.objects.exists()


def test_the_vitals_service_refuses_an_overflowing_value(staff, encounter):
    with hospital_context(CODE):
        with pytest.raises(ApplicationError) as raised:
            observation_record_vitals(
                acting_user=staff.nurse,
                encounter=encounter,
                values={HEART_RATE: (Decimal("1e999999999"), "/min")},
            )
        assert "too large" in raised.value.details[HEART_RATE][0]
        assert not Observation.objects.exists()


@pytest.mark.parametrize("text", ["Fever\x00", "Fever\x1b[31m"])
def test_services_refuse_control_characters_before_the_database_sees_them(staff, chart, encounter, text):
    with hospital_context(CODE):
        with pytest.raises(ApplicationError) as raised:
            note_create(acting_user=staff.doctor, encounter=encounter, subjective=text)
        assert list(raised.value.details) == ["subjective"]
        with pytest.raises(ApplicationError) as raised:
            allergy_record(
                acting_user=staff.doctor,
                patient=chart.patient,
                substance="Latex",
                category="environment",
                severity="mild",
                reaction=text,
            )
        assert list(raised.value.details) == ["reaction"]
        with pytest.raises(ApplicationError, match="cannot be stored"):
            encounter_start(acting_user=staff.doctor, patient=chart.patient, reason=text)
        assert not ClinicalNote.objects.exists() and not Allergy.objects.exists()
        assert Encounter.objects.count() == 1
