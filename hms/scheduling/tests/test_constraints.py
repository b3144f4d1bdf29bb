"""The database itself refuses a double booking, whatever code writes the row."""

import datetime

import pytest
from django.db import IntegrityError, connections, transaction

from hms.scheduling.models import Appointment, WorkingHours
from hms.tenancy.context import hospital_context

T0 = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)
MINUTES = datetime.timedelta(minutes=1)


def _create(patient, doctor_id, start_minute, end_minute, **fields):
    return Appointment.objects.create(
        patient=patient,
        practitioner_user_id=doctor_id,
        starts_at=T0 + start_minute * MINUTES,
        ends_at=T0 + end_minute * MINUTES,
        **fields,
    )


def _refused(tenant, make):
    with pytest.raises(IntegrityError) as raised, transaction.atomic(using=tenant.alias):
        make()
    return raised.value


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "end"), [(0, 30), (10, 20), (-10, 5), (25, 60), (-30, 90)])
def test_an_overlapping_live_row_is_refused_by_the_database(people, patients, start, end):
    doctor = people.doctor.pk
    with hospital_context("DMC001") as tenant:
        _create(patients[0], doctor, 0, 30)
        error = _refused(tenant, lambda: _create(patients[1], doctor, start, end))
        assert Appointment.objects.count() == 1
    vendor = connections[tenant.alias].vendor
    expected = "practitioner double-booked" if vendor == "sqlite" else "no_double_booking"
    assert expected in str(error)


@pytest.mark.django_db
def test_touching_appointments_and_other_doctors_are_fine(people, patients):
    with hospital_context("DMC001"):
        _create(patients[0], people.doctor.pk, 0, 30)
        _create(patients[1], people.doctor.pk, 30, 45)  # [start, end): 09:30 is free again
        _create(patients[2], people.doctor.pk, -15, 0)
        _create(patients[1], people.other_doctor.pk, 0, 30)
        assert Appointment.objects.count() == 4


@pytest.mark.django_db
@pytest.mark.parametrize("freed", [Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW])
def test_the_time_is_free_again_once_the_first_is_cancelled_or_a_no_show(people, patients, freed):
    doctor = people.doctor.pk
    with hospital_context("DMC001") as tenant:
        first = _create(patients[0], doctor, 0, 30)
        _refused(tenant, lambda: _create(patients[1], doctor, 0, 30))
        Appointment.objects.filter(pk=first.pk).update(status=freed)
        second = _create(patients[1], doctor, 0, 30)
        # Rows that do not hold the time never clash, with each other or with live ones.
        _create(patients[2], doctor, 0, 30, status=Appointment.Status.CANCELLED)
        assert Appointment.objects.filter(status=Appointment.Status.BOOKED).get() == second
        # ...and the freed one cannot come back to life over the new booking.
        _refused(tenant, lambda: Appointment.objects.filter(pk=first.pk).update(status="booked"))


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["booked", "arrived", "in_consultation", "completed"])
def test_every_live_status_holds_the_time(people, patients, status):
    with hospital_context("DMC001") as tenant:
        _create(patients[0], people.doctor.pk, 0, 30, status=status)
        _refused(tenant, lambda: _create(patients[1], people.doctor.pk, 15, 45))


@pytest.mark.django_db
def test_moving_a_row_onto_another_is_refused_by_the_database(people, patients):
    doctor = people.doctor.pk
    with hospital_context("DMC001") as tenant:
        _create(patients[0], doctor, 0, 30)
        later = _create(patients[1], doctor, 60, 90)
        # Moving a row within its own time is not a clash with itself.
        Appointment.objects.filter(pk=later.pk).update(ends_at=T0 + 100 * MINUTES)
        _refused(
            tenant,
            lambda: Appointment.objects.filter(pk=later.pk).update(
                starts_at=T0 + 20 * MINUTES, ends_at=T0 + 50 * MINUTES
            ),
        )
        later.refresh_from_db()
        assert later.starts_at == T0 + 60 * MINUTES
        other = _create(patients[2], people.other_doctor.pk, 0, 30)
        _refused(tenant, lambda: Appointment.objects.filter(pk=other.pk).update(practitioner_user_id=doctor))


@pytest.mark.django_db
def test_working_hours_must_end_after_they_start(people):
    with hospital_context("DMC001") as tenant:
        _refused(
            tenant,
            lambda: WorkingHours.objects.create(
                practitioner_user_id=people.doctor.pk,
                weekday=0,
                start_time=datetime.time(17),
                end_time=datetime.time(9),
            ),
        )
        _refused(
            tenant,
            lambda: WorkingHours.objects.create(
                practitioner_user_id=people.doctor.pk,
                weekday=7,
                start_time=datetime.time(9),
                end_time=datetime.time(17),
            ),
        )
