"""Issue 11: an appointment the day list put "in consultation" stays the one to start the
encounter from (it used to vanish from appointment_list_startable, and the encounter then
started as a walk-in, leaving the appointment in consultation for ever)."""

import datetime

import pytest
from django.utils import timezone

from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError
from hms.encounters.models import Encounter
from hms.encounters.selectors import appointment_list_startable
from hms.encounters.services import encounter_finish, encounter_start, encounter_void
from hms.scheduling.models import Appointment
from hms.scheduling.services import appointment_status_set
from hms.scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
S = Appointment.Status


@pytest.fixture
def today(staff, chart, in_hospital):
    """The patient's appointment with the doctor, starting now (on the hospital's day)."""
    now = timezone.now().replace(second=0, microsecond=0)
    Appointment.objects.filter(pk=chart.appointment.pk).update(
        starts_at=now, ends_at=now + datetime.timedelta(minutes=15)
    )
    return Appointment.objects.get(pk=chart.appointment.pk)


def _startable(staff, chart):
    return [a.pk for a in appointment_list_startable(user=staff.doctor, patient_id=chart.patient.pk)]


def test_called_in_from_the_day_list_it_is_still_startable_and_the_encounter_links_it(staff, chart, today):
    appointment_status_set(acting_user=staff.nurse, appointment_id=today.pk, new_status=S.ARRIVED)
    appointment_status_set(acting_user=staff.nurse, appointment_id=today.pk, new_status=S.IN_CONSULTATION)

    assert _startable(staff, chart) == [today.pk]

    encounter = encounter_start(acting_user=staff.doctor, patient=chart.patient, appointment=today.pk)

    today.refresh_from_db()
    assert encounter.appointment_id == today.pk and today.status == S.IN_CONSULTATION
    assert "appointment_status" not in AuditEvent.objects.get(action="encounter.start").detail  # no move
    assert _startable(staff, chart) == []  # linked now: not offered twice
    encounter_finish(acting_user=staff.doctor, encounter=encounter)
    today.refresh_from_db()
    assert today.status == S.COMPLETED


def test_voiding_the_encounter_gives_the_appointment_back_to_start_again(staff, chart, today):
    appointment_status_set(acting_user=staff.nurse, appointment_id=today.pk, new_status=S.ARRIVED)
    encounter = encounter_start(acting_user=staff.doctor, patient=chart.patient, appointment=today.pk)
    assert _startable(staff, chart) == []

    encounter_void(acting_user=staff.doctor, encounter=encounter, reason="Wrong patient")

    today.refresh_from_db()
    assert today.status == S.ARRIVED
    assert _startable(staff, chart) == [today.pk]


def test_finished_cancelled_and_other_doctors_appointments_are_not_startable(staff, chart, today):
    for days, status in enumerate((S.COMPLETED, S.CANCELLED, S.NO_SHOW), start=1):
        AppointmentFactory(
            patient=chart.patient,
            practitioner_user_id=staff.doctor.pk,
            status=status,
            starts_at=today.starts_at - datetime.timedelta(days=days),
        )
    AppointmentFactory(
        patient=chart.patient,
        practitioner_user_id=staff.other_doctor.pk,
        starts_at=today.starts_at + datetime.timedelta(days=1),
    )
    assert _startable(staff, chart) == [today.pk]
    done = Appointment.objects.get(status=S.COMPLETED)
    with pytest.raises(ApplicationError, match="booked, arrived or in-consultation"):
        encounter_start(acting_user=staff.doctor, patient=chart.patient, appointment=done.pk)
    assert not Encounter.objects.exists()


def test_an_in_consultation_appointment_is_completed_by_its_encounter_not_by_the_button(staff, chart, today):
    appointment_status_set(acting_user=staff.nurse, appointment_id=today.pk, new_status=S.ARRIVED)
    encounter_start(acting_user=staff.doctor, patient=chart.patient, appointment=today.pk)
    with pytest.raises(ApplicationError, match="finish the encounter"):
        appointment_status_set(acting_user=staff.doctor, appointment_id=today.pk, new_status=S.COMPLETED)
    today.refresh_from_db()
    assert today.status == S.IN_CONSULTATION
