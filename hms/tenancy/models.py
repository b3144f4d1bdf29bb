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


class SchemaVersion(models.Model):
    """A tenant schema some release of the code migrates hospitals to, and what it holds.

    Written by the release itself (fleet migration, template builds) before any hospital
    reaches that schema, so that a process still running an older release can tell a
    hospital that is ahead of its code from one that is behind, and whether every
    migration it lacks is one its code can run on (see hms.tenancy.upgrades).
    """

    fingerprint = models.CharField(max_length=64, unique=True)
    # [[ "app.migration_name", compatible_with_previous_code ], ...] for every tenant migration.
    migrations = models.JSONField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.fingerprint
