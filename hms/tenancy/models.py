"""Shared-database records of the tenancy engine."""

from django.db import models


class SpooledAuditEvent(models.Model):
    """An audit event recorded while its hospital's database was read-only (during a move).

    The payload is appended to the hospital's own audit log before the move switches
    over, so the log in the hospital's database stays complete.
    """

    hospital_code = models.CharField(max_length=32, db_index=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.hospital_code} #{self.pk}"
