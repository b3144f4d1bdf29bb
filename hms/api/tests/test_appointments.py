"""Appointments through the API: the scheduling services' rules and refusals, as the pages have them."""

import datetime

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from hms.api.tests.clinic import NOW, OTHER, problem, url
from hms.audit.models import AuditEvent
from hms.scheduling.models import Appointment
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.connections import hospital_alias
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db

AT_NINE = "2026-01-05T09:00:00Z"
SOON = NOW + datetime.timedelta(hours=2)


def _book(api, patient, doctor, starts_at=AT_NINE, **extra):
    body = {"patient": patient.pk, "practitioner": doctor.pk, "starts_at": starts_at, **extra}
    return api.post(url("appointments"), body, content_type="application/json")


def test_reception_books_and_the_same_time_answers_409(clinic):
    api = clinic.api("reception")
    doctor = clinic.users["doctor"]
    booked = _book(api, clinic.stranger, doctor, reason="Cough")
    assert booked.status_code == 201, booked.content
    body = booked.json()
    assert body["status"] == "booked"
    assert body["patient"]["id"] == clinic.stranger.pk
    assert body["practitioner"]["id"] == doctor.pk and doctor.last_name in body["practitioner"]["name"]
    assert body["duration_minutes"] == 15
    assert set(body["next_statuses"]) == {"arrived", "cancelled"}
    clash = problem(_book(api, clinic.in_care, doctor, starts_at="2026-01-05T09:10:00Z"), 409)
    assert "already has an appointment" in clash["detail"]
    # The patient's own overlap is a clash too, with another doctor.
    problem(_book(api, clinic.stranger, clinic.users["doctor2"]), 409)
    with hospital_context("CL001"):
        assert Appointment.objects.filter(patient=clinic.stranger).count() == 1
        assert AuditEvent.objects.filter(action="appointment.book", actor_username="cl-reception").exists()


def test_book_by_local_date_and_time_and_the_rules_refusals(clinic):
    api = clinic.api("reception")
    doctor = clinic.users["doctor"]
    body = {"date": "2026-01-05", "time": "10:30", "duration_minutes": 30}
    booked = api.post(
        url("appointments"),
        {"patient": clinic.stranger.pk, "practitioner": doctor.pk, **body},
        content_type="application/json",
    )
    assert booked.status_code == 201, booked.content
    assert booked.json()["starts_at"].startswith("2026-01-05T10:30")
    outside = problem(_book(api, clinic.stranger, doctor, starts_at="2026-01-05T18:00:00Z"), 400)
    assert "outside those hours" in outside["detail"]
    past = problem(_book(api, clinic.stranger, doctor, starts_at="2026-01-05T05:00:00Z"), 400)
    assert "in the past" in past["detail"]
    assert "practitioner" in problem(_book(api, clinic.stranger, clinic.users["nurse"]), 400)["errors"]
    assert "starts_at" in problem(_book(api, clinic.stranger, doctor, starts_at=None), 400)["errors"]
    assert "starts_at" in problem(_book(api, clinic.stranger, doctor, starts_at="soon"), 400)["errors"]


