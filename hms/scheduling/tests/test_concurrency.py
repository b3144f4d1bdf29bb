"""Bookings at the same moment: the database, not luck, keeps a doctor from being double-booked."""

import datetime
import threading

import pytest
from django.db import IntegrityError, connections, transaction

from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError
from hms.patients.tests.factories import PatientFactory
from hms.scheduling import services
from hms.scheduling.models import Appointment, PatientBookingRules
from hms.scheduling.services import appointment_book, appointment_reschedule, working_hours_set
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.context import hospital_context

UTC = datetime.UTC
TEN = datetime.datetime(2026, 1, 12, 10, 0, tzinfo=UTC)  # London is on GMT: 10:00 local
THREADS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_bookings_of_one_doctor_make_exactly_one_appointment(clock, dmc, people):
    with hospital_context(dmc):
        patients = PatientFactory.create_batch(THREADS)
    people.receptionist.hospital  # noqa: B018 - load it once, not in 50 threads
    barrier = threading.Barrier(THREADS)
    outcomes: list[tuple[str, object] | None] = [None] * THREADS

    def book(number: int) -> None:
        try:
            # The registry row, not the code: entering the context reads nothing.
            with hospital_context(dmc):
                barrier.wait(timeout=60)
                try:
                    appointment = appointment_book(
                        acting_user=people.receptionist,
                        patient=patients[number],
                        practitioner_user_id=people.doctor.pk,
                        starts_at=TEN + datetime.timedelta(minutes=number),  # every pair overlaps
                        duration_minutes=60,
                    )
                    outcomes[number] = ("booked", appointment.pk)
                except ApplicationError as refused:
                    outcomes[number] = ("refused", refused)
        except Exception as exc:  # noqa: BLE001 - reported to the main thread below
            outcomes[number] = ("error", f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads)

    errors = [o for o in outcomes if o is None or o[0] == "error"]
    assert errors == []
    booked = [o[1] for o in outcomes if o[0] == "booked"]
    refused = [o[1] for o in outcomes if o[0] == "refused"]
    assert len(booked) == 1 and len(refused) == THREADS - 1
    with hospital_context(dmc):
        winner = Appointment.objects.get()
        assert AuditEvent.objects.filter(action="appointment.book").count() == 1
    assert winner.pk == booked[0]
    start, end = winner.starts_at, winner.ends_at
    expected = (
        f"Dr Gregory House already has an appointment on 2026-01-12 from {start:%H:%M} to {end:%H:%M} GMT; "
        "choose another time."
    )
    assert {r.message for r in refused} == {expected}
    assert all(r.details == {"time": [expected]} for r in refused)


@pytest.mark.django_db(transaction=True)
def test_a_booking_racing_an_uncommitted_clash_is_refused_with_the_same_message(clock, dmc, people):
    """Another writer has inserted 10:00-10:30 but not committed when the service checks.

    PostgreSQL: the check sees nothing, the insert waits for the other transaction and
    the exclusion constraint refuses it. SQLite: the service's IMMEDIATE transaction
    waits for the writer and its check then sees the row. Either way, the same message.
    """
    with hospital_context(dmc) as tenant:
        first, second = PatientFactory.create_batch(2)
    inserted, release = threading.Event(), threading.Event()
    problems: list[str] = []

    def other_writer() -> None:
        try:
            with hospital_context(dmc), transaction.atomic(using=tenant.alias):
                AppointmentFactory(
                    patient=first,
                    practitioner_user_id=people.doctor.pk,
                    starts_at=TEN,
                    ends_at=TEN + datetime.timedelta(minutes=30),
                )
                inserted.set()
                release.wait(timeout=30)
        except Exception as exc:  # noqa: BLE001 - reported to the main thread below
            problems.append(f"{type(exc).__name__}: {exc}")
            inserted.set()
        finally:
            connections.close_all()

    writer = threading.Thread(target=other_writer)
    writer.start()
    assert inserted.wait(timeout=30)
    timer = threading.Timer(1.0, release.set)
    timer.start()
    try:
        with hospital_context(dmc):
            with pytest.raises(ApplicationError) as raised:
                appointment_book(
                    acting_user=people.receptionist,
                    patient=second,
                    practitioner_user_id=people.doctor.pk,
                    starts_at=TEN + datetime.timedelta(minutes=15),
                    duration_minutes=30,
                )
            assert Appointment.objects.count() == 1
            assert not AuditEvent.objects.filter(action="appointment.book").exists()
            vendor = connections[tenant.alias].vendor
    finally:
        release.set()
        timer.cancel()
        writer.join(timeout=30)
    assert problems == []
    assert raised.value.message == (
        "Dr Gregory House already has an appointment on 2026-01-12 from 10:00 to 10:30 GMT; "
        "choose another time."
    )
    if vendor == "postgresql":
        assert isinstance(raised.value.__cause__, IntegrityError)


