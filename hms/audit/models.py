"""The audit log (tenant database): append-only, each row chained to the one before by hash."""

from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        DENIED = "denied", "Denied"

    occurred_at = models.DateTimeField(default=timezone.now)
    # Shared user ids, not foreign keys: users live in another database.
    actor_id = models.BigIntegerField(null=True)
    actor_username = models.CharField(max_length=150)
    actor_role = models.CharField(max_length=16)
    action = models.CharField(max_length=64)
    resource = models.CharField(max_length=64)
    patient_id = models.BigIntegerField(null=True, db_index=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.SUCCESS)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Which key sealed the row (hms.security.chain); NULL for rows hashed before the key.
    # Nullable with no default so that SQLite adds the column in place: rebuilding the
    # table would drop the append-only triggers.
    key_id = models.CharField(max_length=12, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"


class AuditChainHead(models.Model):
    """One row holding the newest hash; locking it serialises writers of the chain."""

    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.last_hash
