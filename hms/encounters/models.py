"""Encounters (tenant database): a patient's visits and what was recorded during them.

Vital signs are LOINC-coded observations, diagnoses ICD-10 codes of the hospital's system, the
problem list the conditions kept from visit to visit, notes SOAP notes
that are final once signed (a database trigger holds that, see migration 0003).
Nothing here is deleted: rows are voided, by someone, for a reason.
"""

from django.db import models
from django.db.models.functions import Lower

from hms.core.models import TimeStampedModel, VoidableModel
from hms.patients.models import Patient
from hms.scheduling.models import Appointment


class Encounter(TimeStampedModel, VoidableModel):
    AUTHOR_FIELD = "practitioner_user_id"  # who alone voids (or finishes) it under CARE scope (ADR 0011)

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        FINISHED = "finished", "Finished"

    class Class(models.TextChoices):
        """The kind of encounter: HL7 v3 ActCode's ActEncounterCode (FHIR Encounter.class)."""

        AMBULATORY = "AMB", "Outpatient (ambulatory)"
        EMERGENCY = "EMER", "Emergency"
        INPATIENT = "IMP", "Inpatient"
        HOME_HEALTH = "HH", "Home health"
        VIRTUAL = "VR", "Virtual (telehealth)"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    practitioner_user_id = models.BigIntegerField(help_text="The shared user (doctor) responsible.")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="encounter"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    encounter_class = models.CharField(
        "class",
        max_length=4,
        choices=Class.choices,
        default=Class.AMBULATORY,
        help_text="Outpatient, emergency, inpatient, home health or virtual; chosen at the start.",
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    voided_appointment_id = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="The appointment this encounter was started from, kept here when voiding released it.",
    )

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
            models.UniqueConstraint(
                fields=["patient", "practitioner_user_id"],
                condition=models.Q(status="in_progress", voided_at__isnull=True),
                name="encounters_encounter_one_open_per_doctor_and_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"Encounter {self.pk} ({self.started_at:%Y-%m-%d})"


class Observation(TimeStampedModel, VoidableModel):
    """One LOINC-coded measurement (a vital sign or nursing observation), stored in its UCUM unit
    (hms.encounters.vitals), flagged against the patient's band for their age and sex.

    A coded observation (ACVPU) has `value_code` and no value. Blood pressure is a panel (LOINC
    85354-9, no value of its own) whose systolic and diastolic rows are its `components`: they are
    voided together. `effective_at` is when it was measured; `recorded_at` when it was typed.
    """

    AUTHOR_FIELD = "recorded_by_id"  # who alone voids (or finishes) it under CARE scope (ADR 0011)

    class Flag(models.TextChoices):
        HIGH = "H", "High"
        LOW = "L", "Low"
        CRITICAL_HIGH = "HH", "Critically high"
        CRITICAL_LOW = "LL", "Critically low"

    class BodyPosition(models.TextChoices):
        SITTING = "sitting", "Sitting"
        STANDING = "standing", "Standing"
        LYING = "lying", "Lying"

    class BodySite(models.TextChoices):
        """Where a temperature was taken (its route)."""

        ORAL = "oral", "Oral"
        AXILLARY = "axillary", "Axillary"
        TYMPANIC = "tympanic", "Tympanic (ear)"
        RECTAL = "rectal", "Rectal"
        TEMPORAL = "temporal", "Temporal artery (forehead)"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="observations")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="observations")
    loinc_code = models.CharField(max_length=16)
    value = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Empty for a coded value or a panel.",
    )
    value_code = models.CharField(
        max_length=16, blank=True, help_text="A coded value: ACVPU's A, C, V, P or U."
    )
    unit = models.CharField(max_length=32, blank=True, help_text="UCUM unit of `value`.")
    entered_value = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True, help_text="As typed, before conversion."
    )
    entered_unit = models.CharField(max_length=32, blank=True)
    abnormal_flag = models.CharField(
        max_length=2,
        choices=Flag.choices,
        blank=True,
        help_text="Against the band for the patient's age and sex on the day (hms.clinical.ranges).",
    )
    centile = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True, help_text="A child's BMI centile."
    )
    panel = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="components",
        help_text="The blood pressure panel this systolic or diastolic pressure belongs to.",
    )
    body_position = models.CharField(
        max_length=8, choices=BodyPosition.choices, blank=True, help_text="Blood pressure panel."
    )
    body_site = models.CharField(
        max_length=8, choices=BodySite.choices, blank=True, help_text="Temperature: where it was taken."
    )
    derived_from = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="derivations",
        help_text="BMI: its weight and height.",
    )
    effective_at = models.DateTimeField(help_text="When it was measured (not in the future).")
    recorded_at = models.DateTimeField(help_text="When it was typed in.")
    recorded_by_id = models.BigIntegerField(help_text="The shared user who recorded it.")

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [
            models.Index(fields=["encounter", "loinc_code"]),
            models.Index(fields=["patient", "loinc_code", "recorded_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__isnull=False)
                | ~models.Q(value_code="")
                | models.Q(loinc_code="85354-9"),
                name="encounters_observation_has_a_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loinc_code} {self.value if self.value is not None else self.value_code} {self.unit}"


class Diagnosis(TimeStampedModel, VoidableModel):
    """An ICD-10 coded diagnosis made in an encounter, in the hospital's code system (the WHO's ICD-10 or
    ICD-10-CM), with that system and its edition; the description is copied when it is made."""

    AUTHOR_FIELD = "recorded_by_id"  # who alone voids (or finishes) it under CARE scope (ADR 0011)

    class Kind(models.TextChoices):
        PRIMARY = "primary", "Primary"
        SECONDARY = "secondary", "Secondary"

    class Certainty(models.TextChoices):
        PROVISIONAL = "provisional", "Provisional"
        CONFIRMED = "confirmed", "Confirmed"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="diagnoses")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diagnoses")
    icd10_code = models.CharField("ICD-10 code", max_length=10)
    code_system = models.CharField(
        max_length=12, help_text="The code's system: icd10-who or icd10-cm (hms.clinical.models.CodeSystem)."
    )
    code_system_version = models.CharField(
        max_length=64,
        blank=True,
        help_text="The system's edition and the code set's release; blank before it was kept.",
    )
    description = models.TextField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SECONDARY)
    certainty = models.CharField(max_length=16, choices=Certainty.choices, default=Certainty.CONFIRMED)
    recorded_by_id = models.BigIntegerField(help_text="The shared user (doctor) who made it.")

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "diagnoses"
        indexes = [models.Index(fields=["patient", "icd10_code"])]
        constraints = [
            models.UniqueConstraint(
                fields=["encounter"],
                condition=models.Q(kind="primary", voided_at__isnull=True),
                name="encounters_diagnosis_one_primary_per_encounter",
            ),
            models.UniqueConstraint(
                fields=["encounter", "icd10_code"],
                condition=models.Q(voided_at__isnull=True),
                name="encounters_diagnosis_code_once_per_encounter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.description}"


class Allergy(TimeStampedModel, VoidableModel):
    """An allergy or intolerance of the patient (FHIR AllergyIntolerance's type), with its
    criticality (the potential for a future life-threatening reaction, apart from the severity of
    the reaction seen); entered in error = voided. Recording one supersedes the patient's
    "no known allergies" (NoKnownAllergies)."""

    # No AUTHOR_FIELD: the allergy list is the patient's, kept by every clinician treating
    # them (a nurse records one; only a doctor may void one entered in error).

    class Category(models.TextChoices):
        FOOD = "food", "Food"
        MEDICATION = "medication", "Medication"
        ENVIRONMENT = "environment", "Environment"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"

    class Type(models.TextChoices):
        """An allergy (immune-mediated) stops a prescription; an intolerance warns (hms.orders)."""

        ALLERGY = "allergy", "Allergy"
        INTOLERANCE = "intolerance", "Intolerance"

    class Criticality(models.TextChoices):
        LOW = "low", "Low risk"
        HIGH = "high", "High risk"
        UNABLE_TO_ASSESS = "unable-to-assess", "Unable to assess"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(max_length=200)
    allergen_code = models.CharField(
        max_length=64,
        blank=True,
        help_text="The coded allergen (hms.encounters.allergens: group:penicillins, substance:amoxicillin); "
        "empty for free text that names no known allergen.",
    )
    category = models.CharField(max_length=16, choices=Category.choices)
    reaction = models.CharField(max_length=255, blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    type = models.CharField(max_length=12, choices=Type.choices, default=Type.ALLERGY)
    criticality = models.CharField(
        max_length=16,
        choices=Criticality.choices,
        default=Criticality.UNABLE_TO_ASSESS,
        help_text="Older rows: high if the reaction was severe, else low (as FHIR said).",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    recorded_by_id = models.BigIntegerField(help_text="The shared user who recorded it.")

    class Meta:
        ordering = ["substance", "id"]
        verbose_name_plural = "allergies"
        constraints = [
            models.UniqueConstraint(
                "patient",
                Lower("substance"),
                condition=models.Q(status="active", voided_at__isnull=True),
                name="encounters_allergy_one_active_per_substance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.substance} ({self.get_severity_display()})"

    @property
    def status_display(self) -> str:
        return "Entered in error" if self.is_voided else self.get_status_display()


class NoKnownAllergies(TimeStampedModel, VoidableModel):
    """A clinician's statement that the patient has no known allergies (SNOMED CT 716186003),
    when and by whom. It is not the same as nothing recorded: the banner says which.

    Recording an allergy supersedes it (`superseded_at`, `superseded_by`); a patient has at most
    one current statement, and none while an allergy of theirs is active (the services hold that).
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="no_known_allergies")
    recorded_by_id = models.BigIntegerField(help_text="The shared user (clinician) who stated it.")
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        Allergy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The allergy whose recording superseded it.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "no known allergies statement"
        verbose_name_plural = "no known allergies statements"
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(superseded_at__isnull=True, voided_at__isnull=True),
                name="encounters_noknownallergies_one_current_per_patient",
            ),
            models.CheckConstraint(
                condition=models.Q(superseded_by__isnull=True) | models.Q(superseded_at__isnull=False),
                name="encounters_noknownallergies_superseded_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"No known allergies ({self.created_at:%Y-%m-%d})"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None and not self.is_voided


class ProblemListItem(TimeStampedModel, VoidableModel):
    """A condition on the patient's problem list: kept from visit to visit, apart from the
    diagnoses made in encounters (FHIR Condition, category problem-list-item).

    Coded in the hospital's code system with its edition (as a diagnosis is, hms.encounters.icd10);
    added from an encounter's diagnosis (`diagnosis`) or directly. Resolved with the date it
    resolved; entered in error = voided. A code is on the list at most once while not resolved.
    """

    # No AUTHOR_FIELD: the problem list is the patient's, kept by every doctor treating them.

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        RESOLVED = "resolved", "Resolved"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="problems")
    code = models.CharField(max_length=10)
    code_system = models.CharField(
        max_length=12, help_text="icd10-who or icd10-cm (hms.clinical.models.CodeSystem)."
    )
    code_system_version = models.CharField(max_length=64, help_text="The system's edition and release.")
    description = models.TextField()
    onset_date = models.DateField(null=True, blank=True, help_text="When it began, where known.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    resolved_date = models.DateField(null=True, blank=True)
    diagnosis = models.ForeignKey(
        Diagnosis,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problems",
        help_text="The encounter diagnosis it was added from, if any.",
    )
    recorded_by_id = models.BigIntegerField(help_text="The shared user (doctor) who added it.")

    class Meta:
        ordering = ["status", "-onset_date", "id"]
        indexes = [models.Index(fields=["patient", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "code"],
                condition=models.Q(status__in=["active", "inactive"], voided_at__isnull=True),
                name="encounters_problemlistitem_code_once_unresolved",
            ),
            models.CheckConstraint(
                condition=models.Q(status="resolved", resolved_date__isnull=False)
                | (~models.Q(status="resolved") & models.Q(resolved_date__isnull=True)),
                name="encounters_problemlistitem_resolved_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_date__isnull=True)
                | models.Q(onset_date__isnull=True)
                | models.Q(resolved_date__gte=models.F("onset_date")),
                name="encounters_problemlistitem_resolves_after_onset",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description} ({self.get_status_display()})"

    @property
    def status_display(self) -> str:
        return "Entered in error" if self.is_voided else self.get_status_display()


class ClinicalNote(TimeStampedModel, VoidableModel):
    """A SOAP note. Once signed its text never changes (trigger in migration 0003); amend it instead."""

    AUTHOR_FIELD = "author_id"  # who alone voids (or finishes) it under CARE scope (ADR 0011)

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="notes")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="clinical_notes")
    author_id = models.BigIntegerField(help_text="The shared user (doctor) who wrote it.")
    subjective = models.TextField(blank=True)
    objective = models.TextField(blank=True)
    assessment = models.TextField(blank=True)
    plan = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(status="draft", signed_at__isnull=True, signed_by_id__isnull=True)
                    | models.Q(status="signed", signed_at__isnull=False, signed_by_id__isnull=False)
                ),
                name="encounters_clinicalnote_signed_has_signer",
            ),
        ]

    def __str__(self) -> str:
        return f"Note {self.pk} ({self.get_status_display()})"

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED


class NoteAmendment(models.Model):
    """Text added to a signed note; the note itself stays as it was signed. Never updated."""

    note = models.ForeignKey(ClinicalNote, on_delete=models.PROTECT, related_name="amendments")
    author_id = models.BigIntegerField(help_text="The shared user (doctor) who wrote it.")
    text = models.TextField()
    reason = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Amendment {self.pk} of note {self.note_id}"
