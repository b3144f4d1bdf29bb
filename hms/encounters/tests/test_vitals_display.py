"""The encounter page's vital signs: the latest of each with the trends, and every reading with a
void link on the "correct" page; units as people write them."""

import pytest
from django.urls import reverse

from hms.audit.models import AuditEvent
from hms.encounters.models import Observation
from hms.encounters.services import encounter_start, observation_record_vitals
from hms.encounters.vitals import HEART_RATE, TEMPERATURE
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db


def _url(name, **ids):
    return reverse(f"encounters:{name}", kwargs={"hospital_code": "DMC001", **ids})


@pytest.fixture
def encounter(staff, chart):
    with hospital_context("DMC001"):
        encounter = encounter_start(
            acting_user=staff.doctor, patient=chart.patient, appointment=chart.appointment
        )
        for rate in ("80", "96"):
            observation_record_vitals(
                acting_user=staff.nurse,
                encounter=encounter,
                values={TEMPERATURE: ("101.3", "[degF]"), HEART_RATE: (rate, "/min")},
            )
    return encounter


def test_the_encounter_shows_the_latest_of_each_vital_sign_and_the_trends(client, staff, encounter):
    client.force_login(staff.nurse)
    body = client.get(_url("detail", encounter_id=encounter.pk)).content.decode()
    assert "<strong>96 /min</strong>" in body and "<strong>80 /min</strong>" not in body
    assert '<th scope="row">Heart rate</th>' in body
    assert "<strong>38.5 °C</strong>" in body and "(entered as 101.3 °F)" in body
    assert "[degF]" not in body and "LOINC" not in body
    assert 'name="reason"' not in body.split('id="diagnoses"')[0]  # no void box in the vitals
    assert body.count('<svg class="trend-chart"') == 2  # heart rate and temperature over time
    # the adult man's band (the values NEWS2 scores 0)
    assert "Heart rate: 2 values, latest 96 /min (reference 51–90 /min)" in body
    assert "All readings, and corrections" in body
    with hospital_context("DMC001"):
        trends = AuditEvent.objects.get(action="observation.trends")
    assert len(trends.detail["observation_ids"]) == 4 and trends.patient_id == encounter.patient_id


def test_the_patient_page_of_an_encounter_has_the_banner(client, staff, encounter):
    client.force_login(staff.nurse)
    body = client.get(_url("detail", encounter_id=encounter.pk)).content.decode()
    assert '<section class="patient-banner"' in body and "Heart rate 96 /min" in body


def test_every_reading_has_a_void_link_on_the_correct_page(client, staff, encounter):
    client.force_login(staff.nurse)
    url = _url("vitals-correct", encounter_id=encounter.pk)
    body = client.get(url).content.decode()
    with hospital_context("DMC001"):
        readings = list(Observation.objects.order_by("id"))
    assert body.count("Void&hellip;</a>") == len(readings) == 4
    assert 'name="reason"' not in body
    first = readings[0]
    chosen = client.get(url, {"void": first.pk}).content.decode()
    assert chosen.count('name="reason"') == 1
    assert _url("observation-void", observation_id=first.pk) in chosen
    response = client.post(
        _url("observation-void", observation_id=first.pk),
        {"reason": "Wrong patient", "encounter": encounter.pk},
    )
    assert response.status_code == 302
    shown = client.get(url, {"voided": "1"}).content.decode()
    assert "voided: Wrong patient" in shown


@pytest.mark.parametrize(
    ("who", "status"), [("receptionist", 403), ("patient_user", 403), ("other_doctor", 404)]
)
def test_the_correct_page_is_for_those_who_may_void(client, staff, encounter, who, status):
    client.force_login(getattr(staff, who))
    assert client.get(_url("vitals-correct", encounter_id=encounter.pk)).status_code == status
