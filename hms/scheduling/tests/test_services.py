import datetime

import pytest

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.scheduling.models import Appointment, WorkingHours
from hms.scheduling.services import (
    ENCOUNTER_TRANSITIONS,
    TRANSITIONS,
    appointment_book,
    appointment_cancel,
    appointment_encounter_move,
    appointment_reschedule,
    appointment_status_set,
    working_hours_set,
)
from hms.scheduling.tests.factories import AppointmentFactory
from hms.staff.models import StaffMember
from hms.tenancy.context import hospital_context

UTC = datetime.UTC
MONDAY = datetime.date(2026, 1, 12)  # a week after the clock's "now" (2026-01-05 06:00 UTC); GMT = UTC
MONDAY_8AM = datetime.datetime(2026, 1, 12, 8, tzinfo=UTC)  # on the day, before the bookings
S = Appointment.Status


def _book(people, patient, when=datetime.time(10), *, date=MONDAY, minutes=30, by=None, doctor=None, **kw):
    return appointment_book(
        acting_user=by or people.receptionist,
        patient=patient,
        practitioner_user_id=(doctor or people.doctor).pk,
        local_date=date,
        local_time=when,
        duration_minutes=minutes,
        reason=kw.pop("reason", "Check-up"),
        client_address=kw.pop("client_address", "10.0.0.7"),
        **kw,
    )


def _weekdays(people, doctor=None, periods=((datetime.time(9), datetime.time(17)),), days=range(5)):
    for day in days:
        working_hours_set(
            acting_user=people.admin,
            practitioner_user_id=(doctor or people.doctor).pk,
            weekday=day,
            periods=periods,
        )


# Booking


@pytest.mark.django_db
def test_a_receptionist_books_and_it_is_stored_in_utc_and_audited(clock, people, patients):
    with hospital_context("DMC001"):
        appointment = _book(people, patients[1], datetime.time(10, 15), minutes=20)
        stored = Appointment.objects.get()
        event = AuditEvent.objects.get()
    assert stored.pk == appointment.pk
    assert stored.starts_at == datetime.datetime(2026, 1, 12, 10, 15, tzinfo=UTC)
    assert stored.ends_at == datetime.datetime(2026, 1, 12, 10, 35, tzinfo=UTC)
    assert (stored.status, stored.reason, stored.booked_by_id) == (
        S.BOOKED,
        "Check-up",
        people.receptionist.pk,
    )
    assert stored.practitioner_user_id == people.doctor.pk
    assert (event.action, event.resource, event.patient_id) == (
        "appointment.book",
        "Appointment",
        patients[1].pk,
    )
    assert (event.actor_id, event.client_address) == (people.receptionist.pk, "10.0.0.7")
    assert event.detail == {
        "appointment_id": stored.pk,
        "practitioner_user_id": people.doctor.pk,
        "starts_at": "2026-01-12T10:15:00+00:00",
        "ends_at": "2026-01-12T10:35:00+00:00",
    }


