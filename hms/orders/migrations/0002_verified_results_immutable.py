"""The database itself refuses to change a verified lab result, or to delete any lab result.

A correction is a new row that supersedes the old one; the only change a verified row
may still take is being marked superseded, once.
"""

from django.db import migrations

FROZEN = [
    "order_id",
    "value_numeric",
    "value_text",
    "unit",
    "entered_value",
    "entered_unit",
    "reference_low",
    "reference_high",
    "critical_low",
    "critical_high",
    "reference_text",
    "flag",
    "comment",
    "entered_by_id",
    "entered_at",
    "verified_by_id",
    "verified_at",
    "supersedes_id",
    "correction_reason",
]
CHANGED_MESSAGE = "a verified lab result cannot be changed; enter a correction"
DELETE_MESSAGE = "lab results are never deleted"


def guard_statements(frozen):
    """The triggers that refuse changing `frozen` columns of a verified result, and any delete:
    ({vendor: create statements}, {vendor: drop statements}). Migration 0004 extends `frozen`."""
    changed_sqlite = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in frozen)
    changed_postgresql = "ROW({new}) IS DISTINCT FROM ROW({old})".format(
        new=", ".join(f"NEW.{column}" for column in frozen),
        old=", ".join(f"OLD.{column}" for column in frozen),
    )
    sqlite = [
        f"""CREATE TRIGGER orders_labresult_verified_immutable BEFORE UPDATE ON orders_labresult
       WHEN OLD.verified_at IS NOT NULL AND ({changed_sqlite}
            OR (OLD.superseded_at IS NOT NULL AND NEW.superseded_at IS NOT OLD.superseded_at))
       BEGIN SELECT RAISE(ABORT, '{CHANGED_MESSAGE}'); END""",
        f"""CREATE TRIGGER orders_labresult_no_delete BEFORE DELETE ON orders_labresult
       BEGIN SELECT RAISE(ABORT, '{DELETE_MESSAGE}'); END""",
    ]
    sqlite_reverse = [
        "DROP TRIGGER IF EXISTS orders_labresult_verified_immutable",
        "DROP TRIGGER IF EXISTS orders_labresult_no_delete",
    ]
    postgresql = [
        f"""CREATE OR REPLACE FUNCTION orders_labresult_guard() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE' THEN RAISE EXCEPTION '{DELETE_MESSAGE}'; END IF;
         IF OLD.verified_at IS NOT NULL AND ({changed_postgresql}
            OR (OLD.superseded_at IS NOT NULL AND NEW.superseded_at IS DISTINCT FROM OLD.superseded_at)) THEN
           RAISE EXCEPTION '{CHANGED_MESSAGE}';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER orders_labresult_guard BEFORE UPDATE OR DELETE ON orders_labresult
       FOR EACH ROW EXECUTE FUNCTION orders_labresult_guard()""",
    ]
    postgresql_reverse = [
        "DROP TRIGGER IF EXISTS orders_labresult_guard ON orders_labresult",
        "DROP FUNCTION IF EXISTS orders_labresult_guard()",
    ]
    return {"sqlite": sqlite, "postgresql": postgresql}, {
        "sqlite": sqlite_reverse,
        "postgresql": postgresql_reverse,
    }


CREATE, DROP = guard_statements(FROZEN)


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run(CREATE),
            _run(DROP),
        ),
    ]
