"""The portal's booking page, cancelling from the portal, and the administrator's booking rules
page, through the test client. The clock is Monday 5 January 2026, 06:00 (London, GMT)."""

import datetime
import html
import re

import pytest
from django.urls import reverse

from hms.audit.models import AuditEvent
from hms.scheduling.models import Appointment, PatientBookingRules
from hms.scheduling.services import working_hours_set
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.context import hospital_context

UTC = datetime.UTC


def _url(name, **ids):
    return reverse(f"scheduling:{name}", kwargs={"hospital_code": "DMC001", **ids})


def _body(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def hours(people):
    with hospital_context("DMC001"):
        for day in range(5):
            working_hours_set(
                acting_user=people.admin,
                practitioner_user_id=people.doctor.pk,
                weekday=day,
                periods=[(datetime.time(9), datetime.time(12))],
            )


@pytest.fixture
def patient_client(client, people, patients):
    client.force_login(people.patient_user)
    return client


def _posted(people, **changes):
    return {
        "practitioner_user_id": str(people.doctor.pk),
        "local_date": "2026-01-06",
        "local_time": "10:30",
        "duration_minutes": "15",
        "reason": "Headaches",
        **changes,
    }


@pytest.mark.django_db
def test_a_patient_chooses_a_doctor_then_a_free_time_then_confirms(
    clock, people, patients, hours, patient_client
):
    first = patient_client.get(_url("portal-book"))
    assert first.status_code == 200 and "Dr Gregory House" in _body(first)
    times = patient_client.get(_url("portal-book"), {"doctor": people.doctor.pk, "date": "2026-01-06"})
    body = _body(times)
    assert times.status_code == 200 and "Free times with Dr Gregory House" in body
    assert "Tuesday 6 January" in body and "time=10:30&minutes=15" in body
    confirm = patient_client.get(
        _url("portal-book"),
        {"doctor": people.doctor.pk, "date": "2026-01-06", "time": "10:30", "minutes": "15"},
    )
    body = _body(confirm)
    assert (
        confirm.status_code == 200
        and "Check and confirm" in body
        and "Tuesday 6 January 2026, 10:30–10:45" in body
    )

    booked = patient_client.post(_url("portal-book"), _posted(people), follow=True)
    assert booked.redirect_chain[-1][0] == reverse("hospital-home", kwargs={"hospital_code": "DMC001"})
    assert "Booked: you will see Dr Gregory House on Tuesday 6 January at 10:30." in _body(booked)
    with hospital_context("DMC001"):
        appointment = Appointment.objects.get()
        assert appointment.patient_id == patients[0].pk and appointment.booked_by_id == people.patient_user.pk
        assert (
            AuditEvent.objects.filter(action="appointment.book", actor_id=people.patient_user.pk).count() == 1
        )


@pytest.mark.django_db
def test_a_refused_booking_is_shown_beside_the_form_with_400(clock, people, patients, hours, patient_client):
    off_grid = patient_client.post(_url("portal-book"), _posted(people, local_time="10:35"))
    assert off_grid.status_code == 400 and "Choose one of the free times shown" in _body(off_grid)
    no_reason = patient_client.post(_url("portal-book"), _posted(people, reason=""))
    assert no_reason.status_code == 400 and "Say briefly why" in _body(no_reason)
    junk = patient_client.post(
        _url("portal-book"), _posted(people, local_date="soon", practitioner_user_id="x")
    )
    assert junk.status_code == 400
    bad_query = patient_client.get(_url("portal-book"), {"doctor": "abc", "date": "tomorrow"})
    assert bad_query.status_code == 400 and "Check the highlighted fields" in _body(bad_query)
    with hospital_context("DMC001"):
        assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_the_booking_page_says_when_online_booking_is_off(clock, people, patients, hours, patient_client):
    with hospital_context("DMC001"):
        PatientBookingRules(pk=1, self_booking_enabled=False).save()
    page = patient_client.get(_url("portal-book"))
    assert page.status_code == 200 and "does not take bookings online" in _body(page)
    assert patient_client.post(_url("portal-book"), _posted(people)).status_code == 400


@pytest.mark.django_db
def test_staff_are_sent_to_the_desk_form_and_clinicians_refused(client, clock, people, patients, hours):
    client.force_login(people.receptionist)
    response = client.get(_url("portal-book"))
    assert response.status_code == 302 and response["Location"] == _url("book")
    client.force_login(people.nurse)
    assert client.get(_url("portal-book")).status_code == 403


@pytest.mark.django_db
def test_a_patients_book_link_on_their_record_leads_to_the_portal_page(
    clock, people, patients, patient_client
):
    own = patient_client.get(_url("book-patient", patient_id=patients[0].pk))
    assert own.status_code == 200 and "Department and doctor" in _body(own)
    assert f'action="{_url("portal-book")}"' in _body(own)
    assert patient_client.get(_url("book-patient", patient_id=patients[1].pk)).status_code == 404
    assert patient_client.get(_url("book")).status_code == 403


@pytest.mark.django_db
def test_a_patient_cancels_their_own_appointment_and_returns_to_their_start_page(
    clock, people, patients, patient_client
):
    with hospital_context("DMC001"):
        mine = AppointmentFactory(
            patient=patients[0],
            practitioner_user_id=people.doctor.pk,
            starts_at=datetime.datetime(2026, 1, 9, 10, tzinfo=UTC),
            ends_at=datetime.datetime(2026, 1, 9, 10, 15, tzinfo=UTC),
        )
    form = patient_client.get(_url("cancel", appointment_id=mine.pk))
    assert form.status_code == 200 and "Cancel your appointment" in _body(form)
    done = patient_client.post(
        _url("cancel", appointment_id=mine.pk), {"reason": "Feeling better"}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse("hospital-home", kwargs={"hospital_code": "DMC001"})
    assert "Your appointment with Dr Gregory House on Friday 9 January at 10:00 is cancelled." in _body(done)
    with hospital_context("DMC001"):
        assert Appointment.objects.get().status == Appointment.Status.CANCELLED


@pytest.mark.django_db
def test_cancelling_too_late_is_refused_in_words(clock, people, patients, patient_client):
    with hospital_context("DMC001"):
        soon = AppointmentFactory(
            patient=patients[0],
            practitioner_user_id=people.doctor.pk,
            starts_at=datetime.datetime(2026, 1, 5, 15, tzinfo=UTC),
            ends_at=datetime.datetime(2026, 1, 5, 15, 15, tzinfo=UTC),
        )
    page = patient_client.get(_url("cancel", appointment_id=soon.pk))
    assert "can no longer be cancelled online" in _body(page)
    refused = patient_client.post(_url("cancel", appointment_id=soon.pk), {"reason": "Busy"})
    assert refused.status_code == 400 and "up to 24 hours before they start" in _body(refused)


# The administrator's rules page


@pytest.mark.django_db
def test_the_administrator_sets_the_booking_rules(client, clock, people):
    client.force_login(people.admin)
    page = client.get(_url("rules"))
    assert page.status_code == 200 and "Save the rules" in _body(page) and "60 days ahead" in _body(page)
    saved = client.post(
        _url("rules"),
        {"max_days_ahead": "14", "cancel_notice_hours": "12", "max_upcoming": "2"},  # the box unticked: off
        follow=True,
    )
    assert "The booking rules are saved" in _body(saved) and "Off: patients call reception" in _body(saved)
    refused = client.post(
        _url("rules"), {"max_days_ahead": "9999", "cancel_notice_hours": "x", "max_upcoming": "2"}
    )
    assert refused.status_code == 400 and "Enter the notice in whole hours." in _body(refused)
    with hospital_context("DMC001"):
        rules = PatientBookingRules.objects.get()
    assert (
        rules.self_booking_enabled,
        rules.max_days_ahead,
        rules.cancel_notice_hours,
        rules.max_upcoming,
    ) == (
        False,
        14,
        12,
        2,
    )


@pytest.mark.django_db
def test_staff_read_the_rules_and_only_the_administrator_changes_them(client, clock, people, patients):
    client.force_login(people.receptionist)
    page = client.get(_url("rules"))
    assert page.status_code == 200 and "Save the rules" not in _body(page)
    refused = client.post(
        _url("rules"), {"max_days_ahead": "1", "cancel_notice_hours": "1", "max_upcoming": "1"}
    )
    assert refused.status_code == 403
    client.force_login(people.patient_user)
    assert client.get(_url("rules")).status_code == 403
    with hospital_context("DMC001"):
        assert not PatientBookingRules.objects.exists()


@pytest.mark.django_db
def test_a_patients_appointment_list_offers_cancelling_only_where_the_rules_allow(
    clock, people, patients, patient_client
):
    with hospital_context("DMC001"):
        for day, hour in ((9, 10), (5, 15)):  # Friday, far enough ahead; this afternoon, too soon
            AppointmentFactory(
                patient=patients[0],
                practitioner_user_id=people.doctor.pk,
                starts_at=datetime.datetime(2026, 1, day, hour, tzinfo=UTC),
                ends_at=datetime.datetime(2026, 1, day, hour, 15, tzinfo=UTC),
            )
        far = Appointment.objects.get(starts_at__day=9)
    page = patient_client.get(_url("patient", patient_id=patients[0].pk))
    links = re.findall(r'href="([^"]+/cancel/)"', page.content.decode())
    assert links == [_url("cancel", appointment_id=far.pk)]


# The patient's start page, as the booking rules shape it


@pytest.mark.django_db
def test_the_start_page_offers_booking_and_says_when_cancelling_online_is_closed(
    clock, people, patients, patient_client
):
    home = reverse("hospital-home", kwargs={"hospital_code": "DMC001"})
    with hospital_context("DMC001"):
        AppointmentFactory(
            patient=patients[0],
            practitioner_user_id=people.doctor.pk,
            starts_at=datetime.datetime(2026, 1, 5, 15, tzinfo=UTC),  # this afternoon
            ends_at=datetime.datetime(2026, 1, 5, 15, 15, tzinfo=UTC),
        )
    page = _body(patient_client.get(home))
    assert f'href="{_url("portal-book")}"' in page
    assert "Less than 24 hours away: to cancel, call reception" in page
    with hospital_context("DMC001"):
        PatientBookingRules(pk=1, self_booking_enabled=False).save()
    page = _body(patient_client.get(home))
    assert f'href="{_url("portal-book")}"' not in page and "does not take bookings online" in page
