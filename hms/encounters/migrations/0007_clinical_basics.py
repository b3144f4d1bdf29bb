"""Encounter class (existing encounters outpatient, AMB); an allergy's type (existing rows allergies)
and criticality (existing rows as FHIR gave it: high if the reaction was severe, else low); the
"no known allergies" statement; the problem list."""

import django.db.models.deletion
from django.db import migrations, models


def _criticality_as_published(apps, schema_editor):
    """What the FHIR AllergyIntolerance of each existing allergy already said, kept."""
    allergy = apps.get_model("encounters", "Allergy")
    db = schema_editor.connection.alias
    allergy.objects.using(db).filter(severity="severe").update(criticality="high")
    allergy.objects.using(db).exclude(severity="severe").update(criticality="low")


class Migration(migrations.Migration):
    dependencies = [
        ("encounters", "0006_observation_bands_panels"),
    ]

    operations = [
        migrations.AddField(
            model_name="allergy",
            name="criticality",
            field=models.CharField(
                choices=[
                    ("low", "Low risk"),
                    ("high", "High risk"),
                    ("unable-to-assess", "Unable to assess"),
                ],
                default="unable-to-assess",
                help_text="Older rows: high if the reaction was severe, else low (as FHIR said).",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="allergy",
            name="type",
            field=models.CharField(
                choices=[("allergy", "Allergy"), ("intolerance", "Intolerance")],
                default="allergy",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="encounter",
            name="encounter_class",
            field=models.CharField(
                choices=[
                    ("AMB", "Outpatient (ambulatory)"),
                    ("EMER", "Emergency"),
                    ("IMP", "Inpatient"),
                    ("HH", "Home health"),
                    ("VR", "Virtual (telehealth)"),
                ],
                default="AMB",
                help_text="Outpatient, emergency, inpatient, home health or virtual; chosen at the start.",
                max_length=4,
                verbose_name="class",
            ),
        ),
        migrations.CreateModel(
            name="NoKnownAllergies",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("voided_at", models.DateTimeField(blank=True, null=True)),
                ("voided_by_id", models.BigIntegerField(blank=True, null=True)),
                ("void_reason", models.CharField(blank=True, max_length=255)),
                (
                    "recorded_by_id",
                    models.BigIntegerField(help_text="The shared user (clinician) who stated it."),
                ),
                ("superseded_at", models.DateTimeField(blank=True, null=True)),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="no_known_allergies",
                        to="patients.patient",
                    ),
                ),
                (
                    "superseded_by",
                    models.ForeignKey(
                        blank=True,
                        help_text="The allergy whose recording superseded it.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="encounters.allergy",
                    ),
                ),
            ],
            options={
                "verbose_name": "no known allergies statement",
                "verbose_name_plural": "no known allergies statements",
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("superseded_at__isnull", True), ("voided_at__isnull", True)),
                        fields=("patient",),
                        name="encounters_noknownallergies_one_current_per_patient",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("superseded_by__isnull", True), ("superseded_at__isnull", False), _connector="OR"
                        ),
                        name="encounters_noknownallergies_superseded_has_time",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ProblemListItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("voided_at", models.DateTimeField(blank=True, null=True)),
                ("voided_by_id", models.BigIntegerField(blank=True, null=True)),
                ("void_reason", models.CharField(blank=True, max_length=255)),
                ("code", models.CharField(max_length=10)),
                (
                    "code_system",
                    models.CharField(
                        help_text="icd10-who or icd10-cm (hms.clinical.models.CodeSystem).",
                        max_length=12,
                    ),
                ),
                (
                    "code_system_version",
                    models.CharField(help_text="The system's edition and release.", max_length=64),
                ),
                ("description", models.TextField()),
                (
                    "onset_date",
                    models.DateField(blank=True, help_text="When it began, where known.", null=True),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("active", "Active"), ("inactive", "Inactive"), ("resolved", "Resolved")],
                        default="active",
                        max_length=12,
                    ),
                ),
                ("resolved_date", models.DateField(blank=True, null=True)),
                (
                    "recorded_by_id",
                    models.BigIntegerField(help_text="The shared user (doctor) who added it."),
                ),
                (
                    "diagnosis",
                    models.ForeignKey(
                        blank=True,
                        help_text="The encounter diagnosis it was added from, if any.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="problems",
                        to="encounters.diagnosis",
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="problems",
                        to="patients.patient",
                    ),
                ),
            ],
            options={
                "ordering": ["status", "-onset_date", "id"],
                "indexes": [
                    models.Index(fields=["patient", "status"], name="encounters__patient_da2749_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(
                            ("status__in", ["active", "inactive"]), ("voided_at__isnull", True)
                        ),
                        fields=("patient", "code"),
                        name="encounters_problemlistitem_code_once_unresolved",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("resolved_date__isnull", False), ("status", "resolved")),
                            models.Q(
                                models.Q(("status", "resolved"), _negated=True),
                                ("resolved_date__isnull", True),
                            ),
                            _connector="OR",
                        ),
                        name="encounters_problemlistitem_resolved_has_date",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("resolved_date__isnull", True),
                            ("onset_date__isnull", True),
                            ("resolved_date__gte", models.F("onset_date")),
                            _connector="OR",
                        ),
                        name="encounters_problemlistitem_resolves_after_onset",
                    ),
                ],
            },
        ),
        migrations.RunPython(_criticality_as_published, migrations.RunPython.noop, elidable=True),
    ]
