import datetime

import pytest
from django.urls import reverse

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.scheduling.models import Appointment, WorkingHours
from hms.scheduling.services import appointment_book, working_hours_set
from hms.tenancy.context import hospital_context

UTC = datetime.UTC
MONDAY = datetime.date(2026, 1, 12)
BASE = "/h/DMC001/scheduling/"  # for ids no URL can be reversed to


def _url(name, **ids):
    return reverse(f"scheduling:{name}", kwargs={"hospital_code": "DMC001", **ids})


@pytest.fixture
def time_zone():
    return "America/New_York"  # EST in January: UTC-5


@pytest.fixture
def booked(clock, people, patients):
    with hospital_context("DMC001"):
        return appointment_book(
            acting_user=people.receptionist,
            patient=patients[1],
            practitioner_user_id=people.doctor.pk,
            local_date=MONDAY,
            local_time=datetime.time(10),
            duration_minutes=30,
            reason="Sore knee",
        )


def _as(client, user):
    client.force_login(user)
    return client


def _body(response):
    return response.content.decode()


# The day list


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["receptionist", "nurse", "doctor", "admin"])
def test_staff_see_the_day_list_in_the_hospitals_time(client, people, patients, booked, role):
    response = _as(client, getattr(people, role)).get(_url("day"), {"date": "2026-01-12"})
    assert response.status_code == 200
    body = _body(response)
    assert "10:00&ndash;10:30 EST" in body  # stored as 15:00 UTC
    assert patients[1].mrn in body and "Sore knee" in body and "Dr Gregory House" in body
    assert "Times in America/New_York" in body
    with hospital_context("DMC001"):
        event = AuditEvent.objects.filter(action="appointment.day_list").get()
    assert event.detail["appointment_ids"] == [booked.pk] and event.client_address == "127.0.0.1"


@pytest.mark.django_db
@pytest.mark.parametrize("time_zone", ["Asia/Dhaka"])
def test_a_zone_without_letters_is_shown_as_its_offset_from_utc(client, people, patients, booked, time_zone):
    body = _body(_as(client, people.receptionist).get(_url("day"), {"date": "2026-01-12"}))
    assert "10:00&ndash;10:30 UTC+6" in body  # the tz database's "+06" means nothing to people
    assert "+06" not in body
    booked_page = _body(_as(client, people.receptionist).get(_url("patient", patient_id=booked.patient_id)))
    assert "10:30 UTC+6" in booked_page and "+06" not in booked_page


@pytest.mark.django_db
def test_the_day_list_defaults_to_today_in_the_hospital(client, clock, people, patients, booked):
    clock.set(datetime.datetime(2026, 1, 13, 3, 0, tzinfo=UTC))  # still Monday 22:00 in New York
    response = _as(client, people.nurse).get(_url("day"))
    assert response.status_code == 200
    assert "Appointments on Monday 12 January 2026" in _body(response)
    assert "10:00&ndash;10:30 EST" in _body(response)


@pytest.mark.django_db
def test_status_buttons_follow_the_role(client, clock, people, patients, booked):
    clock.set(datetime.datetime(2026, 1, 12, 15, 5, tzinfo=UTC))  # 10:05 in New York: on the day, started
    nurse_page = _body(_as(client, people.nurse).get(_url("day"), {"date": "2026-01-12"}))
    assert 'value="arrived"' in nurse_page and 'value="no_show"' in nurse_page
    assert 'name="reason"' in nurse_page
    assert "/reschedule/" not in nurse_page  # only those who book may reschedule
    other_doctor_page = _body(_as(client, people.other_doctor).get(_url("day"), {"date": "2026-01-12"}))
    assert 'value="arrived"' not in other_doctor_page
    desk_page = _body(_as(client, people.receptionist).get(_url("day"), {"date": "2026-01-12"}))
    assert _url("reschedule", appointment_id=booked.pk) in desk_page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date": "2026-02-30"}, "is not a date"),
        ({"date": "yesterday"}, "is not a date"),
        ({"date": "2026-1-5"}, "is not a date"),
        ({"doctor": "abc"}, "Choose a doctor from the list"),
        ({"doctor": "9" * 40}, "Choose a doctor from the list"),
        ({"date": "9999-12-31"}, "Choose a date between the years 1900 and 2999"),
        ({"date": "0001-01-01"}, "Choose a date between the years 1900 and 2999"),
    ],
)
def test_bad_filters_answer_400_with_the_reason(client, clock, people, query, message):
    response = _as(client, people.receptionist).get(_url("day"), query)
    assert response.status_code == 400
    assert message in _body(response)


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["abc", "0", "999", ""])
def test_odd_page_numbers_are_fine(client, clock, people, booked, page):
    assert _as(client, people.nurse).get(_url("day"), {"date": "2026-01-12", "page": page}).status_code == 200


