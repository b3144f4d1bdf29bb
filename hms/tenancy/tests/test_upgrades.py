"""A hospital whose schema is not the code's: behind, ahead and compatible, ahead, diverged.

The relation is read from the schema versions each release records (SchemaVersion);
the pages say which it is. The whole sequence against a real gunicorn is in
test_upgrade_sequence.py.
"""

import pytest
from django.db import migrations, models

from hms.accounts.models import Role
from hms.hospitals.models import Hospital
from hms.tenancy import upgrades
from hms.tenancy.fleet import fleet_plan
from hms.tenancy.models import SchemaVersion
from hms.tenancy.schema import code_migration_names, current_fingerprint, migration_compatible
from hms.tenancy.upgrades import Relation, relation_to_code


@pytest.fixture(autouse=True)
def _fresh_relations():
    upgrades._relations.clear()
    upgrades._recorded.clear()
    yield
    upgrades._relations.clear()
    upgrades._recorded.clear()


def _record(fingerprint, names):
    SchemaVersion.objects.create(fingerprint=fingerprint, migrations=[[name, ok] for name, ok in names])


def _ours():
    return [(name, True) for name in sorted(code_migration_names())]


@pytest.fixture
def th001(make_hospital, make_user, client):
    hospital = make_hospital("TH001")
    client.force_login(make_user("doc", role=Role.DOCTOR, hospital=hospital))
    return hospital


def _at(hospital, fingerprint):
    Hospital.objects.filter(pk=hospital.pk).update(schema_fingerprint=fingerprint)


@pytest.mark.django_db
def test_a_hospital_migrated_past_the_code_by_compatible_migrations_is_served(th001, client):
    _record("a1" * 8, [*_ours(), ("patients.9999_adds_a_table", True)])
    _at(th001, "a1" * 8)
    assert relation_to_code("a1" * 8) is Relation.AHEAD_COMPATIBLE
    assert client.get("/h/TH001/").status_code == 200


@pytest.mark.django_db
def test_a_hospital_migrated_past_the_code_otherwise_is_refused_saying_so(th001, client):
    _record("a2" * 8, [*_ours(), ("patients.9998_adds", True), ("patients.9999_drops_a_column", False)])
    _at(th001, "a2" * 8)
    response = client.get("/h/TH001/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"upgraded to a newer version than this server is running" in response.content
    assert b"being upgraded" not in response.content


@pytest.mark.django_db
def test_a_hospital_behind_the_code_is_refused_as_being_upgraded(th001, client):
    _record("b1" * 8, _ours()[:-1])  # the previous release: one migration fewer
    for fingerprint in ("b1" * 8, "0123456789abcdef", ""):  # recorded, never recorded, none
        _at(th001, fingerprint)
        assert relation_to_code(fingerprint) is Relation.BEHIND
        response = client.get("/h/TH001/")
        assert response.status_code == 503
        assert response["Retry-After"] == "120"
        assert b"being upgraded to the current version" in response.content


@pytest.mark.django_db
def test_a_schema_that_went_another_way_is_not_served(th001, client):
    _record("d1" * 8, [*_ours()[:-1], ("patients.9999_elsewhere", True)])
    _at(th001, "d1" * 8)
    assert relation_to_code("d1" * 8) is Relation.DIVERGED
    assert client.get("/h/TH001/").status_code == 503


@pytest.mark.django_db
def test_each_release_records_its_schema_before_any_hospital_reaches_it(make_hospital):
    assert not SchemaVersion.objects.exists()
    make_hospital("TH001")  # provisioning records it
    record = SchemaVersion.objects.get()
    assert record.fingerprint == current_fingerprint()
    assert {name for name, _ in record.migrations} == code_migration_names()
    SchemaVersion.objects.all().delete()
    upgrades._recorded.clear()
    fleet_plan()  # and so does the fleet migration, before it migrates anything
    assert SchemaVersion.objects.get().fingerprint == current_fingerprint()


def _migration(*operations, **declared):
    migration = type("Migration", (migrations.Migration,), {"operations": list(operations), **declared})
    return migration("0099_x", "patients")


@pytest.mark.parametrize(
    ("operation", "compatible"),
    [
        (migrations.CreateModel("Probe", [("id", models.BigAutoField(primary_key=True))]), True),
        (migrations.AddIndex("patient", models.Index(fields=["phone"], name="probe_idx")), True),
        (migrations.AddField("patient", "nickname", models.CharField(max_length=9, null=True)), True),
        (migrations.AddField("patient", "flag", models.BooleanField(db_default=False)), True),
        # Old code leaves a NOT NULL column without a database default out of its INSERTs.
        (migrations.AddField("patient", "flag", models.BooleanField(default=False)), False),
        (migrations.RemoveField("patient", "phone"), False),
        (migrations.RenameField("patient", "phone", "telephone"), False),
        (migrations.AlterField("patient", "phone", models.CharField(max_length=5)), False),
        (migrations.RunSQL("UPDATE patients_patient SET phone = ''"), False),
    ],
)
def test_which_migrations_the_previous_code_can_run_on(operation, compatible):
    assert migration_compatible(_migration(operation)) is compatible


def test_a_migration_may_declare_itself():
    sql = migrations.RunSQL("CREATE INDEX probe ON patients_patient (phone)")
    assert migration_compatible(_migration(sql, compatible_with_previous_code=True)) is True
    nullable = migrations.AddField("patient", "nickname", models.CharField(max_length=9, null=True))
    assert migration_compatible(_migration(nullable, compatible_with_previous_code=False)) is False
