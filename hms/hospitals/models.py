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

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["status", "schema_fingerprint"])]

    def __str__(self) -> str:
        return f"{self.code} - {self.name}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE
