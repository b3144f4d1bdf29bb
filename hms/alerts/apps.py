from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from hms.alerts.models import CriticalAlert


class AlertsConfig(AppConfig):
    name = "hms.alerts"
    label = "alerts"
    verbose_name = "Critical result alerts"

    def ready(self) -> None:
        import datetime

        from django.conf import settings
        from django.utils import timezone

        from hms.alerts.models import CriticalAlert
        from hms.care.access import care_source_add

        def escalated(user_id: int) -> "QuerySet[CriticalAlert]":
            """An alert escalated to a clinician puts its patient in their care for as long as a
            walk-in's care assignment lasts: the escalation names them responsible for acting."""
            since = timezone.now() - datetime.timedelta(hours=settings.HMS_CARE_ASSIGNMENT_HOURS)
            return CriticalAlert.objects.filter(escalated_to_id=user_id, escalated_at__gt=since)

        care_source_add("alerts.escalation", escalated)