@pytest.mark.django_db
def test_a_patient_may_not_see_the_day_list(client, clock, people):
    assert _as(client, people.patient_user).get(_url("day")).status_code == 403


@pytest.mark.django_db
def test_other_hospitals_users_and_strangers_are_kept_out(client, clock, people, make_hospital, make_user):
    outsider = make_user("th_desk", role=Role.RECEPTIONIST, hospital=make_hospital("TH001"))
    assert client.get(_url("day")).status_code == 302  # to the login page
    assert _as(client, outsider).get(_url("day")).status_code == 404
    assert client.post(_url("book"), {"mrn": "x"}).status_code == 404


# Booking


def _booking(people, who, **fields):
    return {
        "patient": str(who.pk),
        "practitioner": str(people.doctor.pk),
        "date": "2026-01-12",
        "time": "09:30",
        "duration_minutes": "20",
        "reason": "Follow-up",
        "action": "book",
        **fields,
    }


@pytest.mark.django_db
def test_the_booking_form_books_in_the_hospitals_time(client, clock, people, patients):
    client = _as(client, people.receptionist)
    assert client.get(_url("book")).status_code == 200
    response = client.post(_url("book"), _booking(people, patients[0]))
    assert response.status_code == 302
    assert response["Location"] == f"{_url('day')}?date=2026-01-12&doctor={people.doctor.pk}"
    with hospital_context("DMC001"):
        stored = Appointment.objects.get()
        event = AuditEvent.objects.get(action="appointment.book")
    assert stored.starts_at == datetime.datetime(2026, 1, 12, 14, 30, tzinfo=UTC)
    assert (stored.duration_minutes, stored.reason, stored.patient_id) == (20, "Follow-up", patients[0].pk)
    assert event.client_address == "127.0.0.1"
    followed = client.get(response["Location"])
    assert "Booked" in _body(followed) and "09:30 EST" in _body(followed)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"patient": "999999"}, "No such patient here; search again by name, MRN or phone number."),
        ({"patient": ""}, "Choose the patient: search by name, MRN or phone number."),
        ({"reason": ""}, "Give the reason for the visit."),
        ({"practitioner": "abc"}, "Choose a doctor from the list."),
        ({"practitioner": ""}, "Choose a doctor from the list."),
        ({"practitioner": "999999"}, "Choose a doctor of this hospital."),
        ({"date": "2026-13-01"}, "is not a date"),
        ({"date": ""}, "Enter a date as yyyy-mm-dd."),
        ({"time": "9.30am"}, "Enter a time as hh:mm"),
        ({"time": "24:00"}, "Enter a time as hh:mm"),
        ({"duration_minutes": "ten"}, "Enter the duration in whole minutes."),
        ({"duration_minutes": "1000"}, "An appointment lasts 5 to 480 minutes."),
        ({"duration_minutes": "-5"}, "Enter the duration in whole minutes."),
        ({"date": "2026-01-04"}, "is in the past"),
        ({"date": "9999-12-31", "time": "23:59"}, "Choose a date between the years 1900 and 2999"),
        ({"practitioner": "9" * 12}, "Choose a doctor of this hospital."),
        ({"reason": "x" * 300}, "at most 255 characters"),
    ],
)
def test_bad_bookings_answer_400_beside_the_form(client, clock, people, patients, fields, message):
    response = _as(client, people.receptionist).post(_url("book"), _booking(people, patients[0], **fields))
    assert response.status_code == 400
    body = _body(response)
    assert message in body
    assert 'name="practitioner"' in body and 'name="reason"' in body  # the form again, as typed
    with hospital_context("DMC001"):
        assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_a_clash_is_explained_beside_the_form(client, people, patients, booked):
    response = _as(client, people.receptionist).post(
        _url("book"), _booking(people, patients[2], time="10:15")
    )
    assert response.status_code == 400
    assert "Dr Gregory House already has an appointment on 2026-01-12 from 10:00 to 10:30 EST" in _body(
        response
    )