@pytest.mark.django_db
def test_an_aware_start_is_accepted_and_taken_to_the_minute(clock, people, patients):
    start = datetime.datetime(
        2026, 1, 12, 5, 15, 42, 123, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))
    )
    with hospital_context("DMC001"):
        appointment = appointment_book(
            acting_user=people.admin,
            patient=patients[0],
            practitioner_user_id=people.doctor.pk,
            starts_at=start,
            duration_minutes=15,
        )
    assert appointment.starts_at == datetime.datetime(2026, 1, 12, 10, 15, tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "message", "field"),
    [
        ({"starts_at": datetime.datetime(2026, 1, 12, 10)}, "must carry a time zone", "starts_at"),
        (
            {"starts_at": datetime.datetime(2026, 1, 12, 10, tzinfo=UTC), "local_date": MONDAY},
            "not both",
            None,
        ),
        ({"local_date": MONDAY}, "Enter the date and time", "time"),
        ({"local_time": datetime.time(10)}, "Enter the date and time", "date"),
        ({}, "Enter the date and time", "date"),
        (
            {"local_date": MONDAY, "local_time": datetime.time(10), "duration_minutes": 4},
            "5 to 480 minutes",
            "duration_minutes",
        ),
        (
            {"local_date": MONDAY, "local_time": datetime.time(10), "duration_minutes": 481},
            "5 to 480 minutes",
            "duration_minutes",
        ),
        (
            {"local_date": MONDAY, "local_time": datetime.time(10), "duration_minutes": "30"},
            "5 to 480 minutes",
            "duration_minutes",
        ),
        (
            {"local_date": datetime.date(2026, 1, 5), "local_time": datetime.time(5, 59)},
            "2026-01-05 05:59 GMT is in the past",
            "time",
        ),
        (
            {"local_date": datetime.date(9999, 12, 31), "local_time": datetime.time(23, 59)},
            "between the years 1900 and 2999",
            "date",
        ),
        (
            {"starts_at": datetime.datetime.max.replace(tzinfo=UTC)},
            "between the years 1900 and 2999",
            "date",
        ),
        (
            {"local_date": MONDAY, "local_time": datetime.time(10), "reason": "x" * 256},
            "details are not valid",
            "reason",
        ),
    ],
)
def test_bad_booking_input_is_refused_and_nothing_written(clock, people, patients, kwargs, message, field):
    arguments = {"duration_minutes": 15, **kwargs}
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError, match=message) as raised:
            appointment_book(
                acting_user=people.receptionist,
                patient=patients[0],
                practitioner_user_id=people.doctor.pk,
                **arguments,
            )
        assert not Appointment.objects.exists() and not AuditEvent.objects.exists()
    if field:
        assert field in raised.value.details


@pytest.mark.django_db
def test_the_current_minute_is_not_the_past(clock, people, patients):
    clock.set(datetime.datetime(2026, 1, 12, 9, 59, 30, tzinfo=UTC))
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(9, 59))
    assert appointment.starts_at == datetime.datetime(2026, 1, 12, 9, 59, tzinfo=UTC)


@pytest.mark.django_db
def test_a_double_booking_is_refused_naming_the_clashing_time(clock, people, patients):
    with hospital_context("DMC001"):
        _book(people, patients[0], datetime.time(10), minutes=30)
        with pytest.raises(ApplicationError) as raised:
            _book(people, patients[1], datetime.time(10, 15), minutes=30)
        assert Appointment.objects.count() == 1
        assert AuditEvent.objects.count() == 1
    assert raised.value.message == (
        "Dr Gregory House already has an appointment on 2026-01-12 from 10:00 to 10:30 GMT; "
        "choose another time."
    )
    assert "time" in raised.value.details


@pytest.mark.django_db
def test_back_to_back_and_other_doctors_are_fine(clock, people, patients):
    with hospital_context("DMC001"):
        _book(people, patients[0], datetime.time(10), minutes=30)
        _book(people, patients[1], datetime.time(10, 30), minutes=30)
        _book(people, patients[2], datetime.time(10), minutes=30, doctor=people.other_doctor)
        assert Appointment.objects.count() == 3


@pytest.mark.django_db
def test_a_patient_cannot_be_in_two_places_at_once(clock, people, patients):
    with hospital_context("DMC001"):
        _book(people, patients[0], datetime.time(10), minutes=30, doctor=people.other_doctor)
        with pytest.raises(
            ApplicationError, match="This patient already has an appointment .* with dr_wilson"
        ):
            _book(people, patients[0], datetime.time(10, 20), minutes=30)
        assert Appointment.objects.count() == 1


@pytest.mark.django_db
def test_cancelled_and_no_show_appointments_free_the_time(clock, people, patients):
    with hospital_context("DMC001"):
        first = _book(people, patients[0], datetime.time(10))
        appointment_cancel(acting_user=people.receptionist, appointment_id=first.pk, reason="Patient rang")
        second = _book(people, patients[1], datetime.time(10))
        clock.set(datetime.datetime(2026, 1, 12, 10, 5, tzinfo=UTC))
        appointment_status_set(acting_user=people.nurse, appointment_id=second.pk, new_status=S.NO_SHOW)
        third = _book(people, patients[2], datetime.time(10, 10), minutes=5)
    assert third.status == S.BOOKED


@pytest.mark.django_db
def test_the_patient_must_be_of_this_hospital(clock, people, patients, make_hospital, make_user):
    make_hospital("TH001")
    with hospital_context("TH001"):
        from hms.patients.tests.factories import PatientFactory

        foreign = PatientFactory()
    with hospital_context("DMC001"):
        with pytest.raises(NotFound):
            _book(people, foreign)
        assert not Appointment.objects.exists()


