"""A patient booking and cancelling their own appointments: the hospital's booking rules, as
appointment_book and appointment_cancel enforce them for a patient (scope OWN), the rules'
own service, and the portal's reads. The clock is Monday 5 January 2026, 06:00 (London, GMT)."""

import datetime

import pytest

from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.scheduling import wallclock
from hms.scheduling.models import Appointment, PatientBookingRules
from hms.scheduling.portal import portal_doctors, portal_free_times
from hms.scheduling.rules import booking_rules_get, booking_rules_update
from hms.scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_moves_allowed,
    appointment_reschedule,
    appointment_status_set,
    working_hours_set,
)
from hms.scheduling.tests.factories import AppointmentFactory
from hms.scheduling.wallclock import hospital_zone
from hms.staff.tests.factories import DepartmentFactory, StaffMemberFactory
from hms.tenancy.context import hospital_context

UTC = datetime.UTC
TUESDAY = datetime.date(2026, 1, 6)  # tomorrow
S = Appointment.Status


@pytest.fixture
def hours(people):
    """Dr House works Monday to Friday 09:00-17:00 in 15-minute slots; Dr Wilson has no hours."""
    with hospital_context("DMC001"):
        for day in range(5):
            working_hours_set(
                acting_user=people.admin,
                practitioner_user_id=people.doctor.pk,
                weekday=day,
                periods=[(datetime.time(9), datetime.time(17))],
            )


def _rules(**values):
    row = PatientBookingRules(pk=1, **values)
    row.save()
    return row


def _self_book(
    people, patient, when=datetime.time(10), *, date=TUESDAY, minutes=15, doctor=None, reason="Cough"
):
    return appointment_book(
        acting_user=people.patient_user,
        patient=patient,
        practitioner_user_id=(doctor or people.doctor).pk,
        local_date=date,
        local_time=when,
        duration_minutes=minutes,
        reason=reason,
        client_address="10.0.0.9",
    )


def _desk_book(people, patient, when, *, minutes=15):
    """A booking made at the desk, which the patient's rules do not bind."""
    return appointment_book(
        acting_user=people.receptionist,
        patient=patient,
        practitioner_user_id=people.doctor.pk,
        local_date=TUESDAY,
        local_time=when,
        duration_minutes=minutes,
    )


def _refused(match, people, patient, **kwargs):
    with pytest.raises(ApplicationError, match=match) as refusal:
        _self_book(people, patient, **kwargs)
    assert not Appointment.objects.exists() and not _booking_events()
    return refusal.value


def _booking_events():
    return list(AuditEvent.objects.filter(action__startswith="appointment."))


# Booking for themselves


@pytest.mark.django_db
def test_a_patient_books_a_free_slot_for_themselves_and_it_is_audited(clock, people, patients, hours):
    with hospital_context("DMC001"):
        appointment = _self_book(people, patients[0], datetime.time(10, 30))
        stored = Appointment.objects.get()
        (event,) = _booking_events()
    assert stored.pk == appointment.pk and stored.patient_id == patients[0].pk
    assert (stored.status, stored.reason, stored.booked_by_id) == (S.BOOKED, "Cough", people.patient_user.pk)
    assert stored.starts_at == datetime.datetime(2026, 1, 6, 10, 30, tzinfo=UTC)
    assert stored.ends_at == datetime.datetime(2026, 1, 6, 10, 45, tzinfo=UTC)
    assert (event.action, event.actor_id, event.patient_id) == (
        "appointment.book",
        people.patient_user.pk,
        patients[0].pk,
    )


@pytest.mark.django_db
def test_a_patient_cannot_book_for_anyone_else(clock, people, patients, hours):
    with hospital_context("DMC001"):
        with pytest.raises(NotFound, match="No such patient here"):
            _self_book(people, patients[1])
        assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_no_booking_when_the_hospital_switched_self_booking_off(clock, people, patients, hours):
    with hospital_context("DMC001"):
        _rules(self_booking_enabled=False)
        _refused("does not take bookings or cancellations online", people, patients[0])
        # The desk still books.
        _desk_book(people, patients[0], datetime.time(10), minutes=15)


@pytest.mark.django_db
def test_a_patient_books_only_as_far_ahead_as_the_rules_allow(clock, people, patients, hours):
    with hospital_context("DMC001"):
        _rules(max_days_ahead=7)
        refusal = _refused(
            "up to 7 days ahead, until Monday 12 January 2026",
            people,
            patients[0],
            date=datetime.date(2026, 1, 13),
        )
        assert "date" in refusal.details
        _self_book(people, patients[0], date=datetime.date(2026, 1, 12))  # the last day allowed
        assert Appointment.objects.count() == 1


@pytest.mark.django_db
def test_a_patient_holds_no_more_appointments_to_come_than_allowed(clock, people, patients, hours):
    with hospital_context("DMC001"):
        _rules(max_upcoming=2)
        _self_book(people, patients[0], datetime.time(10))
        cancelled = _self_book(people, patients[0], datetime.time(11))
        appointment_cancel(acting_user=people.patient_user, appointment_id=cancelled.pk, reason="Better")
        # Past appointments, cancelled ones and one already over (completed early) do not count.
        AppointmentFactory(
            patient=patients[0],
            practitioner_user_id=people.doctor.pk,
            starts_at=datetime.datetime(2026, 1, 2, 10, tzinfo=UTC),
            ends_at=datetime.datetime(2026, 1, 2, 10, 15, tzinfo=UTC),
        )
        AppointmentFactory(
            patient=patients[0],
            practitioner_user_id=people.other_doctor.pk,
            starts_at=datetime.datetime(2026, 1, 5, 5, 50, tzinfo=UTC),
            ends_at=datetime.datetime(2026, 1, 5, 6, 20, tzinfo=UTC),
            status=S.COMPLETED,
        )
        _self_book(people, patients[0], datetime.time(12))
        with pytest.raises(ApplicationError, match="You already have 2 appointments coming up"):
            _self_book(people, patients[0], datetime.time(13))
        assert Appointment.objects.exclude(status=S.CANCELLED).count() == 4  # two to come, two over


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("when", "minutes", "date"),
    [
        (datetime.time(10, 5), 15, TUESDAY),  # not on the slots' grid
        (datetime.time(10), 30, TUESDAY),  # two slots at once
        (datetime.time(8, 45), 15, TUESDAY),  # before the working hours
        (datetime.time(10), 15, datetime.date(2026, 1, 10)),  # a Saturday: no hours
    ],
)
def test_a_patient_books_exactly_one_slot_of_the_working_hours(
    clock, people, patients, hours, when, minutes, date
):
    """Off the grid, two slots at once, before the hours, a day without hours: each is refused
    with the same words, pointing the patient back to the free times shown."""
    with hospital_context("DMC001"):
        refusal = _refused(
            "Choose one of the free times shown",
            people,
            patients[0],
            when=when,
            minutes=minutes,
            date=date,
        )
        assert "time" in refusal.details


@pytest.mark.django_db
def test_a_doctor_without_working_hours_is_not_booked_online(clock, people, patients, hours):
    with hospital_context("DMC001"):
        _refused("Choose one of the free times shown", people, patients[0], doctor=people.other_doctor)


@pytest.mark.django_db
def test_a_taken_slot_is_refused_without_naming_who_took_it(clock, people, patients, hours):
    with hospital_context("DMC001"):
        _desk_book(people, patients[1], datetime.time(10), minutes=15)
        with pytest.raises(ApplicationError, match="already has an appointment") as refusal:
            _self_book(people, patients[0], datetime.time(10))
        assert patients[1].family_name not in refusal.value.message
        assert Appointment.objects.count() == 1


@pytest.mark.django_db
def test_a_patient_gives_a_reason(clock, people, patients, hours):
    with hospital_context("DMC001"):
        refusal = _refused("why you would like to see the doctor", people, patients[0], reason="   ")
        assert "reason" in refusal.details


@pytest.mark.django_db
def test_a_patient_books_no_time_in_the_past(clock, people, patients, hours):
    clock.set(datetime.datetime(2026, 1, 6, 12, tzinfo=UTC))
    with hospital_context("DMC001"):
        _refused("in the past", people, patients[0], when=datetime.time(10))


# Cancelling their own


def _booked_for(people, patient, start):
    return AppointmentFactory(
        patient=patient,
        practitioner_user_id=people.doctor.pk,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=15),
    )