@pytest.mark.django_db
def test_a_nonexistent_local_time_is_explained(client, clock, people, patients):
    response = _as(client, people.receptionist).post(
        _url("book"), _booking(people, patients[0], date="2026-03-08", time="02:30")
    )
    assert response.status_code == 400
    assert "02:30 on 2026-03-08 does not exist in America/New_York" in _body(response)


@pytest.mark.django_db
def test_free_slots_are_shown_and_a_slot_button_fills_the_time_but_only_book_books(
    client, clock, people, patients, booked
):
    with hospital_context("DMC001"):
        working_hours_set(
            acting_user=people.admin,
            practitioner_user_id=people.doctor.pk,
            weekday=0,
            periods=[(datetime.time(9), datetime.time(11))],
            slot_minutes=30,
        )
    client = _as(client, people.receptionist)
    form = _booking(people, patients[0], action="slots", time="")
    response = client.post(_url("book"), form)
    assert response.status_code == 200
    body = _body(response)
    slots = [
        value for value in ("09:00", "09:30", "10:00", "10:30") if f'name="slot" value="{value}"' in body
    ]
    assert slots == ["09:00", "09:30", "10:30"]
    assert (
        client.get(_url("book"), {"practitioner": people.doctor.pk, "date": "2026-01-12"}).status_code == 200
    )
    del form["action"]
    chosen = client.post(_url("book"), {**form, "slot": "10:30", "reason": ""})  # a slot clicked
    assert chosen.status_code == 200 and 'value="10:30"' in _body(chosen)
    assert "Reason for the visit" in _body(chosen)
    with hospital_context("DMC001"):
        assert Appointment.objects.count() == 1  # nothing booked by choosing a slot
    booked_slot = client.post(
        _url("book"), {**form, "action": "book", "time": "10:30", "duration_minutes": "30"}
    )
    assert booked_slot.status_code == 302
    with hospital_context("DMC001"):
        assert Appointment.objects.filter(
            starts_at=datetime.datetime(2026, 1, 12, 15, 30, tzinfo=UTC)
        ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("practitioner", "date"), [("abc", "2026-01-12"), (None, "nonsense"), ("424242", "2026-01-12")]
)
def test_bad_slot_requests_answer_400(client, clock, people, practitioner, date):
    query = {"practitioner": practitioner or people.doctor.pk, "date": date}
    response = _as(client, people.receptionist).get(_url("book"), query)
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["nurse", "doctor", "patient_user"])
def test_only_those_who_book_get_the_booking_form(client, clock, people, patients, role):
    client = _as(client, getattr(people, role))
    assert client.get(_url("book")).status_code == 403
    assert client.post(_url("book"), _booking(people, patients[0])).status_code == 403
    with hospital_context("DMC001"):
        assert not Appointment.objects.exists()


# Status, cancel, reschedule