# The practitioner


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["nurse", "unknown", "not-a-number", "huge", "other-hospital", "superadmin"])
def test_only_a_doctor_of_this_hospital_can_be_booked(
    clock, people, patients, make_hospital, make_user, kind
):
    practitioner_id = {
        "nurse": lambda: people.nurse.pk,
        "unknown": lambda: 987654,
        "not-a-number": lambda: "abc",
        "huge": lambda: "9" * 30,
        "other-hospital": lambda: make_user("th_doc", role=Role.DOCTOR, hospital=make_hospital("TH001")).pk,
        "superadmin": lambda: make_user("root", role=Role.SUPERADMIN).pk,
    }[kind]()
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError, match="Choose a doctor of this hospital") as raised:
            appointment_book(
                acting_user=people.receptionist,
                patient=patients[0],
                practitioner_user_id=practitioner_id,
                local_date=MONDAY,
                local_time=datetime.time(10),
            )
        assert not Appointment.objects.exists()
    assert "practitioner" in raised.value.details


@pytest.mark.django_db
def test_an_inactive_doctor_or_staff_member_cannot_be_booked(clock, people, patients):
    with hospital_context("DMC001"):
        StaffMember.objects.create(
            user_id=people.doctor.pk, role="DOCTOR", specialty="GP", licence_number="L1", is_active=False
        )
        with pytest.raises(ApplicationError, match="Dr Gregory House is not on this hospital's active staff"):
            _book(people, patients[0])
        people.other_doctor.is_active = False
        people.other_doctor.save()
        with pytest.raises(ApplicationError, match="dr_wilson is not on this hospital's active staff"):
            _book(people, patients[0], doctor=people.other_doctor)
        StaffMember.objects.filter(user_id=people.doctor.pk).update(is_active=True)
        _book(people, patients[0])
        assert Appointment.objects.count() == 1


# Working hours


@pytest.mark.django_db
def test_bookings_fall_within_working_hours_when_there_are_any(clock, people, patients):
    with hospital_context("DMC001"):
        _book(people, patients[0], datetime.time(7))  # no hours defined: any time
        _weekdays(
            people, periods=((datetime.time(9), datetime.time(12)), (datetime.time(14), datetime.time(17)))
        )
        _book(people, patients[1], datetime.time(9), minutes=180)  # exactly fills the morning
        _book(people, patients[2], datetime.time(16, 30), minutes=30)
        with pytest.raises(ApplicationError) as late:
            _book(people, patients[2], datetime.time(16, 45), minutes=30)
        with pytest.raises(ApplicationError, match="outside those hours"):
            _book(people, patients[2], datetime.time(11, 45), minutes=30)  # runs into lunch
        with pytest.raises(ApplicationError, match="outside those hours"):
            _book(people, patients[2], datetime.time(8, 45))
        with pytest.raises(ApplicationError, match="Dr Gregory House does not work on Saturdays"):
            _book(people, patients[2], datetime.time(10), date=datetime.date(2026, 1, 17))
        # Other doctors keep their own hours (none: any time).
        _book(people, patients[2], datetime.time(20), doctor=people.other_doctor)
    assert late.value.message == (
        "Dr Gregory House works 09:00-12:00, 14:00-17:00 on Mondays; 16:45-17:15 is outside those hours."
    )