@pytest.mark.django_db
def test_a_patient_cancels_their_own_with_enough_notice_and_it_is_audited(clock, people, patients):
    with hospital_context("DMC001"):
        mine = _booked_for(people, patients[0], datetime.datetime(2026, 1, 6, 6, tzinfo=UTC))  # 24 h ahead
        appointment_cancel(acting_user=people.patient_user, appointment_id=mine.pk, reason="Feeling better")
        mine.refresh_from_db()
        event = AuditEvent.objects.get()
    assert (mine.status, mine.cancel_reason, mine.status_changed_by_id) == (
        S.CANCELLED,
        "Feeling better",
        people.patient_user.pk,
    )
    assert (event.action, event.actor_id, event.patient_id) == (
        "appointment.cancel",
        people.patient_user.pk,
        patients[0].pk,
    )


@pytest.mark.django_db
def test_a_patient_cannot_cancel_at_shorter_notice_than_the_rules_ask(clock, people, patients):
    with hospital_context("DMC001"):
        _rules(cancel_notice_hours=48)
        soon = _booked_for(people, patients[0], datetime.datetime(2026, 1, 7, 5, 59, tzinfo=UTC))
        with pytest.raises(
            ApplicationError, match="up to 48 hours before they start; this one starts Wednesday 7"
        ):
            appointment_cancel(acting_user=people.patient_user, appointment_id=soon.pk, reason="Busy")
        later = _booked_for(people, patients[0], datetime.datetime(2026, 1, 8, 6, tzinfo=UTC))
        appointment_cancel(acting_user=people.patient_user, appointment_id=later.pk, reason="Busy")
        assert Appointment.objects.get(pk=soon.pk).status == S.BOOKED
        assert Appointment.objects.get(pk=later.pk).status == S.CANCELLED


@pytest.mark.django_db
def test_a_patient_cannot_cancel_anyone_elses_appointment(clock, people, patients):
    with hospital_context("DMC001"):
        theirs = _booked_for(people, patients[1], datetime.datetime(2026, 1, 9, 10, tzinfo=UTC))
        with pytest.raises(NotFound, match="No such appointment here"):
            appointment_cancel(acting_user=people.patient_user, appointment_id=theirs.pk, reason="Busy")
        assert Appointment.objects.get().status == S.BOOKED and not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_patient_only_cancels_and_never_reschedules(clock, people, patients, hours):
    with hospital_context("DMC001"):
        mine = _booked_for(people, patients[0], datetime.datetime(2026, 1, 9, 10, tzinfo=UTC))
        with pytest.raises(NotAllowed, match="may only cancel"):
            appointment_status_set(
                acting_user=people.patient_user, appointment_id=mine.pk, new_status="arrived"
            )
        with pytest.raises(NotAllowed, match="cancel it and book another"):
            appointment_reschedule(
                acting_user=people.patient_user,
                appointment_id=mine.pk,
                local_date=datetime.date(2026, 1, 9),
                local_time=datetime.time(11),
            )
        mine.refresh_from_db()
        assert (mine.status, mine.starts_at.hour) == (S.BOOKED, 10)


@pytest.mark.django_db
def test_no_online_cancelling_when_self_booking_is_off_or_once_arrived(clock, people, patients):
    with hospital_context("DMC001"):
        mine = _booked_for(people, patients[0], datetime.datetime(2026, 1, 9, 10, tzinfo=UTC))
        _rules(self_booking_enabled=False)
        with pytest.raises(ApplicationError, match="does not take bookings or cancellations online"):
            appointment_cancel(acting_user=people.patient_user, appointment_id=mine.pk, reason="Busy")
        _rules()
        Appointment.objects.filter(pk=mine.pk).update(status=S.ARRIVED)
        with pytest.raises(ApplicationError, match="is arrived and can no longer be cancelled online"):
            appointment_cancel(acting_user=people.patient_user, appointment_id=mine.pk, reason="Busy")


@pytest.mark.django_db
def test_the_lists_offer_a_patient_cancelling_only_when_the_rules_allow_it(clock, people, patients):
    with hospital_context("DMC001"):
        zone, now = hospital_zone(), wallclock.now()
        far = _booked_for(people, patients[0], datetime.datetime(2026, 1, 9, 10, tzinfo=UTC))
        near = _booked_for(people, patients[0], datetime.datetime(2026, 1, 5, 10, tzinfo=UTC))
        theirs = _booked_for(people, patients[1], datetime.datetime(2026, 1, 9, 11, tzinfo=UTC))
        allowed = {
            a.pk: appointment_moves_allowed(appointment=a, user=people.patient_user, now=now, zone=zone)
            for a in (far, near, theirs)
        }
        assert allowed == {far.pk: (S.CANCELLED,), near.pk: (), theirs.pk: ()}
        # Staff keep every move the transitions allow.
        assert S.ARRIVED in appointment_moves_allowed(
            appointment=near, user=people.receptionist, now=now, zone=zone
        )


