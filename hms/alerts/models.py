"""Critical result alerts (tenant database): who must act on a critical value, and whether they did.

An alert is about one record of another app (a lab result, a vital sign), named by its
resource and id, so this app depends on none of them. It is raised once per record, to
the responsible clinician; acknowledged by them (or the escalation clinician) with a
read-back of the value; escalated once when its time passes unacknowledged. Nothing is
deleted or reopened.
"""

from django.db import models
from django.db.models import Q

from hms.patients.models import Patient

# Minutes an alert waits for its acknowledgement before it is escalated, unless the hospital sets
# another. Neither the Royal College of Pathologists (G158, 2017) nor the Joint Commission
# (NPSG.02.03.01) fixes a number: both have each organisation set its own time frame. 30 minutes
# is this software's default, for the ADMIN to change (docs/clinical/alerts.md).
DEFAULT_ESCALATION_MINUTES = 30
ESCALATION_MINUTES_MIN, ESCALATION_MINUTES_MAX = 5, 240


class AlertSettings(models.Model):
    """How the hospital's critical alerts travel: the escalation time, the escalation clinician
    and the channels (besides the clinician's start page, which always shows them). One row,
    made with the defaults the first time it is saved (hms.alerts.configuration)."""

    escalation_minutes = models.PositiveSmallIntegerField(default=DEFAULT_ESCALATION_MINUTES)
    escalation_clinician_id = models.BigIntegerField(
        null=True, blank=True, help_text="The shared user (doctor) escalations go to first."
    )
    channels = models.JSONField(default=list, blank=True, help_text="Channel keys (hms.alerts.channels).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "alert settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="alerts_settings_single_row"),
            models.CheckConstraint(
                condition=Q(escalation_minutes__gte=ESCALATION_MINUTES_MIN)
                & Q(escalation_minutes__lte=ESCALATION_MINUTES_MAX),
                name="alerts_settings_escalation_minutes_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Alert settings ({self.escalation_minutes} min)"


class CriticalAlert(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Awaiting acknowledgement"
        ESCALATED = "escalated", "Escalated, awaiting acknowledgement"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="critical_alerts")
    resource = models.CharField(max_length=32, help_text="The model of the record: LabResult, Observation.")
    record_id = models.BigIntegerField()
    text = models.CharField(max_length=200, help_text='As shown: "Potassium 6.9 mmol/L (HH)".')
    value = models.DecimalField(
        max_digits=14, decimal_places=4, help_text="The value a read-back must state."
    )
    unit = models.CharField(max_length=32, blank=True)
    flag = models.CharField(max_length=2)
    clinician_id = models.BigIntegerField(help_text="The shared user responsible for acting on it.")
    raised_by_id = models.BigIntegerField(help_text="Who validated or recorded the value.")
    raised_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text="Escalated if not acknowledged by then.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by_id = models.BigIntegerField(null=True, blank=True)
    read_back = models.CharField(max_length=500, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to_id = models.BigIntegerField(
        null=True, blank=True, help_text="The second clinician (else the first administrator told)."
    )

    class Meta:
        ordering = ["raised_at", "id"]
        indexes = [
            models.Index(fields=["clinician_id", "state"]),
            models.Index(fields=["escalated_to_id", "state"]),
            models.Index(fields=["state", "due_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["resource", "record_id"], name="alerts_one_per_record"),
            models.CheckConstraint(
                condition=Q(due_at__gt=models.F("raised_at")), name="alerts_due_after_raised"
            ),
            models.CheckConstraint(
                condition=(
                    Q(state="acknowledged", acknowledged_at__isnull=False, acknowledged_by_id__isnull=False)
                    & ~Q(read_back="")
                )
                | Q(~Q(state="acknowledged"), acknowledged_at__isnull=True, acknowledged_by_id__isnull=True),
                name="alerts_acknowledgement_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(state="escalated") | Q(escalated_at__isnull=False),
                name="alerts_escalation_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.text} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state != self.State.ACKNOWLEDGED