@pytest.mark.django_db
def test_setting_a_day_replaces_its_hours_and_keeps_the_old_rows(clock, people):
    with hospital_context("DMC001"):
        first = working_hours_set(
            acting_user=people.admin,
            practitioner_user_id=people.doctor.pk,
            weekday=2,
            periods=[(datetime.time(9), datetime.time(17))],
        )
        second = working_hours_set(
            acting_user=people.admin,
            practitioner_user_id=people.doctor.pk,
            weekday=2,
            periods=[(datetime.time(14), datetime.time(18)), (datetime.time(8, 0, 30), datetime.time(12))],
            slot_minutes=20,
            client_address="10.0.0.1",
        )
        active = list(WorkingHours.objects.filter(is_active=True).order_by("start_time"))
        assert WorkingHours.objects.filter(is_active=False).get().pk == first[0].pk
        event = AuditEvent.objects.filter(action="working_hours.set").last()
    assert [(h.start_time, h.end_time, h.slot_minutes) for h in active] == [
        (datetime.time(8), datetime.time(12), 20),
        (datetime.time(14), datetime.time(18), 20),
    ]
    assert {h.pk for h in second} == {h.pk for h in active}
    assert event.detail["periods"] == ["08:00-12:00", "14:00-18:00"]
    assert event.detail["replaced_ids"] == [first[0].pk]
    assert event.client_address == "10.0.0.1" and event.patient_id is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("weekday", "periods", "slot", "field"),
    [
        (7, [(datetime.time(9), datetime.time(17))], 15, "weekday"),
        (0, [(datetime.time(17), datetime.time(9))], 15, "periods"),
        (0, [(datetime.time(9), datetime.time(12)), (datetime.time(11), datetime.time(13))], 15, "periods"),
        (0, [("09:00", "17:00")], 15, "periods"),
        (0, [(datetime.time(9), datetime.time(17))], 4, "slot_minutes"),
    ],
)
def test_bad_working_hours_are_refused(clock, people, weekday, periods, slot, field):
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError, match="working hours are not valid") as raised:
            working_hours_set(
                acting_user=people.admin,
                practitioner_user_id=people.doctor.pk,
                weekday=weekday,
                periods=periods,
                slot_minutes=slot,
            )
        assert not WorkingHours.objects.exists() and not AuditEvent.objects.exists()
    assert field in raised.value.details


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["receptionist", "doctor", "nurse", "patient_user"])
def test_only_an_admin_sets_working_hours(clock, people, role):
    with hospital_context("DMC001"):
        with pytest.raises(NotAllowed):
            working_hours_set(
                acting_user=getattr(people, role),
                practitioner_user_id=people.doctor.pk,
                weekday=0,
                periods=[(datetime.time(9), datetime.time(17))],
            )
        assert not WorkingHours.objects.exists()


# Rescheduling


@pytest.mark.django_db
def test_rescheduling_moves_the_appointment_and_is_audited(clock, people, patients):
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(10), minutes=30)
        moved = appointment_reschedule(
            acting_user=people.receptionist,
            appointment_id=str(appointment.pk),
            local_date=MONDAY,
            local_time=datetime.time(11),
            client_address="10.0.0.9",
        )
        stored = Appointment.objects.get()
        event = AuditEvent.objects.get(action="appointment.reschedule")
    assert stored.starts_at == datetime.datetime(2026, 1, 12, 11, tzinfo=UTC) == moved.starts_at
    assert stored.duration_minutes == 30
    assert event.patient_id == patients[0].pk and event.client_address == "10.0.0.9"
    assert event.detail["from"]["starts_at"] == "2026-01-12T10:00:00+00:00"
    assert event.detail["to"] == {
        "starts_at": "2026-01-12T11:00:00+00:00",
        "ends_at": "2026-01-12T11:30:00+00:00",
    }


@pytest.mark.django_db
def test_rescheduling_into_its_own_time_is_fine_but_not_onto_another(clock, people, patients):
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(10), minutes=30)
        _book(people, patients[1], datetime.time(11), minutes=30)
        moved = appointment_reschedule(
            acting_user=people.receptionist,
            appointment_id=appointment.pk,
            local_date=MONDAY,
            local_time=datetime.time(10, 15),
        )
        assert moved.starts_at.minute == 15
        with pytest.raises(
            ApplicationError, match="already has an appointment on 2026-01-12 from 11:00 to 11:30"
        ):
            appointment_reschedule(
                acting_user=people.receptionist,
                appointment_id=appointment.pk,
                local_date=MONDAY,
                local_time=datetime.time(10, 45),
            )
        with pytest.raises(ApplicationError, match="already at that time"):
            appointment_reschedule(
                acting_user=people.receptionist,
                appointment_id=appointment.pk,
                local_date=MONDAY,
                local_time=datetime.time(10, 15),
            )
        appointment.refresh_from_db()
        assert appointment.starts_at.minute == 15
        assert AuditEvent.objects.filter(action="appointment.reschedule").count() == 1