def test_a_doctor_may_not_book_and_changes_only_their_own(clinic):
    problem(_book(clinic.api("doctor"), clinic.in_care, clinic.users["doctor"]), 403)
    with hospital_context("CL001"):
        theirs = AppointmentFactory(
            patient=clinic.stranger, practitioner_user_id=clinic.users["doctor2"].pk, starts_at=SOON
        )
        mine = AppointmentFactory(
            patient=clinic.in_care, practitioner_user_id=clinic.users["doctor"].pk, starts_at=SOON
        )
    api = clinic.api("doctor")
    move = {"status": "arrived"}
    problem(api.post(url(f"appointments/{theirs.pk}/status"), move, content_type="application/json"), 403)
    moved = api.post(url(f"appointments/{mine.pk}/status"), move, content_type="application/json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["status"] == "arrived"
    wrong = api.post(
        url(f"appointments/{mine.pk}/status"), {"status": "booked"}, content_type="application/json"
    )
    assert "cannot become Booked" in problem(wrong, 400)["detail"]


def test_list_filters_and_read(clinic):
    api = clinic.api("reception")
    doctor, doctor2 = clinic.users["doctor"], clinic.users["doctor2"]
    for patient, who, start in (
        (clinic.stranger, doctor, "2026-01-05T09:00:00Z"),
        (clinic.own, doctor2, "2026-01-05T09:00:00Z"),
        (clinic.stranger, doctor, "2026-01-12T09:00:00Z"),
    ):
        assert _book(api, patient, who, starts_at=start).status_code == 201
    rows = api.get(url("appointments"), {"date_from": "2026-01-05", "date_to": "2026-01-05"}).json()[
        "results"
    ]
    assert len(rows) == 2
    query = {"practitioner": doctor.pk, "status": "booked", "date_from": "2026-01-05"}
    rows = api.get(url("appointments"), query).json()["results"]
    assert [r["starts_at"][:10] for r in rows] == ["2026-01-05", "2026-01-12"]
    rows = api.get(url("appointments"), {"patient": clinic.own.pk}).json()["results"]
    assert [r["practitioner"]["id"] for r in rows] == [doctor2.pk]
    assert api.get(url("appointments"), {"status": "cancelled"}).json()["results"] == []
    bad = problem(api.get(url("appointments"), {"date_from": "2026-01-05", "date_to": "2026-01-01"}), 400)
    assert "date_to" in bad["errors"]
    assert "status" in problem(api.get(url("appointments"), {"status": "lost"}), 400)["errors"]
    one = api.get(url(f"appointments/{rows[0]['id']}"))
    assert one.status_code == 200 and one.json()["patient"]["mrn"] == clinic.own.mrn
    problem(api.get(url("appointments/99999999")), 404)
    with hospital_context("CL001"):
        assert AuditEvent.objects.filter(action="appointment.search").exists()
        assert AuditEvent.objects.filter(action="appointment.view").exists()


def test_reschedule_and_cancel(clinic):
    api = clinic.api("reception")
    doctor = clinic.users["doctor"]
    first = _book(api, clinic.stranger, doctor).json()
    other = _book(api, clinic.in_care, doctor, starts_at="2026-01-05T11:00:00Z").json()
    moved = api.post(
        url(f"appointments/{first['id']}/reschedule"),
        {"starts_at": "2026-01-05T10:00:00Z", "duration_minutes": 30},
        content_type="application/json",
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["starts_at"].startswith("2026-01-05T10:00") and moved.json()["duration_minutes"] == 30
    taken = api.post(
        url(f"appointments/{first['id']}/reschedule"),
        {"starts_at": "2026-01-05T11:00:00Z"},
        content_type="application/json",
    )
    problem(taken, 409)
    same = api.post(
        url(f"appointments/{first['id']}/reschedule"),
        {"starts_at": "2026-01-05T10:00:00Z"},
        content_type="application/json",
    )
    assert "already at that time" in problem(same, 400)["detail"]
    cancel = url(f"appointments/{other['id']}/cancel")
    assert "reason" in problem(api.post(cancel, {}, content_type="application/json"), 400)["errors"]
    done = api.post(cancel, {"reason": "Feeling better"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert done.json()["cancel_reason"] == "Feeling better" and done.json()["next_statuses"] == []
    again = problem(api.post(cancel, {"reason": "Twice"}, content_type="application/json"), 400)
    assert "no longer change" in again["detail"]
    late = api.post(
        url(f"appointments/{other['id']}/reschedule"),
        {"starts_at": "2026-01-05T12:00:00Z"},
        content_type="application/json",
    )
    assert "Only a booked appointment" in problem(late, 400)["detail"]


def test_a_patient_books_and_cancels_their_own_within_the_rules(clinic):
    api = clinic.api("patient")
    doctor = clinic.users["doctor"]
    problem(_book(api, clinic.stranger, doctor, reason="Rash"), 404)  # somebody else: nobody
    assert "reason" in problem(_book(api, clinic.own, doctor), 400)["errors"]
    off_grid = _book(api, clinic.own, doctor, starts_at="2026-01-12T09:05:00Z", reason="Rash")
    assert "free times" in problem(off_grid, 400)["detail"]
    soon = _book(api, clinic.own, doctor, reason="Rash")
    assert soon.status_code == 201, soon.content
    assert soon.json()["next_statuses"] == []  # within the 24 hours' notice: call reception
    later = _book(api, clinic.own, doctor, starts_at="2026-01-12T09:00:00Z", reason="Check-up").json()
    assert later["next_statuses"] == ["cancelled"]
    problem(
        _book(api, clinic.own, clinic.users["doctor2"], starts_at="2026-01-12T09:00:00Z", reason="x"), 409
    )
    too_late = api.post(
        url(f"appointments/{soon.json()['id']}/cancel"), {"reason": "x"}, content_type="application/json"
    )
    assert "hours before" in problem(too_late, 400)["detail"]
    arrive = api.post(
        url(f"appointments/{later['id']}/status"), {"status": "arrived"}, content_type="application/json"
    )
    problem(arrive, 403)
    cancelled = api.post(
        url(f"appointments/{later['id']}/cancel"), {"reason": "Away"}, content_type="application/json"
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    problem(
        api.post(
            url("appointments/1/reschedule"),
            {"starts_at": "2026-01-19T09:00:00Z"},
            content_type="application/json",
        ),
        404,
    )


def test_a_patient_sees_only_their_own(clinic):
    with hospital_context("CL001"):
        AppointmentFactory(patient=clinic.own, practitioner_user_id=clinic.users["doctor"].pk, starts_at=SOON)
        theirs = AppointmentFactory(
            patient=clinic.stranger, practitioner_user_id=clinic.users["doctor2"].pk, starts_at=SOON
        )
    api = clinic.api("patient")
    rows = api.get(url("appointments")).json()["results"]
    assert {r["patient"]["id"] for r in rows} == {clinic.own.pk}
    assert api.get(url("appointments"), {"patient": clinic.stranger.pk}).json()["results"] == []
    missing = problem(api.get(url("appointments/99999999")), 404)
    assert problem(api.get(url(f"appointments/{theirs.pk}")), 404) == missing
    cancel = api.post(
        url(f"appointments/{theirs.pk}/cancel"), {"reason": "x"}, content_type="application/json"
    )
    problem(cancel, 404)


def test_free_slots_for_staff_and_for_a_patient(clinic):
    doctor = clinic.users["doctor"]
    _book(clinic.api("reception"), clinic.stranger, doctor)
    day = clinic.api("reception").get(
        url("appointments/free-slots"), {"practitioner": doctor.pk, "date": "2026-01-05"}
    )
    assert day.status_code == 200, day.content
    (only,) = day.json()["days"]
    starts = [slot["starts_at"][11:16] for slot in only["slots"]]
    assert "09:00" not in starts and "09:15" in starts and len(starts) == 31
    week = clinic.api("patient").get(
        url("appointments/free-slots"), {"practitioner": doctor.pk, "date": "2026-01-05"}
    )
    assert week.status_code == 200, week.content
    assert len(week.json()["days"]) == 7
    assert [len(d["slots"]) for d in week.json()["days"]][:2] == [31, 0]  # Monday, then Tuesday off
    nurse = clinic.api("nurse").get(
        url("appointments/free-slots"), {"practitioner": clinic.users["nurse"].pk, "date": "2026-01-05"}
    )
    assert "practitioner" in problem(nurse, 400)["errors"]
    assert (
        "date"
        in problem(clinic.api("nurse").get(url("appointments/free-slots"), {"practitioner": 1}), 400)[
            "errors"
        ]
    )


def test_another_hospitals_appointment_looks_missing(clinic):
    with hospital_context("CL001"):
        here = AppointmentFactory(
            patient=clinic.stranger, practitioner_user_id=clinic.users["doctor"].pk, starts_at=SOON
        )
    outsider = clinic.api("outsider")
    foreign = problem(outsider.get(url(f"appointments/{here.pk}")), 404)
    unknown = problem(outsider.get(url(f"appointments/{here.pk}", "NOSUCH1")), 404)
    assert foreign == unknown
    mine = problem(outsider.get(url(f"appointments/{here.pk}", OTHER)), 404)
    assert mine == problem(outsider.get(url("appointments/99999999", OTHER)), 404)


def test_the_list_costs_the_same_queries_for_more_rows(clinic):
    api = clinic.api("reception")
    api.get(url("appointments"))  # the token's and the hospital's first look-ups out of the way
    counts = []
    for added in (2, 6):
        with hospital_context("CL001"):
            for n in range(added):
                doctor = clinic.users["doctor" if n % 2 else "doctor2"]
                start = NOW + datetime.timedelta(days=len(counts) + 1, minutes=30 * n)
                AppointmentFactory(
                    patient=clinic.stranger if n % 2 else clinic.own,
                    practitioner_user_id=doctor.pk,
                    starts_at=start,
                )
        with (
            CaptureQueriesContext(connections["default"]) as shared,
            CaptureQueriesContext(connections[hospital_alias("CL001")]) as hospital,
        ):
            rows = api.get(url("appointments"), {"date_from": "2026-01-06"}).json()["results"]
        counts.append((len(rows), len(shared), len(hospital)))
    assert [rows for rows, *_ in counts] == [2, 8]
    assert counts[0][1:] == counts[1][1:]


def test_ids_and_dates_beyond_the_databases_are_400s(clinic):
    api = clinic.api("reception")
    doctor = clinic.users["doctor"].pk
    for query in (
        {"date_to": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"practitioner": 2**70},
        {"patient": 2**63},
    ):
        problem(api.get(url("appointments"), query), 400)
    problem(api.get(url("appointments/free-slots"), {"practitioner": doctor, "date": "9999-12-31"}), 400)
    last = {"patient": clinic.stranger.pk, "practitioner": doctor, "date": "9999-12-31", "time": "23:59"}
    assert (
        "date" in problem(api.post(url("appointments"), last, content_type="application/json"), 400)["errors"]
    )
