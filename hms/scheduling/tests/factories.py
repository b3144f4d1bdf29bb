"""Test data for the scheduling app; use inside `hospital_context(...)`, the router picks the database.

Factories write rows directly (no audit row, no working-hours or clash check): for setting
up a test, not for what it tests. `practitioner_user_id` is a shared user's id; pass the
real doctor's when a test reads names or checks who may do what.
"""

import datetime

import factory
from django.utils import timezone

from hms.patients.tests.factories import PatientFactory
from hms.scheduling.models import Appointment, WorkingHours


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    """Monday 09:00-17:00 in 15-minute slots."""

    class Meta:
        model = WorkingHours

    practitioner_user_id = 1
    weekday = WorkingHours.Weekday.MONDAY
    start_time = datetime.time(9)
    end_time = datetime.time(17)
    slot_minutes = 15


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A booked 15-minute appointment starting in five minutes."""

    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    practitioner_user_id = 1
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(minutes=5))
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + datetime.timedelta(minutes=15))
    reason = "Follow-up"
