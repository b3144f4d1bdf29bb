"""Every audit log starts with its head row, so appending is one locked UPDATE."""

from django.db import migrations

GENESIS_HASH = "0" * 64


def create_head(apps, schema_editor):
    head = apps.get_model("audit", "AuditChainHead")
    head.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults={"last_hash": GENESIS_HASH}
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
