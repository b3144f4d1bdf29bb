import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F


def _effective_when_recorded(apps, schema_editor):
    """Observations recorded before the time taken was kept were taken when they were typed."""
    observation = apps.get_model("encounters", "Observation")
    observation.objects.using(schema_editor.connection.alias).update(effective_at=F("recorded_at"))


class Migration(migrations.Migration):
    """Vital signs read by age and sex (critical flags LL/HH), coded observations (ACVPU), the blood
    pressure panel with its position, where a temperature was taken, a child's BMI centile, and the
    time a value was taken apart from the time it was typed."""

    dependencies = [
        ("encounters", "0005_diagnosis_code_system"),
    ]

    operations = [
        migrations.AlterField(
            model_name="observation",
            name="value",
            field=models.DecimalField(
                blank=True,
                decimal_places=4,
                help_text="Empty for a coded value or a panel.",
                max_digits=12,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="observation",
            name="value_code",
            field=models.CharField(
                blank=True, help_text="A coded value: ACVPU's A, C, V, P or U.", max_length=16
            ),
        ),
        migrations.AlterField(
            model_name="observation",
            name="unit",
            field=models.CharField(blank=True, help_text="UCUM unit of `value`.", max_length=32),
        ),
        migrations.AlterField(
            model_name="observation",
            name="abnormal_flag",
            field=models.CharField(
                blank=True,
                choices=[("H", "High"), ("L", "Low"), ("HH", "Critically high"), ("LL", "Critically low")],
                help_text="Against the band for the patient's age and sex on the day (hms.clinical.ranges).",
                max_length=2,
            ),
        ),
        migrations.AddField(
            model_name="observation",
            name="centile",
            field=models.DecimalField(
                blank=True, decimal_places=1, help_text="A child's BMI centile.", max_digits=4, null=True
            ),
        ),
        migrations.AddField(
            model_name="observation",
            name="panel",
            field=models.ForeignKey(
                blank=True,
                help_text="The blood pressure panel this systolic or diastolic pressure belongs to.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="components",
                to="encounters.observation",
            ),
        ),
        migrations.AddField(
            model_name="observation",
            name="body_position",
            field=models.CharField(
                blank=True,
                choices=[("sitting", "Sitting"), ("standing", "Standing"), ("lying", "Lying")],
                help_text="Blood pressure panel.",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="observation",
            name="body_site",
            field=models.CharField(
                blank=True,
                choices=[
                    ("oral", "Oral"),
                    ("axillary", "Axillary"),
                    ("tympanic", "Tympanic (ear)"),
                    ("rectal", "Rectal"),
                    ("temporal", "Temporal artery (forehead)"),
                ],
                help_text="Temperature: where it was taken.",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="observation",
            name="effective_at",
            field=models.DateTimeField(help_text="When it was measured (not in the future).", null=True),
        ),
        migrations.RunPython(_effective_when_recorded, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="observation",
            name="effective_at",
            field=models.DateTimeField(help_text="When it was measured (not in the future)."),
        ),
        migrations.AlterField(
            model_name="observation",
            name="recorded_at",
            field=models.DateTimeField(help_text="When it was typed in."),
        ),
        migrations.AddConstraint(
            model_name="observation",
            constraint=models.CheckConstraint(
                condition=models.Q(value__isnull=False)
                | ~models.Q(value_code="")
                | models.Q(loinc_code="85354-9"),
                name="encounters_observation_has_a_value",
            ),
        ),
    ]
