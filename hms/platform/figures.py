"""A hospital's activity figures for the platform console: counts only, never patient data."""

import datetime

from django.utils import timezone

from hms.encounters.models import Encounter
from hms.patients.models import Patient

ACTIVITY_DAYS = 30


def hospital_figures_count() -> dict[str, int]:
    """The current hospital's patients, and its encounters begun in the last 30 days."""
    since = timezone.now() - datetime.timedelta(days=ACTIVITY_DAYS)
    return {
        "patients": Patient.objects.count(),
        "encounters_30_days": Encounter.objects.live().filter(started_at__gte=since).count(),
    }
