"""The formulary: FormularyDrug, seeded from hms.orders.data.medicines; prescriptions name theirs.

Prescriptions written before it are linked to the formulary drug their name starts with;
the others are marked as prescribed by name before the formulary existed.
"""

import django.db.models.deletion
from django.db import migrations, models


def seed_formulary(apps, schema_editor):
    from hms.orders.formulary import formulary_seed_rows

    FormularyDrug = apps.get_model("orders", "FormularyDrug")
    alias = schema_editor.connection.alias
    FormularyDrug.objects.using(alias).bulk_create(FormularyDrug(**row) for row in formulary_seed_rows())


def link_prescriptions(apps, schema_editor):
    from hms.orders.formulary import formulary_name_match

    FormularyDrug = apps.get_model("orders", "FormularyDrug")
    Prescription = apps.get_model("orders", "Prescription")
    alias = schema_editor.connection.alias
    drugs = list(FormularyDrug.objects.using(alias).all())
    for prescription in Prescription.objects.using(alias).only("pk", "drug_name"):
        drug = formulary_name_match(prescription.drug_name, drugs)
        if drug is not None:
            Prescription.objects.using(alias).filter(pk=prescription.pk).update(formulary_drug=drug)
        else:
            Prescription.objects.using(alias).filter(pk=prescription.pk).update(
                free_text_reason="Prescribed by name before the formulary existed."
            )


class Migration(migrations.Migration):

    dependencies = [
        ('encounters', '0004_allergy_allergen_code'),
        ('orders', '0002_verified_results_immutable'),
        ('patients', '0004_patient_name_trigram_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='prescription',
            name='free_text_reason',
            field=models.CharField(blank=True, help_text='Why the drug was prescribed outside the formulary.', max_length=255),
        ),
        migrations.AddField(
            model_name='prescription',
            name='overridden_warnings',
            field=models.JSONField(blank=True, default=list, help_text='The safety warnings shown and overridden, as shown.'),
        ),
        migrations.AddField(
            model_name='prescription',
            name='override_reason',
            field=models.CharField(blank=True, help_text='Why the prescriber went on despite the warnings.', max_length=255),
        ),
        migrations.AddField(
            model_name='prescription',
            name='strength',
            field=models.CharField(blank=True, help_text='The product\'s strength: "500 mg".', max_length=40),
        ),
        migrations.CreateModel(
            name='FormularyDrug',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('code', models.SlugField(help_text="Stable key: the seed's code, or the hospital's.", max_length=64, unique=True)),
                ('name', models.CharField(help_text='Generic (INN) name as prescribers read it.', max_length=200)),
                ('other_names', models.JSONField(blank=True, default=list, help_text='Other names it is searched by.')),
                ('drug_class', models.CharField(max_length=120)),
                ('substances', models.JSONField(default=list, help_text='Substance codes (hms.encounters.allergens).')),
                ('allergy_groups', models.JSONField(blank=True, default=list, help_text='Allergy group codes it belongs to.')),
                ('strengths', models.JSONField(blank=True, default=list, help_text='As written: "500 mg", "125 mg/5 mL".')),
                ('forms', models.JSONField(blank=True, default=list)),
                ('routes', models.JSONField(blank=True, default=list, help_text='Prescription route values.')),
                ('dose_unit', models.CharField(choices=[('mg', 'mg'), ('mcg', 'mcg'), ('g', 'g'), ('units', 'units')], max_length=8)),
                ('adult_max_dose', models.DecimalField(blank=True, decimal_places=3, max_digits=10, null=True)),
                ('adult_max_daily', models.DecimalField(blank=True, decimal_places=3, max_digits=10, null=True)),
                ('child_per_kg_dose', models.DecimalField(blank=True, decimal_places=3, max_digits=10, null=True)),
                ('child_per_kg_daily', models.DecimalField(blank=True, decimal_places=3, max_digits=10, null=True)),
                ('child_max_dose', models.DecimalField(blank=True, decimal_places=3, help_text="A child's cap per dose.", max_digits=10, null=True)),
                ('source', models.CharField(help_text='Where the limits come from (BNF, WHO MF, SmPC).', max_length=255)),
                ('note', models.TextField(blank=True)),
                ('is_active', models.BooleanField(default=True)),
            ],
            options={
                'ordering': ['name', 'id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('adult_max_dose__isnull', True), ('adult_max_dose__gt', 0), _connector='OR'), name='orders_formularydrug_adult_max_dose_positive'), models.CheckConstraint(condition=models.Q(('adult_max_daily__isnull', True), ('adult_max_daily__gt', 0), _connector='OR'), name='orders_formularydrug_adult_max_daily_positive')],
            },
        ),
        migrations.AddField(
            model_name='prescription',
            name='formulary_drug',
            field=models.ForeignKey(blank=True, help_text='Empty for a drug prescribed by name outside the formulary (with a reason).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='prescriptions', to='orders.formularydrug'),
        ),
        migrations.RunPython(seed_formulary, migrations.RunPython.noop),
        migrations.RunPython(link_prescriptions, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name='prescription',
            constraint=models.CheckConstraint(condition=models.Q(('formulary_drug__isnull', False), models.Q(('free_text_reason', ''), _negated=True), _connector='OR'), name='orders_prescription_formulary_or_reason'),
        ),
    ]
