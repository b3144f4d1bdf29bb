"""The database refuses to rewrite the security log; the chain starts with its head row.

Rows are refused UPDATE (both databases) and row DELETE (PostgreSQL). Emptying the whole
table stays possible (SQLite DELETE, PostgreSQL TRUNCATE, which the application's role
should not be granted in production: docs/security.md), because Django's test flush and
the archiving of old rows need it; the sealed head row shows any events removed.
"""

from django.db import migrations

GENESIS = "0" * 64

SQLITE = [
    """CREATE TRIGGER security_event_no_update BEFORE UPDATE ON security_securityevent
       BEGIN SELECT RAISE(ABORT, 'the security log is append-only'); END""",

]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS security_event_no_update",
]
POSTGRESQL = [
    """CREATE OR REPLACE FUNCTION security_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'the security log is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER security_event_append_only BEFORE UPDATE OR DELETE
       ON security_securityevent FOR EACH STATEMENT EXECUTE FUNCTION security_event_append_only()""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS security_event_append_only ON security_securityevent",
    "DROP FUNCTION IF EXISTS security_event_append_only()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


def head_create(apps, schema_editor):
    head = apps.get_model("security", "SecurityChainHead")
    head.objects.using(schema_editor.connection.alias).get_or_create(pk=1, defaults={"last_hash": GENESIS})


class Migration(migrations.Migration):
    dependencies = [("security", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        ),
        migrations.RunPython(head_create, migrations.RunPython.noop),
    ]
