"""Test data for the alerts app; use inside `hospital_context(...)`. Writes rows directly (no
audit row, no notice): for setting up a test, not for what it tests."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from hms.alerts.models import CriticalAlert


class CriticalAlertFactory(factory.django.DjangoModelFactory):
    """`CriticalAlertFactory(patient=..., clinician_id=doctor.pk)`: an open potassium alert."""

    class Meta:
        model = CriticalAlert

    resource = "LabResult"
    record_id = factory.Sequence(lambda n: n + 1)
    text = "Potassium 6.9 mmol/L (HH)"
    value = Decimal("6.9")
    unit = "mmol/L"
    flag = "HH"
    raised_by_id = factory.LazyAttribute(lambda alert: alert.clinician_id)
    raised_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda alert: alert.raised_at + datetime.timedelta(minutes=30))
