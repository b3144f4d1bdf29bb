"""PostgreSQL only: a GIN trigram index on the normalised "given family" name, for fuzzy search.

The index is on an expression, so it is not part of the model's state: patient_search
(hms.patients.selectors._FullName) writes the very same expression, which is how
PostgreSQL knows the index serves it. On SQLite this migration does nothing (there is
no fuzzy search there).
"""

from django.db import migrations

INDEX_NAME = "patients_patient_name_trgm"


def trigram_index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON patients_patient "
        "USING gin ((given_name_norm || ' ' || family_name_norm) gin_trgm_ops)"
    )


def trigram_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The extension stays: other database objects may use it by then.
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0003_patient_user_id"),
    ]

    operations = [
        migrations.RunPython(trigram_index_create, trigram_index_drop, elidable=False),
    ]
