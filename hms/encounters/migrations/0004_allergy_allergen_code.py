"""Allergies get a coded allergen; rows recorded before, whose text names a known allergen, are coded."""

from django.db import migrations, models


def code_recorded_allergies(apps, schema_editor):
    from hms.encounters.allergens import allergen_match

    Allergy = apps.get_model("encounters", "Allergy")
    alias = schema_editor.connection.alias
    for allergy in Allergy.objects.using(alias).filter(allergen_code="").only("pk", "substance"):
        code = allergen_match(allergy.substance)
        if code:
            Allergy.objects.using(alias).filter(pk=allergy.pk).update(allergen_code=code)


class Migration(migrations.Migration):
    dependencies = [
        ("encounters", "0003_signed_notes_are_final"),
    ]

    operations = [
        migrations.AddField(
            model_name="allergy",
            name="allergen_code",
            field=models.CharField(
                blank=True,
                help_text="The coded allergen (hms.encounters.allergens: group:penicillins, "
                "substance:amoxicillin); empty for free text that names no known allergen.",
                max_length=64,
            ),
        ),
        migrations.RunPython(code_recorded_allergies, migrations.RunPython.noop, elidable=True),
    ]