@pytest.mark.django_db
def test_only_a_booked_appointment_can_be_rescheduled(clock, people, patients):
    clock.set(MONDAY_8AM)
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(10))
        appointment_status_set(acting_user=people.nurse, appointment_id=appointment.pk, new_status=S.ARRIVED)
        with pytest.raises(
            ApplicationError, match="Only a booked appointment can be rescheduled; this one is Arrived"
        ):
            appointment_reschedule(
                acting_user=people.receptionist,
                appointment_id=appointment.pk,
                local_date=MONDAY,
                local_time=datetime.time(12),
            )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["doctor", "nurse", "patient_user"])
def test_only_those_who_book_may_reschedule(clock, people, patients, role):
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(10))
        with pytest.raises(NotAllowed):
            appointment_reschedule(
                acting_user=getattr(people, role),
                appointment_id=appointment.pk,
                local_date=MONDAY,
                local_time=datetime.time(12),
            )
        appointment.refresh_from_db()
        assert appointment.starts_at.hour == 10


# Statuses


@pytest.mark.django_db
def test_the_visit_goes_booked_arrived_in_consultation_completed(clock, people, patients):
    clock.set(MONDAY_8AM)
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(10))
        appointment_status_set(acting_user=people.nurse, appointment_id=appointment.pk, new_status="arrived")
        appointment_status_set(
            acting_user=people.doctor, appointment_id=appointment.pk, new_status="in_consultation"
        )
        done = appointment_status_set(
            acting_user=people.doctor,
            appointment_id=appointment.pk,
            new_status="completed",
            client_address="1.2.3.4",
        )
        events = list(AuditEvent.objects.filter(action="appointment.status").order_by("id"))
    assert done.status == S.COMPLETED and done.status_changed_by_id == people.doctor.pk
    assert [(e.detail["from"], e.detail["to"], e.actor_id) for e in events] == [
        ("booked", "arrived", people.nurse.pk),
        ("arrived", "in_consultation", people.doctor.pk),
        ("in_consultation", "completed", people.doctor.pk),
    ]
    assert all(e.patient_id == patients[0].pk for e in events)
    assert events[-1].client_address == "1.2.3.4"


ALLOWED = {
    "booked": {"arrived", "cancelled", "no_show"},
    "arrived": {"in_consultation", "cancelled"},
    "in_consultation": {"completed"},
    "completed": set(),
    "cancelled": set(),
    "no_show": set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("old", list(ALLOWED))
def test_only_the_allowed_transitions_are_taken(clock, people, patients, old):
    clock.set(datetime.datetime(2026, 1, 12, 10, 5, tzinfo=UTC))  # during the appointment
    with hospital_context("DMC001"):
        appointment = Appointment.objects.create(
            patient=patients[0],
            practitioner_user_id=people.doctor.pk,
            starts_at=datetime.datetime(2026, 1, 12, 10, tzinfo=UTC),
            ends_at=datetime.datetime(2026, 1, 12, 10, 30, tzinfo=UTC),
            status=old,
        )
        for new in S.values:
            if new in ALLOWED[old]:
                continue
            with pytest.raises(ApplicationError) as raised:
                appointment_status_set(
                    acting_user=people.receptionist, appointment_id=appointment.pk, new_status=new, reason="r"
                )
            assert S(old).label in raised.value.message and S(new).label in raised.value.message
            assert Appointment.objects.get().status == old
        for new in sorted(ALLOWED[old]):
            Appointment.objects.filter(pk=appointment.pk).update(status=old)
            by = people.doctor if new == S.COMPLETED else people.receptionist  # its clinician completes
            changed = appointment_status_set(
                acting_user=by, appointment_id=appointment.pk, new_status=new, reason="r"
            )
            assert changed.status == new == Appointment.objects.get().status
        assert AuditEvent.objects.count() == len(ALLOWED[old])


@pytest.mark.django_db
def test_the_refusal_says_what_is_allowed(clock, people, patients):
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(10))
        with pytest.raises(ApplicationError) as raised:
            appointment_status_set(
                acting_user=people.nurse, appointment_id=appointment.pk, new_status="completed"
            )
        with pytest.raises(ApplicationError, match="'finished' is not an appointment status"):
            appointment_status_set(
                acting_user=people.nurse, appointment_id=appointment.pk, new_status="finished"
            )
    assert raised.value.message == (
        "An appointment that is Booked cannot become Completed; it can become Arrived, Cancelled or No-show."
    )


