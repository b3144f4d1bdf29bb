"""No practitioner is double-booked, guaranteed by the database itself.

PostgreSQL: an exclusion constraint over (practitioner, [starts_at, ends_at)) for live
appointments; it needs the btree_gist extension (for `=` on a bigint inside a GiST
index). CREATE EXTENSION needs a superuser or, since PostgreSQL 13 where btree_gist is
a trusted extension, a user with CREATE on the database. Hospital databases are cloned
from a template database, so the extension comes along with it.

SQLite: BEFORE INSERT and BEFORE UPDATE triggers that abort with "practitioner
double-booked". Django stores datetimes there as UTC text of one format
("YYYY-MM-DD HH:MM:SS[.ffffff]"), which compares correctly as text.

Cancelled and no-show appointments do not hold the practitioner's time.
"""

from django.db import migrations

CONSTRAINT = "scheduling_appointment_no_double_booking"

POSTGRESQL_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""
    ALTER TABLE scheduling_appointment ADD CONSTRAINT {CONSTRAINT}
    EXCLUDE USING gist (
        practitioner_user_id WITH =,
        tstzrange(starts_at, ends_at, '[)') WITH &&
    ) WHERE (status NOT IN ('cancelled', 'no_show'))
    """,
]
POSTGRESQL_BACKWARD = [f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {CONSTRAINT}"]

_SQLITE_CLASH = """
    SELECT RAISE(ABORT, 'practitioner double-booked')
    WHERE EXISTS (
        SELECT 1 FROM scheduling_appointment AS other
        WHERE other.practitioner_user_id = NEW.practitioner_user_id
          AND other.status NOT IN ('cancelled', 'no_show')
          AND other.starts_at < NEW.ends_at
          AND NEW.starts_at < other.ends_at
          {extra}
    );
"""
SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER {CONSTRAINT}_insert
    BEFORE INSERT ON scheduling_appointment
    FOR EACH ROW WHEN NEW.status NOT IN ('cancelled', 'no_show')
    BEGIN {_SQLITE_CLASH.format(extra="")} END
    """,
    f"""
    CREATE TRIGGER {CONSTRAINT}_update
    BEFORE UPDATE ON scheduling_appointment
    FOR EACH ROW WHEN NEW.status NOT IN ('cancelled', 'no_show')
    BEGIN {_SQLITE_CLASH.format(extra="AND other.id <> OLD.id")} END
    """,
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {CONSTRAINT}_insert",
    f"DROP TRIGGER IF EXISTS {CONSTRAINT}_update",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(
                f"No double-booking guard for database vendor {schema_editor.connection.vendor!r}; "
                "scheduling supports SQLite and PostgreSQL."
            )
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_working_hours_and_appointment_history"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD}),
            elidable=False,
        ),
    ]
