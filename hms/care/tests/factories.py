"""Test data for the care app; use inside `hospital_context(...)`."""

import datetime

import factory
from django.utils import timezone

from hms.care.models import CareAssignment, EmergencyAccess
from hms.patients.tests.factories import PatientFactory


class CareAssignmentFactory(factory.django.DjangoModelFactory):
    """A walk-in sent to a clinician a minute ago, open for a day (as reception does it)."""

    class Meta:
        model = CareAssignment

    patient = factory.SubFactory(PatientFactory)
    clinician_user_id = 1
    assigned_by_id = 1
    reason = "Walk-in"
    created_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=1))
    expires_at = factory.LazyAttribute(lambda row: row.created_at + datetime.timedelta(days=1))


class EmergencyAccessFactory(factory.django.DjangoModelFactory):
    """An open break-the-glass access, started a minute ago for an hour."""

    class Meta:
        model = EmergencyAccess

    patient = factory.SubFactory(PatientFactory)
    user_id = 1
    username = "doctor"
    reason = EmergencyAccess.Reason.EMERGENCY
    started_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=1))
    expires_at = factory.LazyAttribute(lambda row: row.started_at + datetime.timedelta(hours=1))
