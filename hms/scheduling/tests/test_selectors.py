import datetime

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.models import Appointment
from hms.scheduling.selectors import (
    appointment_day_list,
    appointment_get,
    bookable_practitioners,
    patient_appointments,
    patient_for_booking,
    practitioner_free_slots,
    working_hours_list,
)
from hms.scheduling.services import appointment_book, appointment_cancel, working_hours_set
from hms.scheduling.tests.factories import AppointmentFactory
from hms.staff.models import StaffMember
from hms.tenancy.context import hospital_context

UTC = datetime.UTC
MONDAY = datetime.date(2026, 1, 12)
T = datetime.time


def _at(hour, minute=0, date=MONDAY):
    return datetime.datetime.combine(date, T(hour, minute), tzinfo=UTC)  # London is on GMT in January


def _row(patient, doctor, start, minutes=15, **fields):
    return AppointmentFactory(
        patient=patient,
        practitioner_user_id=doctor.pk,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=minutes),
        **fields,
    )


# The day list


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "receptionist", "doctor", "nurse"])
def test_staff_see_the_days_appointments_in_time_order_and_it_is_audited(clock, people, patients, role):
    user = getattr(people, role)
    clock.set(_at(9, 5))  # on the day, the first appointment started
    with hospital_context("DMC001"):
        late = _row(patients[0], people.doctor, _at(15))
        early = _row(patients[1], people.other_doctor, _at(9))
        cancelled = _row(patients[2], people.doctor, _at(9), status="cancelled", cancel_reason="Unwell")
        _row(patients[2], people.doctor, _at(9, date=MONDAY + datetime.timedelta(days=1)))
        page = appointment_day_list(user=user, date=MONDAY, client_address="10.0.0.3")
        event = AuditEvent.objects.get()
    entries = page.object_list
    assert [e.appointment.pk for e in entries] == [early.pk, cancelled.pk, late.pk]
    assert [e.practitioner_name for e in entries] == ["dr_wilson", "Dr Gregory House", "Dr Gregory House"]
    assert (
        entries[0].starts_local.tzinfo is not None and str(entries[0].starts_local.tzinfo) == "Europe/London"
    )
    # The buttons each user may press now: a doctor changes only their own appointments.
    assert entries[0].next_statuses == (() if role == "doctor" else ("arrived", "cancelled", "no_show"))
    assert entries[1].next_statuses == () and not entries[1].can_cancel
    assert (event.action, event.actor_id, event.patient_id) == ("appointment.day_list", user.pk, None)
    assert event.client_address == "10.0.0.3"
    assert event.detail["appointment_ids"] == [early.pk, cancelled.pk, late.pk]
    assert event.detail["patient_ids"] == sorted({patients[0].pk, patients[1].pk, patients[2].pk})
    assert event.detail["date"] == "2026-01-12"


@pytest.mark.django_db
def test_the_day_list_filters_by_doctor(clock, people, patients):
    with hospital_context("DMC001"):
        mine = _row(patients[0], people.doctor, _at(10))
        _row(patients[1], people.other_doctor, _at(10))
        page = appointment_day_list(user=people.doctor, date=MONDAY, practitioner_user_id=people.doctor.pk)
    assert [e.appointment.pk for e in page.object_list] == [mine.pk]


@pytest.mark.django_db
def test_the_day_list_pages_by_25_in_a_fixed_number_of_queries(clock, people, patients):
    with hospital_context("DMC001") as tenant:
        extra = PatientFactory.create_batch(27)
        rows = [
            _row(p, people.doctor, _at(8) + datetime.timedelta(minutes=15 * i))
            for i, p in enumerate(extra + patients)
        ]
        counts = []
        for size in (3, 30):
            Appointment.objects.exclude(pk__in=[r.pk for r in rows[:size]]).update(status="cancelled")
            with (
                CaptureQueriesContext(connections[tenant.alias]) as tenant_queries,
                CaptureQueriesContext(connections["default"]) as shared_queries,
            ):
                page = appointment_day_list(user=people.nurse, date=MONDAY)
            counts.append((len(tenant_queries), len(shared_queries)))
        second = appointment_day_list(user=people.nurse, date=MONDAY, page_number=2)
        bad = appointment_day_list(user=people.nurse, date=MONDAY, page_number="abc")
    assert counts[0] == counts[1]
    assert page.paginator.count == 30 and len(page.object_list) == 25
    assert [e.appointment.pk for e in second.object_list] == [r.pk for r in rows[25:]]
    assert bad.number == 1