# The rules themselves


@pytest.mark.django_db
def test_the_rules_have_defaults_until_the_administrator_saves_them(clock, people):
    with hospital_context("DMC001"):
        rules = booking_rules_get()
        assert (
            rules.self_booking_enabled,
            rules.max_days_ahead,
            rules.cancel_notice_hours,
            rules.max_upcoming,
        ) == (
            True,
            60,
            24,
            3,
        )
        saved = booking_rules_update(
            acting_user=people.admin,
            self_booking_enabled=False,
            max_days_ahead=14,
            cancel_notice_hours=2,
            max_upcoming=1,
            client_address="10.0.0.1",
        )
        event = AuditEvent.objects.get()
        again = booking_rules_get()
    assert (
        again.self_booking_enabled,
        again.max_days_ahead,
        again.cancel_notice_hours,
        again.max_upcoming,
    ) == (
        False,
        14,
        2,
        1,
    )
    assert saved.updated_by_id == people.admin.pk
    assert (event.action, event.actor_id, event.patient_id) == ("booking_rules.update", people.admin.pk, None)
    assert event.detail["before"]["max_days_ahead"] == 60 and event.detail["after"]["max_days_ahead"] == 14


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["receptionist", "doctor", "nurse", "patient_user"])
def test_only_the_administrator_sets_the_rules(clock, people, role):
    with hospital_context("DMC001"):
        with pytest.raises(NotAllowed):
            booking_rules_update(
                acting_user=getattr(people, role),
                self_booking_enabled=True,
                max_days_ahead=30,
                cancel_notice_hours=24,
                max_upcoming=3,
            )
        assert not PatientBookingRules.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_rules_out_of_range_are_refused_field_by_field(clock, people):
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError, match="not valid") as refusal:
            booking_rules_update(
                acting_user=people.admin,
                self_booking_enabled=True,
                max_days_ahead=1000,
                cancel_notice_hours=24,
                max_upcoming=0,
            )
        assert set(refusal.value.details) == {"max_days_ahead", "max_upcoming"}
        assert not PatientBookingRules.objects.exists()


# The portal's reads


@pytest.mark.django_db
def test_the_portal_lists_doctors_with_working_hours_by_department(clock, people, patients, hours):
    with hospital_context("DMC001"):
        StaffMemberFactory(user=people.doctor, department=DepartmentFactory(name="Diagnostics"))
        departments = portal_doctors(user=people.patient_user)
        with pytest.raises(NotAllowed):
            portal_doctors(user=people.receptionist)  # the desk books from its own form
    assert [(d.name, d.doctors) for d in departments] == [
        ("Diagnostics", ((people.doctor.pk, "Dr Gregory House"),))
    ]


@pytest.mark.django_db
def test_the_portal_shows_free_times_within_the_booking_window(clock, people, patients, hours):
    with hospital_context("DMC001"):
        _rules(max_days_ahead=3)
        _desk_book(people, patients[1], datetime.time(9), minutes=30)
        free = portal_free_times(
            user=people.patient_user,
            practitioner_user_id=people.doctor.pk,
            first_date=datetime.date(2026, 1, 1),
        )
        with pytest.raises(ApplicationError, match="up to 3 days ahead"):
            portal_free_times(
                user=people.patient_user,
                practitioner_user_id=people.doctor.pk,
                first_date=datetime.date(2026, 1, 9),
            )
    assert [day.date for day in free.days] == [
        datetime.date(2026, 1, 5) + datetime.timedelta(days=n) for n in range(4)
    ]
    assert free.earlier is None and free.later is None
    tuesday = free.days[1]
    assert [f"{slot.starts_local:%H:%M}" for slot in tuesday.slots[:2]] == [
        "09:30",
        "09:45",
    ]  # 09:00-09:30 taken
    assert len(free.days[0].slots) == 32  # Monday: all day free (06:00 now, hours from 09:00)
    assert free.days[3].slots  # Thursday, the last day allowed
    assert free.practitioner_name == "Dr Gregory House"