@pytest.mark.django_db
def test_a_nurse_marks_arrived_from_the_list(client, clock, people, booked):
    clock.set(datetime.datetime(2026, 1, 12, 9, tzinfo=UTC))
    response = _as(client, people.nurse).post(
        _url("status", appointment_id=booked.pk),
        {"status": "arrived", "date": "2026-01-12", "doctor": str(people.doctor.pk)},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{_url('day')}?date=2026-01-12&doctor={people.doctor.pk}"
    with hospital_context("DMC001"):
        assert Appointment.objects.get().status == "arrived"


@pytest.mark.django_db
def test_status_refusals_are_400_403_404_405(client, people, booked):
    nurse = _as(client, people.nurse)
    refused = nurse.post(_url("status", appointment_id=booked.pk), {"status": "completed"})
    assert refused.status_code == 400
    assert "An appointment that is Booked cannot become Completed" in _body(refused)
    assert nurse.post(_url("status", appointment_id=booked.pk), {"status": "nonsense"}).status_code == 400
    assert nurse.post(_url("status", appointment_id=booked.pk), {}).status_code == 400
    assert nurse.post(f"{BASE}abc/status/", {"status": "arrived"}).status_code == 404
    assert nurse.post(_url("status", appointment_id=999999), {"status": "arrived"}).status_code == 404
    assert nurse.get(_url("status", appointment_id=booked.pk)).status_code == 405
    other = _as(client, people.other_doctor).post(
        _url("status", appointment_id=booked.pk), {"status": "arrived"}
    )
    assert other.status_code == 403
    assert (  # another patient's appointment: as if it did not exist
        _as(client, people.patient_user)
        .post(_url("status", appointment_id=booked.pk), {"status": "arrived"})
        .status_code
        == 404
    )
    with hospital_context("DMC001"):
        assert Appointment.objects.get().status == "booked"


@pytest.mark.django_db
def test_cancelling_needs_a_reason(client, people, booked):
    desk = _as(client, people.receptionist)
    form = desk.get(_url("cancel", appointment_id=booked.pk))
    assert form.status_code == 200 and "Reason for cancelling" in _body(form)
    missing = desk.post(_url("cancel", appointment_id=booked.pk), {"reason": "  "})
    assert missing.status_code == 400 and "Give a reason for cancelling." in _body(missing)
    done = desk.post(_url("cancel", appointment_id=booked.pk), {"reason": "Patient called"})
    assert done.status_code == 302 and done["Location"] == f"{_url('day')}?date=2026-01-12"
    with hospital_context("DMC001"):
        stored = Appointment.objects.get()
    assert (stored.status, stored.cancel_reason) == ("cancelled", "Patient called")
    again = desk.post(_url("cancel", appointment_id=booked.pk), {"reason": "twice"})
    assert again.status_code == 400 and "can no longer change status" in _body(again)
    assert desk.get(f"{BASE}abc/cancel/").status_code == 404
    assert desk.post(f"{BASE}12abc/cancel/", {"reason": "x"}).status_code == 404


@pytest.mark.django_db
def test_rescheduling_from_the_form(client, people, patients, booked):
    desk = _as(client, people.receptionist)
    form = desk.get(_url("reschedule", appointment_id=booked.pk))
    assert form.status_code == 200
    assert 'value="2026-01-12"' in _body(form) and 'value="10:00"' in _body(form)
    for bad in (
        {"date": "2026-01-19", "time": "25:00", "duration_minutes": "30"},
        {"date": "someday", "time": "10:00", "duration_minutes": "30"},
        {"date": "2026-01-19", "time": "10:00", "duration_minutes": "x"},
        {"date": "2026-01-19", "time": "10:00", "duration_minutes": "3"},
    ):
        assert desk.post(_url("reschedule", appointment_id=booked.pk), bad).status_code == 400
    moved = desk.post(
        _url("reschedule", appointment_id=booked.pk),
        {"date": "2026-01-19", "time": "11:00", "duration_minutes": "45"},
    )
    assert moved.status_code == 302
    with hospital_context("DMC001"):
        stored = Appointment.objects.get()
    assert (
        stored.starts_at == datetime.datetime(2026, 1, 19, 16, 0, tzinfo=UTC)
        and stored.duration_minutes == 45
    )
    assert desk.get(f"{BASE}abc/reschedule/").status_code == 404
    assert (
        _as(client, people.nurse)
        .post(
            _url("reschedule", appointment_id=booked.pk),
            {"date": "2026-01-20", "time": "11:00", "duration_minutes": "45"},
        )
        .status_code
        == 403
    )


# A patient's appointments, working hours


@pytest.mark.django_db
def test_a_patient_sees_their_own_appointments_page_only(client, people, patients, booked):
    with hospital_context("DMC001"):
        appointment_book(
            acting_user=people.receptionist,
            patient=patients[0],
            practitioner_user_id=people.doctor.pk,
            local_date=MONDAY,
            local_time=datetime.time(11),
        )
    patient = _as(client, people.patient_user)
    own = patient.get(_url("patient", patient_id=patients[0].pk))
    assert own.status_code == 200 and "11:00" in _body(own)
    assert patient.get(_url("patient", patient_id=patients[1].pk)).status_code == 404
    assert patient.get(f"{BASE}patients/abc/").status_code == 404
    staff = _as(client, people.nurse).get(_url("patient", patient_id=patients[1].pk))
    assert staff.status_code == 200 and "Sore knee" in _body(staff)


@pytest.mark.django_db
def test_an_admin_sets_working_hours_from_the_page(client, clock, people):
    admin = _as(client, people.admin)
    assert admin.get(_url("hours")).status_code == 200
    response = admin.post(
        _url("hours"),
        {
            "practitioner": people.doctor.pk,
            "weekday": "0",
            "periods": "09:00-12:00, 13:00-17:30",
            "slot_minutes": "20",
        },
    )
    assert response.status_code == 302
    page = admin.get(response["Location"])
    assert page.status_code == 200 and "17:30" in _body(page)
    with hospital_context("DMC001"):
        hours = list(
            WorkingHours.objects.filter(is_active=True).values_list("start_time", "end_time", "slot_minutes")
        )
    assert hours == [
        (datetime.time(9), datetime.time(12), 20),
        (datetime.time(13), datetime.time(17, 30), 20),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"periods": "nine to five"}, "is not a period like 09:00-12:00"),
        ({"periods": "17:00-09:00"}, "the end must be after the start"),
        ({"weekday": "funday"}, "Choose a day of the week"),
        ({"weekday": "9"}, "Choose a day of the week"),
        ({"practitioner": "abc"}, "Choose a doctor from the list"),
        ({"practitioner": ""}, "Choose a doctor from the list"),
        ({"slot_minutes": "0"}, "Slots are 5 to 480 minutes long"),
    ],
)
def test_bad_working_hours_answer_400(client, clock, people, fields, message):
    form = {
        "practitioner": people.doctor.pk,
        "weekday": "0",
        "periods": "09:00-17:00",
        "slot_minutes": "15",
        **fields,
    }
    response = _as(client, people.admin).post(_url("hours"), form)
    assert response.status_code == 400
    assert message in _body(response)


