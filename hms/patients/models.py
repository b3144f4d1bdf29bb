"""Patients (tenant database): one row per person registered at this hospital."""

from django.db import models

from hms.core.models import TimeStampedModel


class Patient(TimeStampedModel):
    class Sex(models.TextChoices):
        # FHIR AdministrativeGender
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    mrn = models.CharField("MRN", max_length=32, unique=True, help_text="Medical record number.")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        indexes = [
            models.Index(fields=["family_name", "given_name", "id"]),
            models.Index(fields=["birth_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"
