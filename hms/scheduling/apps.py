from django.apps import AppConfig
from django.db.models import QuerySet


class SchedulingConfig(AppConfig):
    name = "hms.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from hms.care.access import care_source_add
        from hms.scheduling.models import Appointment

        def booked(user_id: int) -> "QuerySet[Appointment]":
            """An appointment that was not cancelled puts the patient in the doctor's care."""
            return Appointment.objects.filter(practitioner_user_id=user_id).exclude(
                status=Appointment.Status.CANCELLED
            )

        care_source_add("scheduling.appointment", booked)