@pytest.mark.django_db
def test_a_patient_does_not_see_the_day_list(clock, people, patients):
    with hospital_context("DMC001"):
        _row(patients[0], people.doctor, _at(10))
        with pytest.raises(NotAllowed, match="for the hospital's staff"):
            appointment_day_list(user=people.patient_user, date=MONDAY)
        assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_another_hospitals_staff_do_not_see_the_day_list(clock, people, patients, make_hospital, make_user):
    outsider = make_user("th_nurse", role=Role.NURSE, hospital=make_hospital("TH001"))
    with hospital_context("DMC001"), pytest.raises(NotAllowed):
        appointment_day_list(user=outsider, date=MONDAY)


# A patient's appointments


@pytest.mark.django_db
def test_a_patient_sees_their_own_appointments_only(clock, people, patients):
    own, other = patients[0], patients[1]
    with hospital_context("DMC001"):
        older = _row(own, people.doctor, _at(9))
        newer = _row(own, people.other_doctor, _at(9, date=MONDAY + datetime.timedelta(days=3)))
        _row(other, people.doctor, _at(11))
        page = patient_appointments(user=people.patient_user, patient_id=own.pk, client_address="10.9.9.9")
        event = AuditEvent.objects.get()
        with pytest.raises(NotFound) as someone_else:
            patient_appointments(user=people.patient_user, patient_id=other.pk)
        with pytest.raises(NotFound) as missing:
            patient_appointments(user=people.patient_user, patient_id=999999)
        assert AuditEvent.objects.count() == 1
    assert [e.appointment.pk for e in page.object_list] == [newer.pk, older.pk]
    assert (event.action, event.patient_id, event.client_address) == ("appointment.list", own.pk, "10.9.9.9")
    assert event.detail["appointment_ids"] == [newer.pk, older.pk]
    assert someone_else.value.message == missing.value.message


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["receptionist", "nurse", "doctor", "admin"])
def test_staff_see_any_patients_appointments(clock, people, patients, role):
    with hospital_context("DMC001"):
        row = _row(patients[1], people.doctor, _at(9))
        page = patient_appointments(user=getattr(people, role), patient_id=str(patients[1].pk))
    assert [e.appointment.pk for e in page.object_list] == [row.pk]


@pytest.mark.django_db
def test_one_appointment_is_visible_to_its_patient_and_staff_and_audited(clock, people, patients):
    with hospital_context("DMC001"):
        own = _row(patients[0], people.doctor, _at(9))
        other = _row(patients[1], people.doctor, _at(10))
        entry = appointment_get(user=people.patient_user, appointment_id=own.pk)
        assert appointment_get(user=people.receptionist, appointment_id=str(other.pk)).patient == patients[1]
        for unseen in (other.pk, "abc", 999999):
            with pytest.raises(NotFound, match="No such appointment here"):
                appointment_get(user=people.patient_user, appointment_id=unseen)
        events = list(AuditEvent.objects.order_by("id"))
    assert entry.appointment == own and entry.patient == patients[0]
    assert [(e.action, e.patient_id) for e in events] == [
        ("appointment.view", patients[0].pk),
        ("appointment.view", patients[1].pk),
    ]


# Free slots


def _monday_hours(people, doctor=None, periods=((datetime.time(9), datetime.time(12)),), slot=30):
    working_hours_set(
        acting_user=people.admin,
        practitioner_user_id=(doctor or people.doctor).pk,
        weekday=0,
        periods=list(periods),
        slot_minutes=slot,
    )


def _slots(free):
    return [f"{s.starts_local:%H:%M}" for s in free.slots]


