"""Care relationships that are not appointments or encounters (tenant database).

A care assignment is how a walk-in reaches a clinician; an emergency access is how a
clinician opens a record outside their care (break-the-glass). Both are care sources
(hms.care.access) while they are open. Neither is ever deleted: they end, and emergency
accesses are reviewed. ADR 0011.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from hms.patients.models import Patient


class OpenQuerySet(models.QuerySet):
    def open(self) -> "OpenQuerySet":
        """Rows still granting care now: not ended, not expired."""
        return self.filter(ended_at__isnull=True, expires_at__gt=timezone.now())


class CareAssignment(models.Model):
    """A patient sent to a named clinician (a walk-in), by reception, a nurse or the ADMIN."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_assignments")
    clinician_user_id = models.BigIntegerField(
        help_text="The shared user (clinician) now caring for the patient."
    )
    assigned_by_id = models.BigIntegerField()
    reason = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by_id = models.BigIntegerField(null=True, blank=True)

    objects = OpenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["clinician_user_id", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="care_assignment_expires_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"patient {self.patient_id} -> user {self.clinician_user_id}"


class EmergencyAccess(models.Model):
    """Break-the-glass: a clinician's time-limited access to a patient outside their care."""

    class Reason(models.TextChoices):
        EMERGENCY = "emergency", "Emergency treatment"
        COVERING = "covering", "Covering for a colleague"
        CONSULTATION = "consultation", "Referral or consultation"
        CONTINUITY = "continuity", "Continuity of care (a patient seen before)"
        OTHER = "other", "Other (explain)"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="emergency_accesses")
    user_id = models.BigIntegerField()
    username = models.CharField(max_length=150)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    explanation = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by_id = models.BigIntegerField(null=True, blank=True)
    reviewed_by_username = models.CharField(max_length=150, blank=True)
    review_note = models.CharField(max_length=500, blank=True)

    objects = OpenQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["user_id", "patient", "expires_at"]),
            models.Index(fields=["reviewed_at", "started_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("started_at")), name="care_emergency_expires_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(reason="other") | ~Q(explanation=""), name="care_emergency_other_is_explained"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} -> patient {self.patient_id} ({self.reason})"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None and self.expires_at > timezone.now()
