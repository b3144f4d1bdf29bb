from django.db import migrations, models


class Migration(migrations.Migration):
    """Diagnoses keep their code system and its edition. Every diagnosis made before this was coded in
    ICD-10-CM (the only code set then), so existing rows are marked icd10-cm, their edition unknown."""

    dependencies = [
        ("encounters", "0004_allergy_allergen_code"),
    ]

    operations = [
        migrations.AddField(
            model_name="diagnosis",
            name="code_system",
            field=models.CharField(
                default="icd10-cm",
                help_text="The code's system: icd10-who or icd10-cm (hms.clinical.models.CodeSystem).",
                max_length=12,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="diagnosis",
            name="code_system_version",
            field=models.CharField(
                blank=True,
                help_text="The system's edition and the code set's release; blank before it was kept.",
                max_length=64,
            ),
        ),
        migrations.AlterField(
            model_name="diagnosis",
            name="icd10_code",
            field=models.CharField(max_length=10, verbose_name="ICD-10 code"),
        ),
    ]
