"""A lab result records the LOINC code of its value's unit, where its reference interval comes from
(or why none applies) and, with a creatinine, the eGFR.

Results entered before carry the order's test code: they were all stored in that test's
catalogue unit, whose code it is. No value changes. The new columns join those the database
refuses to change on a verified result.
"""

import importlib

from django.db import migrations, models

_GUARD = importlib.import_module("hms.orders.migrations.0002_verified_results_immutable")
NEW_FROZEN = ["loinc_code", "reference_note", "egfr", "egfr_note"]
OLD_CREATE, OLD_DROP = _GUARD.guard_statements(_GUARD.FROZEN)
NEW_CREATE, NEW_DROP = _GUARD.guard_statements([*_GUARD.FROZEN, *NEW_FROZEN])

BACKFILL = """UPDATE orders_labresult SET loinc_code = (
    SELECT test_code FROM orders_laborder WHERE orders_laborder.id = orders_labresult.order_id)"""


def _replace(drop, create):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for statement in [*drop.get(vendor, []), *create.get(vendor, [])]:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_formulary")]

    operations = [
        migrations.AddField(
            model_name="labresult",
            name="egfr",
            field=models.PositiveSmallIntegerField(
                blank=True, help_text="With a creatinine: the estimated GFR, mL/min/1.73 m2.", null=True
            ),
        ),
        migrations.AddField(
            model_name="labresult",
            name="egfr_note",
            field=models.CharField(
                blank=True,
                help_text="With a creatinine: the eGFR's equation, or why there is none.",
                max_length=200,
            ),
        ),
        migrations.AddField(
            model_name="labresult",
            name="loinc_code",
            field=models.CharField(
                blank=True,
                help_text="LOINC code of the value as stored, the one its unit matches (glucose in mmol/L: 14749-6).",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="labresult",
            name="reference_note",
            field=models.CharField(
                blank=True,
                help_text="Where the reference interval comes from, or why none applies.",
                max_length=500,
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.RunPython(_replace(OLD_DROP, NEW_CREATE), _replace(NEW_DROP, OLD_CREATE)),
    ]