@pytest.mark.django_db
def test_a_no_show_only_once_the_appointment_has_started(clock, people, patients):
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(10))
        with pytest.raises(
            ApplicationError, match=r"only once their appointment has started \(2026-01-12 10:00 GMT\)"
        ):
            appointment_status_set(
                acting_user=people.nurse, appointment_id=appointment.pk, new_status="no_show"
            )
        clock.set(datetime.datetime(2026, 1, 12, 10, 0, tzinfo=UTC))
        assert (
            appointment_status_set(
                acting_user=people.nurse, appointment_id=appointment.pk, new_status="no_show"
            ).status
            == S.NO_SHOW
        )


@pytest.mark.django_db
def test_cancelling_needs_a_reason_which_is_kept_and_audited(clock, people, patients):
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(10))
        for blank in ("", "   "):
            with pytest.raises(ApplicationError, match="Give a reason for cancelling") as raised:
                appointment_cancel(
                    acting_user=people.receptionist, appointment_id=appointment.pk, reason=blank
                )
            assert "reason" in raised.value.details
        with pytest.raises(ApplicationError, match="reason"):
            appointment_status_set(
                acting_user=people.receptionist, appointment_id=appointment.pk, new_status="cancelled"
            )
        assert Appointment.objects.get().status == S.BOOKED
        cancelled = appointment_cancel(
            acting_user=people.receptionist,
            appointment_id=appointment.pk,
            reason=" Patient is unwell ",
            client_address="10.1.1.1",
        )
        stored = Appointment.objects.get()
        event = AuditEvent.objects.get(action="appointment.cancel")
        with pytest.raises(ApplicationError, match="Cancelled and can no longer change status"):
            appointment_cancel(acting_user=people.receptionist, appointment_id=appointment.pk, reason="again")
    assert cancelled.status == stored.status == S.CANCELLED
    assert stored.cancel_reason == "Patient is unwell"
    assert stored.status_changed_by_id == people.receptionist.pk and stored.status_changed_at is not None
    assert event.patient_id == patients[0].pk and event.client_address == "10.1.1.1"
    assert event.detail == {
        "appointment_id": stored.pk,
        "from": "booked",
        "to": "cancelled",
        "reason": "Patient is unwell",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("appointment_id", ["abc", "", None, 999999, "1; drop table", "9" * 30, -1])
def test_an_unknown_appointment_is_not_found(clock, people, appointment_id):
    with hospital_context("DMC001"):
        with pytest.raises(NotFound, match="No such appointment here"):
            appointment_status_set(
                acting_user=people.nurse, appointment_id=appointment_id, new_status="arrived"
            )
        with pytest.raises(NotFound):
            appointment_cancel(acting_user=people.receptionist, appointment_id=appointment_id, reason="x")
        with pytest.raises(NotFound):
            appointment_reschedule(
                acting_user=people.receptionist,
                appointment_id=appointment_id,
                local_date=MONDAY,
                local_time=datetime.time(9),
            )


# Who may do what


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "receptionist"])
def test_receptionists_and_admins_book(clock, people, patients, role):
    with hospital_context("DMC001"):
        _book(people, patients[0], by=getattr(people, role))
        assert Appointment.objects.get().booked_by_id == getattr(people, role).pk


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["doctor", "nurse"])
def test_doctors_and_nurses_cannot_book(clock, people, patients, role):
    with hospital_context("DMC001"):
        with pytest.raises(NotAllowed, match="may not create appointment"):
            _book(people, patients[0], by=getattr(people, role))
        assert not Appointment.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_nurse_marks_arrived_and_a_patient_cannot(clock, people, patients):
    clock.set(MONDAY_8AM)
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(10))
        with pytest.raises(NotAllowed):
            appointment_status_set(
                acting_user=people.patient_user, appointment_id=appointment.pk, new_status="arrived"
            )
        with pytest.raises(ApplicationError, match="up to 24 hours before"):  # their own, but too late
            appointment_cancel(
                acting_user=people.patient_user, appointment_id=appointment.pk, reason="cannot come"
            )
        assert Appointment.objects.get().status == S.BOOKED
        appointment_status_set(acting_user=people.nurse, appointment_id=appointment.pk, new_status="arrived")
        assert Appointment.objects.get().status == S.ARRIVED