@pytest.mark.django_db
@pytest.mark.parametrize("operation", ["book", "reschedule"])
def test_the_databases_refusal_becomes_the_services_message(
    clock, dmc, people, patients, monkeypatch, operation
):
    """When the service's own check misses a clash (it lost a race), the database's refusal is translated."""
    real_check = services._clash_check
    calls = []

    def check_that_misses_the_first_time(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            return None
        return real_check(*args, **kwargs)

    with hospital_context(dmc):
        AppointmentFactory(
            patient=patients[0],
            practitioner_user_id=people.doctor.pk,
            starts_at=TEN,
            ends_at=TEN + datetime.timedelta(minutes=30),
        )
        later = AppointmentFactory(
            patient=patients[1],
            practitioner_user_id=people.doctor.pk,
            starts_at=TEN + datetime.timedelta(hours=2),
            ends_at=TEN + datetime.timedelta(hours=2, minutes=30),
        )
        monkeypatch.setattr(services, "_clash_check", check_that_misses_the_first_time)
        with pytest.raises(ApplicationError) as raised:
            if operation == "book":
                appointment_book(
                    acting_user=people.receptionist,
                    patient=patients[2],
                    practitioner_user_id=people.doctor.pk,
                    starts_at=TEN + datetime.timedelta(minutes=20),
                )
            else:
                appointment_reschedule(
                    acting_user=people.receptionist,
                    appointment_id=later.pk,
                    starts_at=TEN + datetime.timedelta(minutes=20),
                )
        assert Appointment.objects.filter(starts_at__gt=TEN).get().pk == later.pk
        assert not AuditEvent.objects.exists()
    assert isinstance(raised.value.__cause__, IntegrityError)
    assert raised.value.message == (
        "Dr Gregory House already has an appointment on 2026-01-12 from 10:00 to 10:30 GMT; "
        "choose another time."
    )


@pytest.mark.django_db(transaction=True)
def test_a_patient_booking_ten_times_at_once_holds_no_more_than_the_rules_allow(clock, dmc, people, patients):
    """Ten free slots booked by the same patient at the same moment, with at most one appointment
    to come allowed: the lock on the patient makes the count and the booking one step."""
    with hospital_context(dmc):
        PatientBookingRules(pk=1, max_upcoming=1).save()
        working_hours_set(
            acting_user=people.admin,
            practitioner_user_id=people.doctor.pk,
            weekday=0,
            periods=[(datetime.time(9), datetime.time(17))],
        )
    people.patient_user.hospital  # noqa: B018 - load it once, not in every thread
    count = 10
    barrier = threading.Barrier(count)
    outcomes: list[tuple[str, object] | None] = [None] * count

    def book(number: int) -> None:
        try:
            with hospital_context(dmc):
                barrier.wait(timeout=60)
                try:
                    appointment = appointment_book(
                        acting_user=people.patient_user,
                        patient=patients[0],
                        practitioner_user_id=people.doctor.pk,
                        starts_at=TEN
                        + datetime.timedelta(minutes=15 * number),  # ten slots, none overlapping
                        duration_minutes=15,
                        reason="Check-up",
                    )
                    outcomes[number] = ("booked", appointment.pk)
                except ApplicationError as refused:
                    outcomes[number] = ("refused", refused.message)
        except Exception as exc:  # noqa: BLE001 - reported to the main thread below
            outcomes[number] = ("error", f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads)
    assert [o for o in outcomes if o is None or o[0] == "error"] == []
    refused = {o[1] for o in outcomes if o is not None and o[0] == "refused"}
    assert refused == {
        "You already have 1 appointment coming up, the most that can be booked online (1). "
        "Cancel one first, or call reception."
    }
    with hospital_context(dmc):
        assert Appointment.objects.filter(patient=patients[0]).count() == 1
