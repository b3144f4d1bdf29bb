"""Vital signs through the REST API pass through the service's rules (issue 14): explicit units,
critical values recorded and flagged, confirmation of unusual values, the time taken, the blood
pressure panel voided whole, coded ACVPU."""

import datetime

import pytest
from django.utils import timezone

from hms.api.tests.clinic import problem, url

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def vitals(clinic):
    started = clinic.api("doctor").post(
        url(f"patients/{clinic.in_care.pk}/encounters"), {}, content_type=JSON
    )
    return url(f"encounters/{started.json()['id']}/vitals")


def _post(clinic, vitals, body):
    return clinic.api("nurse").post(vitals, body, content_type=JSON)


def test_a_blank_unit_is_refused_and_a_critical_value_recorded(clinic, vitals):
    blank = problem(_post(clinic, vitals, {"values": {"29463-7": {"value": 154, "unit": ""}}}), 400)
    assert "Choose the unit" in str(blank["errors"]["29463-7"])
    left_out = problem(_post(clinic, vitals, {"values": {"29463-7": {"value": 154}}}), 400)
    assert "29463-7" in left_out["errors"]
    made = _post(clinic, vitals, {"values": {"59408-5": {"value": 45, "unit": "%"}}})
    assert made.status_code == 201, made.content
    (row,) = made.json()
    assert (row["value"], row["flag"]) == ("45.0000", "LL")


def test_an_unusual_value_needs_confirm_and_the_time_taken_is_kept(clinic, vitals):
    cold = {"values": {"8310-5": {"value": "28.5", "unit": "Cel"}}}
    refused = problem(_post(clinic, vitals, cold), 400)
    assert {"8310-5", "confirm"} <= set(refused["errors"])
    taken = timezone.now() - datetime.timedelta(minutes=20)
    made = _post(clinic, vitals, {**cold, "confirm": True, "taken_at": taken.isoformat()})
    assert made.status_code == 201, made.content
    (row,) = made.json()
    assert row["flag"] == "LL" and datetime.datetime.fromisoformat(row["taken_at"]) == taken
    future = (timezone.now() + datetime.timedelta(hours=2)).isoformat()
    assert (
        "taken_at"
        in problem(_post(clinic, vitals, {**cold, "confirm": True, "taken_at": future}), 400)["errors"]
    )


def test_a_blood_pressure_is_one_panel_voided_whole_and_acvpu_is_an_answer(clinic, vitals):
    body = {
        "values": {
            "8480-6": {"value": 150, "unit": "mm[Hg]"},
            "8462-4": {"value": 95, "unit": "mmHg"},
            "67775-7": {"answer": "A"},
        },
        "body_position": "lying",
    }
    made = _post(clinic, vitals, body)
    assert made.status_code == 201, made.content
    rows = {row["code"]: row for row in made.json()}
    panel = rows["85354-9"]
    assert panel["value"] is None and panel["body_position"] == "lying"
    assert rows["8480-6"]["panel"] == rows["8462-4"]["panel"] == panel["id"]
    assert rows["67775-7"]["answer"] == "A" and rows["67775-7"]["text"] == "A: Alert"
    both = problem(_post(clinic, vitals, {"values": {"67775-7": {"answer": "A", "value": 1}}}), 400)
    assert both["errors"] == {
        "values.67775-7.non_field_errors": ["Give a value or, for a coded observation, an answer."]
    }

    voided = clinic.api("nurse").post(
        url(f"vitals/{rows['8462-4']['id']}/void"), {"reason": "Wrong arm"}, content_type=JSON
    )
    assert voided.status_code == 200 and voided.json()["voided"] is True
    live = [row["code"] for row in clinic.api("doctor").get(vitals).json()]
    assert live == ["67775-7"]  # no pressure left without its pair


def test_the_pews_observations_are_recorded_by_their_codes_and_answers(clinic, vitals):
    body = {
        "values": {
            "pews-behaviour": {"answer": "irritable"},
            "pews-colour": {"answer": "Grey and mottled"},
            "44963-7": {"value": 4, "unit": "s"},
            "pews-nebulisers": {"answer": "yes"},
        }
    }
    made = _post(clinic, vitals, body)
    assert made.status_code == 201, made.content
    rows = {row["code"]: row for row in made.json()}
    assert rows["pews-colour"]["answer"] == "mottled" and rows["pews-colour"]["text"] == "Grey and mottled"
    assert rows["44963-7"]["value"] == "4.0000"
    wrong = problem(_post(clinic, vitals, {"values": {"pews-breathing": {"answer": "panting"}}}), 400)
    assert "Work of breathing (PEWS) is one of" in str(wrong["errors"]["pews-breathing"])
