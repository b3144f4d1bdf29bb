"""The hospital's clinical profile: one row in the hospital's own database."""

from django.db import models
from django.db.models import Q


class LabUnits(models.TextChoices):
    SI = "SI", "SI units (mmol/L, µmol/L)"
    CONVENTIONAL = "CONVENTIONAL", "Conventional units (mg/dL)"


class WeightUnit(models.TextChoices):
    KG = "kg", "kilograms (kg)"
    LB = "[lb_av]", "pounds (lb)"


class HeightUnit(models.TextChoices):
    CM = "cm", "centimetres (cm)"
    IN = "[in_i]", "inches (in)"


class TemperatureUnit(models.TextChoices):
    CELSIUS = "Cel", "degrees Celsius (°C)"
    FAHRENHEIT = "[degF]", "degrees Fahrenheit (°F)"


class CodeSystem(models.TextChoices):
    """Diagnosis code systems. Only those with a code set installed may be chosen (profiles.py)."""

    ICD10_WHO = "icd10-who", "ICD-10 (WHO)"
    ICD10_CM = "icd10-cm", "ICD-10-CM (United States)"
    ICD11 = "icd11", "ICD-11 (WHO)"
    SNOMED_CT = "snomed-ct", "SNOMED CT"


class GrowthReference(models.TextChoices):
    """The growth charts a child's BMI centile is read from (hms.clinical.growth)."""

    WHO = "who", "WHO growth standards and reference"
    UK_WHO = "uk-who", "UK-WHO growth charts (RCPCH)"
    CDC = "cdc", "CDC growth charts (United States)"


class ClinicalProfile(models.Model):
    """How this hospital records and reports: units, code system, working week, growth charts.

    Made from the country's defaults (data/countries.toml) the first time it is read;
    the hospital's ADMIN changes it (`clinical_profile_update`). Values already recorded
    keep the unit they were recorded in: a change applies to what is entered next.
    """

    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 country code.")
    lab_units = models.CharField(max_length=12, choices=LabUnits.choices, default=LabUnits.SI)
    lab_unit_overrides = models.JSONField(
        default=dict, blank=True, help_text="LOINC code of a test -> SI or CONVENTIONAL, where it differs."
    )
    weight_unit = models.CharField(max_length=8, choices=WeightUnit.choices, default=WeightUnit.KG)
    height_unit = models.CharField(max_length=8, choices=HeightUnit.choices, default=HeightUnit.CM)
    temperature_unit = models.CharField(
        max_length=8, choices=TemperatureUnit.choices, default=TemperatureUnit.CELSIUS
    )
    diagnosis_code_system = models.CharField(
        max_length=12, choices=CodeSystem.choices, default=CodeSystem.ICD10_WHO
    )
    working_days = models.JSONField(default=list, help_text="ISO weekday numbers, 1 = Monday ... 7 = Sunday.")
    growth_reference = models.CharField(
        max_length=8, choices=GrowthReference.choices, default=GrowthReference.WHO
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="clinical_profile_single_row")]

    def __str__(self) -> str:
        return f"Clinical profile ({self.country or 'no country'})"

    def lab_units_for(self, loinc: str) -> str:
        """SI or CONVENTIONAL: how this hospital reports the test `loinc`."""
        override = (self.lab_unit_overrides or {}).get(loinc)
        return override if override in LabUnits.values else self.lab_units