@pytest.mark.django_db
def test_a_doctor_changes_only_their_own_appointments(clock, people, patients):
    clock.set(MONDAY_8AM)
    with hospital_context("DMC001"):
        mine = _book(people, patients[0], datetime.time(10))
        theirs = _book(people, patients[1], datetime.time(10), doctor=people.other_doctor)
        with pytest.raises(NotAllowed, match="only their own appointments"):
            appointment_status_set(acting_user=people.doctor, appointment_id=theirs.pk, new_status="arrived")
        with pytest.raises(NotAllowed):
            appointment_cancel(acting_user=people.doctor, appointment_id=theirs.pk, reason="busy")
        appointment_status_set(acting_user=people.doctor, appointment_id=mine.pk, new_status="arrived")
        appointment_cancel(acting_user=people.doctor, appointment_id=mine.pk, reason="Called to theatre")
        assert Appointment.objects.get(pk=theirs.pk).status == S.BOOKED
        assert Appointment.objects.get(pk=mine.pk).status == S.CANCELLED


@pytest.mark.django_db
def test_another_hospitals_staff_are_refused(clock, people, patients, make_hospital, make_user):
    th = make_hospital("TH001")
    th_desk = make_user("th_desk", role=Role.RECEPTIONIST, hospital=th)
    th_nurse = make_user("th_nurse", role=Role.NURSE, hospital=th)
    th_admin = make_user("th_admin", role=Role.ADMIN, hospital=th)
    root = make_user("root", role=Role.SUPERADMIN)
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(10))
        events = AuditEvent.objects.count()
        for outsider in (th_desk, root):
            with pytest.raises(NotAllowed):
                _book(people, patients[1], datetime.time(11), by=outsider)
            with pytest.raises(NotAllowed):
                appointment_cancel(acting_user=outsider, appointment_id=appointment.pk, reason="x")
        with pytest.raises(NotAllowed):
            appointment_status_set(acting_user=th_nurse, appointment_id=appointment.pk, new_status="arrived")
        with pytest.raises(NotAllowed):
            working_hours_set(
                acting_user=th_admin,
                practitioner_user_id=people.doctor.pk,
                weekday=0,
                periods=[(datetime.time(9), datetime.time(17))],
            )
        assert Appointment.objects.get().status == S.BOOKED
        assert AuditEvent.objects.count() == events and not WorkingHours.objects.exists()


# The moves an encounter makes


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("event", "before", "after"),
    [
        ("start", S.BOOKED, S.IN_CONSULTATION),
        ("start", S.ARRIVED, S.IN_CONSULTATION),
        ("finish", S.IN_CONSULTATION, S.COMPLETED),
        ("void", S.IN_CONSULTATION, S.ARRIVED),
    ],
)
def test_an_encounter_moves_its_appointment_recorded_and_audited(
    clock, people, patients, event, before, after
):
    with hospital_context("DMC001"):
        appointment = AppointmentFactory(
            patient=patients[0], practitioner_user_id=people.doctor.pk, status=before
        )
        moved = appointment_encounter_move(
            acting_user=people.doctor, appointment_id=appointment.pk, event=event, encounter_id=7
        )
        appointment.refresh_from_db()
        audit = AuditEvent.objects.get(action="appointment.status")
    assert moved == (before, after) and appointment.status == after
    assert (appointment.status_changed_by_id, appointment.status_changed_at) == (
        people.doctor.pk,
        clock.now(),
    )
    assert audit.detail == {
        "appointment_id": appointment.pk,
        "from": before,
        "to": after,
        "encounter_id": 7,
        "by": f"encounter.{event}",
    }
    assert audit.patient_id == patients[0].pk and audit.actor_id == people.doctor.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("event", "status"),
    [("start", S.COMPLETED), ("start", S.CANCELLED), ("finish", S.ARRIVED), ("void", S.COMPLETED)],
)
def test_an_encounter_leaves_an_appointment_its_event_does_not_move(clock, people, patients, event, status):
    with hospital_context("DMC001"):
        appointment = AppointmentFactory(
            patient=patients[0], practitioner_user_id=people.doctor.pk, status=status
        )
        moved = appointment_encounter_move(
            acting_user=people.doctor, appointment_id=appointment.pk, event=event, encounter_id=7
        )
        appointment.refresh_from_db()
        assert not AuditEvent.objects.exists()
    assert moved is None and appointment.status == status and appointment.status_changed_at is None


