"""Signed clinical notes are final in the database too, not only in the services.

A BEFORE UPDATE trigger refuses any change to a signed note's text, author, signer,
signing time, encounter or patient, and turning it back into a draft; voiding it (the
void columns) stays possible. Amendments are never updated at all. Written per vendor:
SQLite and PostgreSQL triggers differ. Both raise an integrity error
(django.db.IntegrityError in Python).

SQLite note: Django rebuilds a SQLite table (and so drops its triggers) for some later
AlterField/RemoveField operations on it; a migration that alters ClinicalNote or
NoteAmendment must run these statements again. The tests check the triggers are there.
"""

from django.db import migrations

FINAL_COLUMNS = (
    "status",
    "subjective",
    "objective",
    "assessment",
    "plan",
    "author_id",
    "signed_at",
    "signed_by_id",
    "encounter_id",
    "patient_id",
)
NOTE_MESSAGE = "A signed clinical note cannot be changed; add an amendment instead."
AMENDMENT_MESSAGE = "A note amendment cannot be changed; add another amendment instead."

SQLITE_CHANGED = " OR ".join(f'NEW."{column}" IS NOT OLD."{column}"' for column in FINAL_COLUMNS)
SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER encounters_clinicalnote_signed_is_final
    BEFORE UPDATE ON encounters_clinicalnote
    FOR EACH ROW WHEN OLD.status = 'signed' AND ({SQLITE_CHANGED})
    BEGIN
        SELECT RAISE(ABORT, '{NOTE_MESSAGE}');
    END
    """,
    f"""
    CREATE TRIGGER encounters_noteamendment_is_final
    BEFORE UPDATE ON encounters_noteamendment
    FOR EACH ROW
    BEGIN
        SELECT RAISE(ABORT, '{AMENDMENT_MESSAGE}');
    END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS encounters_clinicalnote_signed_is_final",
    "DROP TRIGGER IF EXISTS encounters_noteamendment_is_final",
]

PG_CHANGED = " OR ".join(f'NEW."{column}" IS DISTINCT FROM OLD."{column}"' for column in FINAL_COLUMNS)
PG_FORWARD = [
    f"""
    CREATE FUNCTION encounters_clinicalnote_signed_is_final() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.status = 'signed' AND ({PG_CHANGED}) THEN
            RAISE EXCEPTION '{NOTE_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER encounters_clinicalnote_signed_is_final
    BEFORE UPDATE ON encounters_clinicalnote
    FOR EACH ROW EXECUTE FUNCTION encounters_clinicalnote_signed_is_final()
    """,
    f"""
    CREATE FUNCTION encounters_noteamendment_is_final() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{AMENDMENT_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER encounters_noteamendment_is_final
    BEFORE UPDATE ON encounters_noteamendment
    FOR EACH ROW EXECUTE FUNCTION encounters_noteamendment_is_final()
    """,
]
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS encounters_clinicalnote_signed_is_final ON encounters_clinicalnote",
    "DROP FUNCTION IF EXISTS encounters_clinicalnote_signed_is_final()",
    "DROP TRIGGER IF EXISTS encounters_noteamendment_is_final ON encounters_noteamendment",
    "DROP FUNCTION IF EXISTS encounters_noteamendment_is_final()",
]

STATEMENTS = {
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
    "postgresql": (PG_FORWARD, PG_BACKWARD),
}


def _run(schema_editor, forward):
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise NotImplementedError(f"No signed-note trigger written for the {vendor} database.")
    for statement in STATEMENTS[vendor][0 if forward else 1]:
        schema_editor.execute(statement, params=None)


def create_triggers(apps, schema_editor):
    _run(schema_editor, forward=True)


def drop_triggers(apps, schema_editor):
    _run(schema_editor, forward=False)


class Migration(migrations.Migration):

    dependencies = [
        ("encounters", "0002_clinical_records"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