@pytest.mark.django_db
def test_only_an_admin_sets_working_hours_from_the_page(client, clock, people):
    desk = _as(client, people.receptionist)
    page = desk.get(_url("hours"))
    assert page.status_code == 200 and "Set one day" not in _body(page)
    form = {"practitioner": people.doctor.pk, "weekday": "0", "periods": "09:00-17:00", "slot_minutes": "15"}
    assert desk.post(_url("hours"), form).status_code == 403
    assert desk.get(_url("hours"), {"practitioner": "abc"}).status_code == 400
    assert _as(client, people.patient_user).get(_url("hours")).status_code == 403


# The patient picker and booking from the patient's page


@pytest.mark.django_db
def test_the_picker_finds_by_name_mrn_and_phone_and_is_audited(client, clock, people, patients):
    with hospital_context("DMC001"):
        patients[2].phone = "+880 1711 555123"
        patients[2].save()
    client = _as(client, people.receptionist)
    picker = _url("patient-picker")
    by_name = _body(client.get(picker, {"q": patients[1].family_name}))
    assert f'name="patient" value="{patients[1].pk}"' in by_name and "<html" not in by_name  # a fragment
    assert f'value="{patients[0].pk}"' in _body(client.get(picker, {"q": patients[0].mrn}))
    assert f'value="{patients[2].pk}"' in _body(client.get(picker, {"q": "1711 555123"}))
    assert "No patient found for" in _body(client.get(picker, {"q": "Zzyzx"}))
    assert _body(client.get(picker, {"q": ""})).strip() == ""
    chosen = _body(client.get(picker, {"patient": patients[1].pk}))
    assert f'<input type="hidden" name="patient" value="{patients[1].pk}">' in chosen
    assert "Change patient" in chosen
    with hospital_context("DMC001"):
        kinds = list(
            AuditEvent.objects.filter(action="patient.search").values_list("detail__kind", flat=True)
        )
    assert "phone" in kinds and "name" in kinds


@pytest.mark.django_db
def test_without_javascript_the_picker_is_a_search_form(client, clock, people, patients):
    client = _as(client, people.receptionist)
    found = client.post(_url("book"), {"q": patients[1].family_name, "action": "find", "reason": ""})
    assert found.status_code == 200
    assert f'name="patient" value="{patients[1].pk}"' in _body(found)
    chosen = client.post(_url("book"), {"patient": str(patients[1].pk), "reason": ""})
    assert f'<input type="hidden" name="patient" value="{patients[1].pk}">' in _body(chosen)
    with hospital_context("DMC001"):
        assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_the_booking_page_loads_htmx_from_our_own_static_files(client, clock, people):
    body = _body(_as(client, people.receptionist).get(_url("book")))
    assert 'src="/static/vendor/htmx/htmx.min.js"' in body
    assert "<script>" not in body and "cdn" not in body.lower()


@pytest.mark.django_db
def test_book_from_the_patients_page(client, clock, people, patients):
    client = _as(client, people.receptionist)
    url = _url("book-patient", patient_id=patients[1].pk)
    body = _body(client.get(url))
    assert f'<input type="hidden" name="patient" value="{patients[1].pk}">' in body
    assert patients[1].family_name in body
    record = reverse("patients:detail", kwargs={"hospital_code": "DMC001", "patient_id": patients[1].pk})
    assert url in _body(client.get(record))  # the chart's "Book an appointment" link
    assert client.get(_url("book-patient", patient_id=999999)).status_code == 404
    nurse_chart = _body(_as(client, people.nurse).get(record))
    assert url not in nurse_chart
