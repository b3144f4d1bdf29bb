"""Orders (tenant database): prescriptions and laboratory orders with their results."""

import datetime
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from hms.core.display import unit_label
from hms.core.models import TimeStampedModel, VoidableModel
from hms.encounters.models import Encounter
from hms.patients.models import Patient

MAX_DURATION_DAYS = 365


class FormularyDrug(TimeStampedModel):
    """A medicine the hospital prescribes from, with the limits its prescriptions are checked against.

    Seeded from hms.orders.data.medicines (migration 0003, command `formulary_sync`); the
    hospital edits its own rows. Never deleted: a drug taken off the formulary is inactive.
    """

    class DoseUnit(models.TextChoices):
        MG = "mg", "mg"
        MCG = "mcg", "mcg"
        G = "g", "g"
        UNITS = "units", "units"

    code = models.SlugField(
        max_length=64, unique=True, help_text="Stable key: the seed's code, or the hospital's."
    )
    name = models.CharField(max_length=200, help_text="Generic (INN) name as prescribers read it.")
    other_names = models.JSONField(default=list, blank=True, help_text="Other names it is searched by.")
    drug_class = models.CharField(max_length=120)
    substances = models.JSONField(default=list, help_text="Substance codes (hms.encounters.allergens).")
    allergy_groups = models.JSONField(
        default=list, blank=True, help_text="Allergy group codes it belongs to."
    )
    strengths = models.JSONField(default=list, blank=True, help_text='As written: "500 mg", "125 mg/5 mL".')
    forms = models.JSONField(default=list, blank=True)
    routes = models.JSONField(default=list, blank=True, help_text="Prescription route values.")
    dose_unit = models.CharField(max_length=8, choices=DoseUnit.choices)
    adult_max_dose = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    adult_max_daily = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    child_per_kg_dose = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    child_per_kg_daily = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    child_max_dose = models.DecimalField(
        max_digits=10, decimal_places=3, null=True, blank=True, help_text="A child's cap per dose."
    )
    source = models.CharField(max_length=255, help_text="Where the limits come from (BNF, WHO MF, SmPC).")
    note = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(adult_max_dose__isnull=True) | Q(adult_max_dose__gt=0),
                name="orders_formularydrug_adult_max_dose_positive",
            ),
            models.CheckConstraint(
                condition=Q(adult_max_daily__isnull=True) | Q(adult_max_daily__gt=0),
                name="orders_formularydrug_adult_max_daily_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Prescription(TimeStampedModel, VoidableModel):
    AUTHOR_FIELD = "prescriber_id"  # who alone voids (or finishes) it under CARE scope (ADR 0011)

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        STOPPED = "stopped", "Stopped"

    class DoseUnit(models.TextChoices):
        MG = "mg", "mg"
        G = "g", "g"
        MCG = "mcg", "mcg"
        ML = "mL", "mL"
        UNITS = "units", "units"
        MMOL = "mmol", "mmol"
        TABLET = "tablet", "tablet(s)"
        CAPSULE = "capsule", "capsule(s)"
        PUFF = "puff", "puff(s)"
        DROP = "drop", "drop(s)"
        SACHET = "sachet", "sachet(s)"
        SUPPOSITORY = "suppository", "suppository(-ies)"
        PATCH = "patch", "patch(es)"
        APPLICATION = "application", "application(s)"

    class Route(models.TextChoices):
        ORAL = "oral", "Oral"
        IV = "iv", "Intravenous (IV)"
        IM = "im", "Intramuscular (IM)"
        SC = "sc", "Subcutaneous (SC)"
        TOPICAL = "topical", "Topical"
        TRANSDERMAL = "transdermal", "Transdermal"
        INHALED = "inhaled", "Inhaled"
        RECTAL = "rectal", "Rectal"
        VAGINAL = "vaginal", "Vaginal"
        SUBLINGUAL = "sublingual", "Sublingual"
        BUCCAL = "buccal", "Buccal"
        OPHTHALMIC = "ophthalmic", "Ophthalmic (eye)"
        OTIC = "otic", "Otic (ear)"
        NASAL = "nasal", "Nasal"

    class Frequency(models.TextChoices):
        OD = "OD", "OD: once a day"
        BD = "BD", "BD: twice a day"
        TDS = "TDS", "TDS: three times a day"
        QDS = "QDS", "QDS: four times a day"
        Q4H = "Q4H", "Q4H: every 4 hours"
        Q6H = "Q6H", "Q6H: every 6 hours"
        Q8H = "Q8H", "Q8H: every 8 hours"
        Q12H = "Q12H", "Q12H: every 12 hours"
        MANE = "MANE", "MANE: in the morning"
        NOCTE = "NOCTE", "NOCTE: at night"
        WEEKLY = "WEEKLY", "Once a week"
        PRN = "PRN", "PRN: when required"
        STAT = "STAT", "STAT: once, immediately"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="prescriptions")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prescriptions")
    prescriber_id = models.BigIntegerField(help_text="The shared user (doctor) who prescribed.")
    formulary_drug = models.ForeignKey(
        FormularyDrug,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prescriptions",
        help_text="Empty for a drug prescribed by name outside the formulary (with a reason).",
    )
    drug_name = models.CharField(max_length=200)
    drug_code = models.CharField(max_length=64, blank=True, help_text="RxNorm, ATC or a local code.")
    strength = models.CharField(max_length=40, blank=True, help_text='The product\'s strength: "500 mg".')
    free_text_reason = models.CharField(
        max_length=255, blank=True, help_text="Why the drug was prescribed outside the formulary."
    )
    override_reason = models.CharField(
        max_length=255, blank=True, help_text="Why the prescriber went on despite the warnings."
    )
    overridden_warnings = models.JSONField(
        default=list, blank=True, help_text="The safety warnings shown and overridden, as shown."
    )
    dose = models.DecimalField(
        max_digits=10, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    dose_unit = models.CharField(max_length=16, choices=DoseUnit.choices)
    route = models.CharField(max_length=16, choices=Route.choices)
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    duration_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DURATION_DAYS)],
        help_text="Days the course lasts; empty for a STAT dose.",
    )
    quantity = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Amount to dispense, in dose units.",
    )
    instructions = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(help_text="When the course runs out (a STAT dose: a day after it).")
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by_id = models.BigIntegerField(null=True, blank=True)
    stop_reason = models.CharField(max_length=255, blank=True)

    # Filled in by the selectors for a page (the status as shown, the shared users' names); not stored.
    shown_status: str
    prescriber_name: str
    stopped_by_name: str

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["patient", "status", "ends_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(dose__gt=0), name="orders_prescription_dose_positive"),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__gt=0),
                name="orders_prescription_quantity_positive",
            ),
            models.CheckConstraint(
                condition=(
                    Q(frequency="STAT", duration_days__isnull=True)
                    | (~Q(frequency="STAT") & Q(duration_days__gte=1, duration_days__lte=MAX_DURATION_DAYS))
                ),
                name="orders_prescription_duration_unless_stat",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")), name="orders_prescription_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(status="stopped") | Q(stopped_at__isnull=False, stopped_by_id__isnull=False),
                name="orders_prescription_stop_recorded",
            ),
            models.CheckConstraint(
                condition=Q(formulary_drug__isnull=False) | ~Q(free_text_reason=""),
                name="orders_prescription_formulary_or_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug_name} {self.dose} {self.dose_unit} {self.frequency}"

    def current_status(self, now: datetime.datetime) -> str:
        """The status as shown: an active course whose last day has passed is completed."""
        if self.status == self.Status.ACTIVE and self.ends_at <= now:
            return self.Status.COMPLETED
        return self.status


class LabOrder(TimeStampedModel, VoidableModel):
    AUTHOR_FIELD = "ordered_by_id"  # who alone voids (or finishes) it under CARE scope (ADR 0011)

    class Priority(models.TextChoices):
        ROUTINE = "routine", "Routine"
        URGENT = "urgent", "Urgent"
        STAT = "stat", "STAT"

    class Status(models.TextChoices):
        ORDERED = "ordered", "Ordered"
        COLLECTED = "collected", "Specimen collected"
        RESULTED = "resulted", "Resulted, awaiting verification"
        VERIFIED = "verified", "Verified"
        CANCELLED = "cancelled", "Cancelled"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="lab_orders")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="lab_orders")
    ordered_by_id = models.BigIntegerField(help_text="The shared user (doctor) who ordered.")
    ordered_at = models.DateTimeField(help_text="The same for every test of one panel.")
    test_code = models.CharField(max_length=16, help_text="LOINC code from the lab catalogue.")
    test_name = models.CharField(max_length=200)
    panel_code = models.CharField(max_length=16, blank=True, help_text="The panel it was ordered in.")
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.ROUTINE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ORDERED)
    clinical_note = models.TextField(blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    collected_by_id = models.BigIntegerField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by_id = models.BigIntegerField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)

    # Filled in by the selectors for a page (a prefetch, the shared users' names); not stored.
    visible_results: list["LabResult"]
    ordered_by_name: str

    class Meta:
        ordering = ["-ordered_at", "id"]
        indexes = [
            models.Index(fields=["patient", "ordered_at"]),
            models.Index(fields=["status", "ordered_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="ordered") | Q(status="cancelled") | Q(collected_at__isnull=False),
                name="orders_laborder_collected_before_result",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled")
                | Q(cancelled_at__isnull=False, cancelled_by_id__isnull=False),
                name="orders_laborder_cancel_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.test_name} ({self.test_code}) {self.get_status_display()}"


class LabResult(TimeStampedModel):
    """One result of a lab order. Verified results are never changed (database triggers hold it):
    a correction is a new result that supersedes the old one, which is kept."""

    class Flag(models.TextChoices):
        NORMAL = "N", "Normal"
        LOW = "L", "Low"
        HIGH = "H", "High"
        CRITICAL_LOW = "LL", "Critically low"
        CRITICAL_HIGH = "HH", "Critically high"
        ABNORMAL = "A", "Abnormal"

    order = models.ForeignKey(LabOrder, on_delete=models.PROTECT, related_name="results")
    value_numeric = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    value_text = models.CharField(max_length=200, blank=True)
    unit = models.CharField(max_length=32, blank=True)
    loinc_code = models.CharField(
        max_length=16,
        blank=True,
        help_text="LOINC code of the value as stored, the one its unit matches (glucose in mmol/L: 14749-6).",
    )
    entered_value = models.CharField(max_length=64, blank=True, help_text="As typed, before conversion.")
    entered_unit = models.CharField(max_length=32, blank=True)
    reference_low = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    reference_high = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    critical_low = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    critical_high = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    reference_text = models.CharField(max_length=100, blank=True)
    reference_note = models.CharField(
        max_length=500, blank=True, help_text="Where the reference interval comes from, or why none applies."
    )
    flag = models.CharField(max_length=2, choices=Flag.choices, blank=True)
    egfr = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="With a creatinine: the estimated GFR, mL/min/1.73 m2."
    )
    egfr_note = models.CharField(
        max_length=200, blank=True, help_text="With a creatinine: the eGFR's equation, or why there is none."
    )
    comment = models.TextField(blank=True)
    entered_by_id = models.BigIntegerField()
    entered_at = models.DateTimeField()
    verified_by_id = models.BigIntegerField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    correction_reason = models.CharField(max_length=255, blank=True)

    # Filled in by the selectors for a page (the shared users' names, the value in the hospital's
    # reporting unit where it was stored in another); not stored.
    entered_by_name: str
    verified_by_name: str
    value_here: str

    class Meta:
        ordering = ["-entered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    (Q(value_numeric__isnull=False) & Q(value_text=""))
                    | (Q(value_numeric__isnull=True) & ~Q(value_text=""))
                ),
                name="orders_labresult_one_value",
            ),
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True, verified_by_id__isnull=True)
                | Q(verified_at__isnull=False, verified_by_id__isnull=False),
                name="orders_labresult_verification_recorded",
            ),
            models.CheckConstraint(
                condition=Q(verified_by_id__isnull=True) | ~Q(verified_by_id=F("entered_by_id")),
                name="orders_labresult_four_eyes",
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(superseded_at__isnull=True),
                name="orders_labresult_one_current_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_value} {self.flag}".strip()

    @property
    def display_value(self) -> str:
        if self.value_numeric is None:
            return self.value_text
        text = format(self.value_numeric.normalize(), "f")
        return f"{text} {unit_label(self.unit)}".strip()  # "7.2 ×10³/µL", not UCUM's "10*3/uL"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None