@pytest.mark.django_db
def test_free_slots_are_working_hours_minus_live_appointments(clock, people, patients):
    with hospital_context("DMC001"):
        _monday_hours(people, periods=[(T(9), T(12)), (T(14), T(15))])
        appointment_book(
            acting_user=people.receptionist,
            patient=patients[0],
            practitioner_user_id=people.doctor.pk,
            local_date=MONDAY,
            local_time=T(10),
            duration_minutes=45,
        )
        cancelled = appointment_book(
            acting_user=people.receptionist,
            patient=patients[1],
            practitioner_user_id=people.doctor.pk,
            local_date=MONDAY,
            local_time=T(11),
            duration_minutes=15,
        )
        appointment_cancel(acting_user=people.receptionist, appointment_id=cancelled.pk, reason="Moved away")
        _row(patients[2], people.other_doctor, _at(9))  # another doctor's time is not this doctor's
        free = practitioner_free_slots(
            user=people.receptionist, practitioner_user_id=people.doctor.pk, date=MONDAY
        )
    assert _slots(free) == ["09:00", "09:30", "11:00", "11:30", "14:00", "14:30"]
    assert free.has_working_hours and free.periods == ((T(9), T(12)), (T(14), T(15)))
    assert free.practitioner_name == "Dr Gregory House" and free.time_zone == "Europe/London"
    assert free.slots[0].starts_at == _at(9)


@pytest.mark.django_db
def test_slots_already_begun_are_not_offered(clock, people, patients):
    clock.set(_at(10, 10))
    with hospital_context("DMC001"):
        _monday_hours(people)
        free = practitioner_free_slots(user=people.nurse, practitioner_user_id=people.doctor.pk, date=MONDAY)
    assert _slots(free) == ["10:30", "11:00", "11:30"]


@pytest.mark.django_db
def test_no_hours_or_a_day_off_offer_no_slots(clock, people):
    with hospital_context("DMC001"):
        none = practitioner_free_slots(user=people.nurse, practitioner_user_id=people.doctor.pk, date=MONDAY)
        _monday_hours(people)
        tuesday = practitioner_free_slots(
            user=people.nurse, practitioner_user_id=people.doctor.pk, date=MONDAY + datetime.timedelta(days=1)
        )
    assert (none.has_working_hours, none.slots) == (False, ())
    assert (tuesday.has_working_hours, tuesday.periods, tuesday.slots) == (True, (), ())


@pytest.mark.django_db
def test_free_slots_need_a_bookable_doctor_and_a_staff_member(clock, people):
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError, match="Choose a doctor"):
            practitioner_free_slots(user=people.nurse, practitioner_user_id=people.nurse.pk, date=MONDAY)
        with pytest.raises(NotAllowed):
            practitioner_free_slots(
                user=people.patient_user, practitioner_user_id=people.doctor.pk, date=MONDAY
            )


# Working hours, doctors, patients by MRN


@pytest.mark.django_db
def test_working_hours_list_shows_active_hours(clock, people):
    with hospital_context("DMC001"):
        _monday_hours(people, periods=[(T(8), T(10))])
        _monday_hours(people, periods=[(T(9), T(12))])
        _monday_hours(people, doctor=people.other_doctor)
        mine = working_hours_list(user=people.receptionist, practitioner_user_id=people.doctor.pk)
        everyone = working_hours_list(user=people.nurse)
        with pytest.raises(NotAllowed):
            working_hours_list(user=people.patient_user)
    assert [(h.start_time, h.end_time) for h in mine.object_list] == [(T(9), T(12))]
    assert everyone.paginator.count == 2


@pytest.mark.django_db
def test_bookable_doctors_are_this_hospitals_active_doctors(clock, people, make_hospital, make_user, dmc):
    make_user("th_doc", role=Role.DOCTOR, hospital=make_hospital("TH001"))
    gone = make_user("dr_gone", role=Role.DOCTOR, hospital=dmc)
    gone.is_active = False
    gone.save()
    left = make_user("dr_left", role=Role.DOCTOR, hospital=dmc)
    with hospital_context("DMC001"):
        StaffMember.objects.create(
            user_id=left.pk, role="DOCTOR", specialty="GP", licence_number="1", is_active=False
        )
        choices = bookable_practitioners(user=people.receptionist)
        with pytest.raises(NotAllowed):
            bookable_practitioners(user=people.patient_user)
    assert choices == [(people.other_doctor.pk, "dr_wilson"), (people.doctor.pk, "Dr Gregory House")]


@pytest.mark.django_db
def test_the_patient_chosen_for_a_booking(clock, people, patients):
    with hospital_context("DMC001"):
        assert patient_for_booking(user=people.receptionist, patient_id=patients[1].pk) == patients[1]
        for patient_id in (0, 999999):
            with pytest.raises(ApplicationError, match="No such patient here") as raised:
                patient_for_booking(user=people.receptionist, patient_id=patient_id)
            assert "patient" in raised.value.details
        with pytest.raises(NotAllowed):
            patient_for_booking(user=people.nurse, patient_id=patients[1].pk)