def test_the_encounter_moves_are_their_own_table():
    """Starting from a booked appointment is the encounter's move only; the buttons go via arrived."""
    assert S.IN_CONSULTATION not in TRANSITIONS[S.BOOKED]
    assert ENCOUNTER_TRANSITIONS["start"] == {S.IN_CONSULTATION: frozenset({S.BOOKED, S.ARRIVED})}


# The rules of issue 11: arrival on the day only, completion by the clinician only


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.ARRIVED, S.IN_CONSULTATION])
def test_arrival_and_consultation_only_on_the_appointments_day(clock, people, patients, status):
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(10))  # Monday 12 January
        if status == S.IN_CONSULTATION:
            Appointment.objects.filter(pk=appointment.pk).update(status=S.ARRIVED)
        clock.set(datetime.datetime(2026, 1, 9, 10, tzinfo=UTC))  # three days early
        with pytest.raises(ApplicationError) as raised:
            appointment_status_set(acting_user=people.nurse, appointment_id=appointment.pk, new_status=status)
        assert raised.value.message == (
            f"{S(status).label} can be recorded only on the day of the appointment (Monday 12 January 2026); "
            "today is Friday 9 January 2026."
        )
        assert not AuditEvent.objects.filter(action="appointment.status").exists()
        clock.set(datetime.datetime(2026, 1, 12, 23, 59, tzinfo=UTC))  # late, but still the day
        assert (
            appointment_status_set(
                acting_user=people.nurse, appointment_id=appointment.pk, new_status=status
            ).status
            == status
        )


@pytest.mark.django_db
@pytest.mark.parametrize("time_zone", ["Asia/Dhaka"])
def test_the_day_is_the_hospitals_local_day(clock, people, patients, time_zone):
    # 09:00 in Dhaka on Tuesday 13 January is 03:00 UTC; at 20:00 UTC on Monday it is already Tuesday there.
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(9), date=MONDAY + datetime.timedelta(days=1))
        clock.set(datetime.datetime(2026, 1, 12, 17, 59, tzinfo=UTC))  # 23:59 Monday in Dhaka
        with pytest.raises(ApplicationError, match="only on the day"):
            appointment_status_set(
                acting_user=people.nurse, appointment_id=appointment.pk, new_status="arrived"
            )
        clock.set(datetime.datetime(2026, 1, 12, 18, 0, tzinfo=UTC))  # 00:00 Tuesday in Dhaka
        appointment_status_set(acting_user=people.nurse, appointment_id=appointment.pk, new_status="arrived")
        assert Appointment.objects.get().status == S.ARRIVED


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["receptionist", "nurse", "admin", "other_doctor"])
def test_only_the_appointments_doctor_marks_it_completed(clock, people, patients, role):
    clock.set(MONDAY_8AM)
    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(10))
        Appointment.objects.filter(pk=appointment.pk).update(status=S.IN_CONSULTATION)
        with pytest.raises(NotAllowed):
            appointment_status_set(
                acting_user=getattr(people, role), appointment_id=appointment.pk, new_status="completed"
            )
        assert Appointment.objects.get().status == S.IN_CONSULTATION
        assert not AuditEvent.objects.filter(action="appointment.status").exists()
        appointment_status_set(
            acting_user=people.doctor, appointment_id=appointment.pk, new_status="completed"
        )
        assert Appointment.objects.get().status == S.COMPLETED


@pytest.mark.django_db
def test_the_buttons_offered_follow_the_same_rules(clock, people, patients):
    from hms.scheduling.services import appointment_moves_allowed
    from hms.scheduling.wallclock import hospital_zone

    with hospital_context("DMC001"):
        appointment = _book(people, patients[0], datetime.time(10))
        zone = hospital_zone()

        def offered(user):
            return appointment_moves_allowed(appointment=appointment, user=user, now=clock.now(), zone=zone)

        assert offered(people.receptionist) == ("cancelled",)  # a week early: no arrival, no no-show
        clock.set(datetime.datetime(2026, 1, 12, 10, 1, tzinfo=UTC))
        assert offered(people.receptionist) == ("arrived", "cancelled", "no_show")
        assert offered(people.other_doctor) == ()
        appointment.status = S.IN_CONSULTATION
        assert offered(people.receptionist) == ()
        assert offered(people.doctor) == ("completed",)
        assert offered(people.patient_user) == ()
