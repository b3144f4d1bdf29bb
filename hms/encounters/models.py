"""Encounters (tenant database): a patient's visits and what was recorded during them."""

from django.db import models

from hms.core.models import TimeStampedModel, VoidableModel
from hms.patients.models import Patient
from hms.scheduling.models import Appointment


class Encounter(TimeStampedModel, VoidableModel):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        FINISHED = "finished", "Finished"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    practitioner_user_id = models.BigIntegerField(help_text="The shared user (doctor) responsible.")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="encounter"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "started_at"]),
            models.Index(fields=["practitioner_user_id", "started_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="encounters_encounter_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Encounter {self.pk} ({self.started_at:%Y-%m-%d})"
