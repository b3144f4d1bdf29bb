"""The hospital registry (shared database): one row per hospital and where its database lives."""

from django.db import models

from hms.core.models import TimeStampedModel
from hms.hospitals.validators import validate_code, validate_time_zone


class Hospital(TimeStampedModel):
    class Status(models.TextChoices):
        PROVISIONING = "PROVISIONING", "Provisioning"
        ACTIVE = "ACTIVE", "Active"
        SUSPENDED = "SUSPENDED", "Suspended"
        FAILED = "FAILED", "Failed"
        ARCHIVED = "ARCHIVED", "Archived"

    code = models.CharField(max_length=32, unique=True, validators=[validate_code])
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PROVISIONING, db_index=True
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    server = models.CharField(
        max_length=64, default="embedded", help_text="Database server the hospital lives on."
    )
    database_name = models.CharField(
        max_length=255, help_text="Database on that server (for SQLite, a path in the data folder)."
    )
    schema_fingerprint = models.CharField(
        max_length=64, blank=True, help_text="Tenant schema the database was last migrated to."
    )
    status_detail = models.TextField(blank=True, help_text="Why the last operation failed.")
    migration_error = models.TextField(
        blank=True,
        help_text="Why the last fleet migration of this hospital failed; empty once it succeeds.",
    )
    read_only = models.BooleanField(
        default=False, help_text="Writes are refused (set while the hospital is moved between servers)."
    )
    archived_at = models.DateTimeField(
        null=True, blank=True, help_text="When the hospital was archived (its users may only read)."
    )
    database_removed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the operator removed an archived hospital's database (its backups are kept).",
    )

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["status", "schema_fingerprint"])]

    def __str__(self) -> str:
        return f"{self.code} - {self.name}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_archived(self) -> bool:
        return self.status == self.Status.ARCHIVED


class HospitalSnapshot(models.Model):
    """The last known health, size, backup and activity figures of one hospital.

    Written by `check_hospitals` (and its one-hospital "check now"), and by `backup_hospitals`,
    so that a page listing thousands of hospitals reads one table of the shared database and
    opens no hospital's database (docs/adr/0012-hospital-snapshots-for-the-platform-console.md).
    Figures are counts only, never patient data.
    """

    hospital = models.OneToOneField(
        Hospital, on_delete=models.CASCADE, primary_key=True, related_name="snapshot"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    healthy = models.BooleanField(null=True, help_text="None until the hospital is first checked.")
    problems = models.TextField(blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    patients = models.IntegerField(null=True, blank=True)
    encounters_30_days = models.IntegerField(null=True, blank=True)
    backup_at = models.DateTimeField(null=True, blank=True, help_text="When the newest backup was taken.")
    backup_failed_at = models.DateTimeField(null=True, blank=True)
    backup_error = models.TextField(
        blank=True, help_text="Why the last backup failed (empty once one succeeds)."
    )
    backup_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="When a backup was last started from the platform console."
    )

    def __str__(self) -> str:
        return f"Snapshot of {self.hospital_id}"

    @property
    def backup_failed_last(self) -> bool:
        """The last backup attempt failed (none has succeeded since)."""
        if self.backup_failed_at is None:
            return False
        return self.backup_at is None or self.backup_failed_at > self.backup_at

    @property
    def backup_pending(self) -> bool:
        """A backup started from the console has not reported (ok or failed) since."""
        if self.backup_requested_at is None:
            return False
        reported = [t for t in (self.backup_at, self.backup_failed_at) if t is not None]
        return not reported or max(reported) < self.backup_requested_at
