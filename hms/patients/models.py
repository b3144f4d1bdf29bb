"""Patients (tenant database): one row per person registered at this hospital."""

from typing import Any

from django.db import models
from django.db.models import Q

from hms.core.models import TimeStampedModel


class NormalisedNameField(models.CharField):
    """A normalised name, compared byte by byte so prefix ranges (`>= p`, `< p + '\\uffff'`) hold.

    SQLite's default collation is already binary; PostgreSQL gets collation "C" because a
    linguistic collation may ignore U+FFFF or punctuation and break the range.
    """

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


class Patient(TimeStampedModel):
    class Sex(models.TextChoices):
        # FHIR AdministrativeGender
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    class ClinicalSex(models.TextChoices):
        """HL7 Gender Harmony's "sex parameter for clinical use", as far as reference ranges read
        it: female-typical, male-typical, or not recorded (the recorded sex is used)."""

        NOT_RECORDED = "", "Not recorded (use the recorded sex)"
        FEMALE = "female", "Female-typical"
        MALE = "male", "Male-typical"

    mrn = models.CharField("MRN", max_length=32, unique=True, help_text="Medical record number.")
    # People with one name only have either name empty (never both: a constraint below).
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField()
    birth_date_estimated = models.BooleanField(
        default=False, help_text="The birth date was worked out from an age the patient or family gave."
    )
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    sex_for_clinical_use = models.CharField(
        max_length=8,
        choices=ClinicalSex.choices,
        blank=True,
        default=ClinicalSex.NOT_RECORDED,
        help_text="Which sex's reference ranges apply, where the recorded sex is other or unknown "
        "(or differs).",
    )
    deceased_at = models.DateTimeField(null=True, blank=True)
    deceased_recorded_by = models.BigIntegerField(
        null=True, blank=True, help_text="The user (shared database) who recorded the death."
    )
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    user_id = models.BigIntegerField(
        null=True,
        blank=True,
        unique=True,
        help_text="The shared user (role PATIENT) who may see this record as their own.",
    )
    # Filled by the services from the names above (hms.patients.normalise.name_normalise).
    given_name_norm = NormalisedNameField(max_length=100, blank=True, editable=False)
    family_name_norm = NormalisedNameField(max_length=100, blank=True, editable=False)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        indexes = [
            models.Index(fields=["family_name", "given_name", "id"]),
            models.Index(fields=["birth_date"]),
            models.Index(fields=["family_name_norm"]),
            models.Index(fields=["given_name_norm"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(given_name="", family_name=""), name="patients_patient_named"
            ),
            models.CheckConstraint(
                condition=Q(sex_for_clinical_use__in=["", "female", "male"]),
                name="patients_patient_sex_for_clinical_use_valid",
            ),
            models.CheckConstraint(
                condition=Q(deceased_at__isnull=True, deceased_recorded_by__isnull=True)
                | Q(deceased_at__isnull=False, deceased_recorded_by__isnull=False),
                name="patients_patient_death_recorded_by",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sorted_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        """The name as it is said: "given family", or the one name a single-name patient has."""
        return " ".join(part for part in (self.given_name, self.family_name) if part)

    @property
    def sorted_name(self) -> str:
        """The name as lists sort it: "family, given", or the one name a single-name patient has."""
        return ", ".join(part for part in (self.family_name, self.given_name) if part)


class PatientIdentifier(TimeStampedModel):
    """Another number the patient is known by (national id, insurance, passport)."""

    class System(models.TextChoices):
        NATIONAL_ID = "NATIONAL_ID", "National ID"
        INSURANCE = "INSURANCE", "Insurance"
        PASSPORT = "PASSPORT", "Passport"
        OTHER = "OTHER", "Other"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="identifiers")
    system = models.CharField(max_length=16, choices=System.choices)
    value = models.CharField(max_length=64)

    class Meta:
        ordering = ["system", "value"]
        constraints = [
            models.UniqueConstraint(fields=["system", "value"], name="patients_identifier_unique_per_system"),
        ]
        indexes = [models.Index(fields=["value"])]

    def __str__(self) -> str:
        return f"{self.get_system_display()} {self.value}"


class NextOfKin(TimeStampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="next_of_kin")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=50)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "next of kin"

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship})"


class MrnCounter(models.Model):
    """One row per hospital (pk=1): the last MRN sequence number issued; locked while issuing."""

    last_sequence = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="patients_mrncounter_single_row")
        ]

    def __str__(self) -> str:
        return str(self.last_sequence)
