"""Provisioning (invariant 6): a hospital is ACTIVE only once its database is complete.

Handled failures leave no trace; crashes leave PROVISIONING (or FAILED) and a rerun
finishes the hospital. New hospitals are cloned from a template built once per schema.

The tests run on both storage backends. Faults are injected where each backend makes
its copy (SQLite: the partial file and its publication by link(); PostgreSQL: CREATE
DATABASE ... TEMPLATE). Tests about how one backend stores a database are marked
sqlite_only or postgresql_only, each with its counterpart.
"""

import errno
import io
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from psycopg.rows import dict_row

from hms.accounts.models import Role
from hms.core.exceptions import ApplicationError
from hms.hospitals.models import Hospital
from hms.hospitals.services import hospital_set_status
from hms.patients.models import Patient
from hms.tenancy import provisioning
from hms.tenancy.backends import sqlite as sqlite_backend
from hms.tenancy.backends import storage_for
from hms.tenancy.backends.postgresql import PostgresStorage
from hms.tenancy.backends.sqlite import SqliteStorage
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import InvalidHospitalCode, ProvisioningError
from hms.tenancy.placement import server_choose
from hms.tenancy.provisioning import hospital_provision
from hms.tenancy.schema import current_fingerprint
from hms.tenancy.servers import configured_servers
from hms.tenancy.tests.backup_support import shared_database_url
from hms.tenancy.tests.registry import registry_row

ON_POSTGRESQL = settings.HMS_TEST_BACKEND == "postgresql"
DISK_FULL = os.strerror(errno.ENOSPC)

SHARED_TABLE_PREFIXES = (
    "hospitals_",
    "accounts_",
    "auth_",
    "django_session",
    "django_admin",
    "django_content",
)


class SimulatedCrash(BaseException):
    """Stands in for a kill or power cut: not an Exception, so provisioning cannot handle it."""


# --- looking at storage, on either backend ---------------------------------------------------


def storage(hospital: Hospital):
    return storage_for(hospital.server)


def db_path(hospital: Hospital) -> Path:
    """SQLite only: the hospital's database file."""
    return Path(settings.HMS_DATA_DIR) / hospital.database_name


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def leftovers() -> list[str]:
    """Every hospital database in storage, named as the registry names it; templates aside.

    SQLite: the files under hospitals/ in the data folder (WAL side files aside), and
    any empty folder there; PostgreSQL: this run's databases on every server,
    half-built templates included.
    """
    if ON_POSTGRESQL:
        return sorted(
            name
            for server in configured_servers()
            for name in storage_for(server).database_names()
            if not storage_for(server).is_template(name)
        )
    data_dir = Path(settings.HMS_DATA_DIR)
    folder = data_dir / "hospitals"
    found = [
        str(path.relative_to(data_dir))
        for path in files_under(folder)
        if not path.name.endswith(("-wal", "-shm"))
    ]
    if folder.exists():
        found += [
            f"{p.relative_to(data_dir)}/" for p in folder.rglob("*") if p.is_dir() and not any(p.iterdir())
        ]
    return sorted(found)


def tables_of(code: str) -> set[str]:
    with hospital_context(code) as tenant:
        connection = connections[tenant.alias]
        with connection.cursor() as cursor:
            return set(connection.introspection.table_names(cursor))


def pg_database(server: str, name: str) -> dict[str, Any] | None:
    """PostgreSQL only: the database's row in pg_database on `server`, or None."""
    with storage_for(server)._admin() as connection, connection.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(
            "SELECT oid, datistemplate, datallowconn, pg_encoding_to_char(encoding) AS encoding "
            "FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()


def pg_connect(server: str, database_name: str) -> psycopg.Connection:
    """PostgreSQL only: a direct connection to one database, as its administrator."""
    admin = storage_for(server).server.admin
    return psycopg.connect(
        host=admin.get("HOST") or None,
        port=admin.get("PORT") or None,
        user=admin.get("USER") or None,
        password=admin.get("PASSWORD") or None,
        dbname=database_name,
        autocommit=True,
    )


def database_identity(hospital: Hospital) -> Any:
    """Changes when the database is replaced (SQLite: also when it is written)."""
    if ON_POSTGRESQL:
        return pg_database(hospital.server, hospital.database_name)["oid"]
    stat = db_path(hospital).stat()
    return stat.st_ino, stat.st_mtime_ns


def spoil(hospital: Hospital) -> None:
    """Make a hospital's database unusable: garbage bytes (SQLite), a schema of junk (PostgreSQL)."""
    if not ON_POSTGRESQL:
        db_path(hospital).write_bytes(b"not a database at all" * 100)
        return
    with pg_connect(hospital.server, hospital.database_name) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
        connection.execute("CREATE TABLE public.spoiled (junk text)")


def assert_working_database(code: str) -> None:
    with hospital_context(code):
        Patient.objects.create(mrn="M1", given_name="Ada", family_name="Works", birth_date="1990-01-01")
        assert list(Patient.objects.values_list("mrn", flat=True)) == ["M1"]


@pytest.fixture
def one_server(settings):
    """On PostgreSQL only the first configured server remains, so every hospital lands there."""
    if ON_POSTGRESQL:
        settings.HMS_DATABASE_SERVERS = settings.HMS_DATABASE_SERVERS.split(",")[0]


# --- injecting faults where each backend makes the copy ---------------------------------------


def _clone_target(statement) -> str | None:
    """PostgreSQL: the database a CREATE DATABASE ... TEMPLATE <hospital template> makes, else None."""
    text = statement.as_string(None)
    if not text.startswith("CREATE DATABASE ") or " TEMPLATE " not in text or "template0" in text:
        return None
    return text.split('"')[1]


def full_disk(monkeypatch, *, copy_made: bool) -> list[str]:
    """Copies from the template fail for want of disk space; returns the copies that failed.

    copy_made=True: the copy is complete when the error comes (SQLite: publishing the
    partial file with link(); PostgreSQL: CREATE DATABASE ran, the provisioner gets the
    error anyway). copy_made=False: writing the copy fails (SQLite: the partial file's
    fsync; PostgreSQL: CREATE DATABASE itself).
    """
    copies: list[str] = []
    if ON_POSTGRESQL:
        real_execute = PostgresStorage._execute

        def execute(self, statement):
            target = _clone_target(statement)
            if target is None:
                return real_execute(self, statement)
            if copy_made:
                real_execute(self, statement)
                assert self.exists(target)  # the copy was made; its outcome is lost
            copies.append(target)
            raise psycopg.errors.DiskFull(f'could not extend file "base/{target}/1259": {DISK_FULL}')

        monkeypatch.setattr(PostgresStorage, "_execute", execute)
        return copies

    if copy_made:

        def link(src, dst, *args, **kwargs):
            copies.append(Path(src).name)
            assert Path(src).is_file()  # the copy was written; publishing it runs out of space
            raise OSError(errno.ENOSPC, DISK_FULL)

        monkeypatch.setattr(sqlite_backend.os, "link", link)
        return copies

    real_fsync = sqlite_backend._fsync

    def fsync(path):
        if ".partial-" in Path(path).name:
            copies.append(Path(path).name)
            raise OSError(errno.ENOSPC, DISK_FULL)
        return real_fsync(path)

    monkeypatch.setattr(sqlite_backend, "_fsync", fsync)
    return copies


def crash_while_cloning(monkeypatch, *, after: str) -> None:
    """Crash inside create_from_template once the copy is made ("copy") or published ("publish").

    SQLite: the partial file is written, or linked into place. PostgreSQL: CREATE
    DATABASE is atomic, so "copy" crashes before it commits (nothing is there) and
    "publish" right after it returned (the database is there, the row not ACTIVE).
    """
    if ON_POSTGRESQL:
        real_execute = PostgresStorage._execute

        def execute(self, statement):
            if _clone_target(statement) is None:
                return real_execute(self, statement)
            if after == "publish":
                real_execute(self, statement)
            raise SimulatedCrash

        monkeypatch.setattr(PostgresStorage, "_execute", execute)
        return

    real_fsync = sqlite_backend._fsync

    def fsync(path):
        real_fsync(path)
        if after == "copy" and ".partial-" in Path(path).name:
            assert Path(path).stat().st_size > 0
            raise SimulatedCrash

    def fsync_dir(path):
        real_fsync(path)
        if after == "publish":
            raise SimulatedCrash

    monkeypatch.setattr(sqlite_backend, "_fsync", fsync)
    monkeypatch.setattr(sqlite_backend, "_fsync_dir", fsync_dir)


# --- the happy path ----------------------------------------------------------------------


@pytest.mark.django_db
def test_provision_creates_active_hospital_with_complete_database():
    server = server_choose()
    hospital = hospital_provision(code="TH001", name="  Teaching Hospital  ", time_zone="Asia/Dhaka")

    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.ACTIVE
    assert hospital.name == "Teaching Hospital"
    assert hospital.time_zone == "Asia/Dhaka"
    assert hospital.schema_fingerprint == current_fingerprint()
    assert hospital.status_detail == ""
    assert hospital.server == server
    if ON_POSTGRESQL:
        assert hospital.server in configured_servers()
        assert hospital.database_name == f"{settings.HMS_DATABASE_PREFIX}th001"
    else:
        assert hospital.server == "embedded"
        assert hospital.database_name == "hospitals/TH001/db.sqlite3"

    names = tables_of("TH001")
    assert {"patients_patient", "audit_auditevent", "django_migrations"} <= names
    assert not [name for name in names if name.startswith(SHARED_TABLE_PREFIXES)]
    # The hospital's database and nothing else was made: no copies, no half-built templates.
    assert leftovers() == [hospital.database_name]
    assert_working_database("TH001")


@pytest.mark.sqlite_only
@pytest.mark.django_db
def test_sqlite_database_is_one_sound_wal_file_in_its_own_folder(make_hospital):
    path = db_path(make_hospital("TH001"))
    assert path.is_file()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # Nothing but the database itself is left in the hospital's folder.
    assert [p.name for p in files_under(path.parent) if not p.name.endswith(("-wal", "-shm"))] == [
        "db.sqlite3"
    ]


@pytest.mark.postgresql_only
@pytest.mark.django_db
def test_postgresql_database_is_an_ordinary_database_on_its_server_only(make_hospital):
    hospital = make_hospital("TH001")
    row = pg_database(hospital.server, hospital.database_name)
    # A clone of a template that refuses connections is itself an ordinary, open database.
    assert row is not None
    assert (row["datistemplate"], row["datallowconn"], row["encoding"]) == (False, True, "UTF8")
    others = [name for name in configured_servers() if name != hospital.server]
    assert [name for name in others if pg_database(name, hospital.database_name)] == []


@pytest.mark.sqlite_only
@pytest.mark.django_db
def test_template_is_built_once_per_fingerprint_and_reused(tmp_path, monkeypatch, settings):
    settings.HMS_TEMPLATE_DIR = tmp_path / "templates"  # a fresh template folder for this test
    builds = []
    real_build = SqliteStorage.build_template

    def counting_build(self, fingerprint, migrate):
        builds.append(fingerprint)
        return real_build(self, fingerprint, migrate)

    monkeypatch.setattr(SqliteStorage, "build_template", counting_build)

    hospital_provision(code="TH001", name="First")
    template = tmp_path / "templates" / f"tenant-{current_fingerprint()}.sqlite3"
    assert builds == [current_fingerprint()]
    assert template.is_file()
    # Published as one self-contained file, not left in WAL mode, no build leftovers.
    assert [p.name for p in files_under(template.parent)] == [template.name]
    with sqlite3.connect(f"file:{template}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal"
    before = template.stat()

    hospital_provision(code="TH002", name="Second")

    assert builds == [current_fingerprint()]
    after = template.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_size,
    )
    assert Hospital.objects.get(code="TH002").status == Hospital.Status.ACTIVE
    assert_working_database("TH002")


@pytest.mark.postgresql_only
@pytest.mark.django_db
def test_postgresql_template_is_built_once_per_fingerprint_and_reused(one_server, monkeypatch):
    server = server_choose()
    store = storage_for(server)
    fingerprint = current_fingerprint()
    template = store.template_name(fingerprint)
    store.drop(template)  # this test builds the server's template afresh
    builds = []
    real_build = PostgresStorage.build_template

    def counting_build(self, fingerprint, migrate):
        builds.append((self.server.name, fingerprint))
        return real_build(self, fingerprint, migrate)

    monkeypatch.setattr(PostgresStorage, "build_template", counting_build)

    assert hospital_provision(code="TH001", name="First").server == server
    assert builds == [(server, fingerprint)]
    published = pg_database(server, template)
    # Published as a template nobody can connect to (a clone never waits on a session).
    assert published is not None
    assert (published["datistemplate"], published["datallowconn"]) == (True, False)
    building = f"{settings.HMS_DATABASE_PREFIX}_building_"
    assert [name for name in store.database_names() if name.startswith(building)] == []

    assert hospital_provision(code="TH002", name="Second").server == server

    assert builds == [(server, fingerprint)]
    assert pg_database(server, template)["oid"] == published["oid"]  # the very same database
    assert Hospital.objects.get(code="TH002").status == Hospital.Status.ACTIVE
    assert_working_database("TH002")


@pytest.mark.django_db
def test_cloned_databases_are_independent_of_each_other_and_of_the_template(one_server, make_hospital):
    first = make_hospital("TH001")
    assert_working_database("TH001")  # TH001 now holds patient M1
    # Cloned from the same template after TH001 was written to.
    second = make_hospital("TH002")
    assert second.server == first.server
    assert second.database_name != first.database_name

    with hospital_context("TH002"):
        # Nothing of TH001's: the write reached neither TH002 nor the template it came from.
        assert not Patient.objects.exists()
        Patient.objects.create(mrn="M2", given_name="Bo", family_name="Other", birth_date="1991-01-01")
    with hospital_context("TH001"):
        assert list(Patient.objects.values_list("mrn", flat=True)) == ["M1"]


# --- refused input: nothing is made --------------------------------------------------------


@pytest.mark.django_db
def test_duplicate_code_is_refused_and_changes_nothing(make_hospital):
    hospital = make_hospital("TH001", name="Original")
    assert_working_database("TH001")
    before = database_identity(hospital)

    with pytest.raises(ProvisioningError, match="TH001 already exists"):
        hospital_provision(code="TH001", name="Impostor")

    hospital.refresh_from_db()
    assert hospital.name == "Original"
    assert hospital.status == Hospital.Status.ACTIVE
    assert Hospital.objects.count() == 1
    assert database_identity(hospital) == before
    with hospital_context("TH001"):
        assert Patient.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Hospital.Status.SUSPENDED, Hospital.Status.ARCHIVED])
def test_existing_hospital_in_other_states_is_not_reprovisioned(make_hospital, status):
    hospital = make_hospital("TH001")
    Hospital.objects.filter(pk=hospital.pk).update(status=status)
    assert_working_database("TH001")

    with pytest.raises(ProvisioningError, match="already exists"):
        hospital_provision(code="TH001", name="Again")

    hospital.refresh_from_db()
    assert hospital.status == status
    with hospital_context("TH001"):
        assert Patient.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"code": "th001", "name": "Lower"}, InvalidHospitalCode, "Invalid hospital code"),
        ({"code": "T", "name": "Too short"}, InvalidHospitalCode, "Invalid hospital code"),
        ({"code": "../ETC", "name": "Traversal"}, InvalidHospitalCode, "Invalid hospital code"),
        ({"code": "_TH", "name": "Underscore first"}, InvalidHospitalCode, "Invalid hospital code"),
        ({"code": "TH001", "name": "   "}, ProvisioningError, "needs a name"),
        ({"code": "TH001", "name": ""}, ProvisioningError, "needs a name"),
        ({"code": "TH001", "name": "x" * 201}, ProvisioningError, "too long"),
        ({"code": "TH001", "name": "Zone", "time_zone": "Mars/Olympus"}, ProvisioningError, "IANA"),
    ],
)
def test_invalid_input_is_refused_before_anything_is_made(kwargs, error, message):
    with pytest.raises(error, match=message):
        hospital_provision(**kwargs)
    assert not Hospital.objects.exists()
    assert leftovers() == []


# --- handled failures: no trace ------------------------------------------------------------


@pytest.mark.django_db
def test_full_disk_gives_clear_error_and_leaves_no_trace(monkeypatch):
    copies = full_disk(monkeypatch, copy_made=True)

    with pytest.raises(ProvisioningError, match="Could not create hospital TH001") as excinfo:
        hospital_provision(code="TH001", name="Full")

    assert DISK_FULL in str(excinfo.value)
    assert len(copies) == 1
    if not ON_POSTGRESQL:
        assert ".partial-" in copies[0]
    assert not Hospital.objects.filter(code="TH001").exists()
    assert leftovers() == []  # the copy is gone too (SQLite: and the hospital's folder)

    monkeypatch.undo()
    hospital_provision(code="TH001", name="Full")
    assert Hospital.objects.get(code="TH001").status == Hospital.Status.ACTIVE
    assert_working_database("TH001")


@pytest.mark.django_db
def test_full_disk_while_writing_the_copy_is_handled_too(monkeypatch):
    copies = full_disk(monkeypatch, copy_made=False)
    with pytest.raises(ProvisioningError, match="Could not create hospital TH001") as excinfo:
        hospital_provision(code="TH001", name="Full")
    assert DISK_FULL in str(excinfo.value)
    assert len(copies) == 1
    assert not Hospital.objects.exists()
    assert leftovers() == []


@pytest.mark.django_db
def test_handled_failure_of_a_resumed_hospital_marks_it_failed_and_a_rerun_finishes(monkeypatch):
    crash_while_cloning(monkeypatch, after="publish")
    with pytest.raises(SimulatedCrash):
        hospital_provision(code="TH001", name="Crashy")
    monkeypatch.undo()
    hospital = Hospital.objects.get(code="TH001")
    assert hospital.status == Hospital.Status.PROVISIONING
    assert leftovers() == [hospital.database_name]

    full_disk(monkeypatch, copy_made=True)
    with pytest.raises(ProvisioningError, match="Could not create hospital TH001"):
        hospital_provision(code="TH001", name="Crashy")
    monkeypatch.undo()

    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.FAILED
    assert DISK_FULL in hospital.status_detail
    assert leftovers() == []
    with pytest.raises(ApplicationError, match="Finish provisioning"):
        hospital_set_status(hospital=hospital, status=Hospital.Status.ACTIVE)

    hospital_provision(code="TH001", name="Crashy")
    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.ACTIVE
    assert hospital.status_detail == ""
    assert hospital.schema_fingerprint == current_fingerprint()
    assert_working_database("TH001")


@pytest.mark.django_db
def test_failure_of_a_losing_provisioner_never_drops_the_winners_database(monkeypatch):
    """Two provisioners of one code: the one that fails must not remove what the other finished."""
    server = server_choose()
    Hospital.objects.create(
        code="TH001",
        name="Race",
        server=server,
        database_name=storage_for(server).database_name_for("TH001"),
        status=Hospital.Status.PROVISIONING,
    )
    real_ensure = provisioning.template_ensure

    def template_ensure_while_another_provisioner_wins(storage, fingerprint):
        monkeypatch.setattr(provisioning, "template_ensure", real_ensure)
        hospital_provision(code="TH001", name="Race")  # the winner, running meanwhile
        raise OSError(errno.ENOSPC, DISK_FULL)  # then the loser fails

    monkeypatch.setattr(provisioning, "template_ensure", template_ensure_while_another_provisioner_wins)
    with pytest.raises(ProvisioningError):
        hospital_provision(code="TH001", name="Race")

    hospital = Hospital.objects.get(code="TH001")
    assert hospital.status == Hospital.Status.ACTIVE
    assert storage(hospital).exists(hospital.database_name)
    assert_working_database("TH001")


# --- crashes: PROVISIONING, and a rerun finishes -------------------------------------------


@pytest.mark.django_db
def test_crash_after_copy_leaves_provisioning_and_rerun_finishes(monkeypatch):
    crash_while_cloning(monkeypatch, after="copy")
    with pytest.raises(SimulatedCrash):
        hospital_provision(code="TH001", name="Crashy", time_zone="Europe/London")
    monkeypatch.undo()

    hospital = Hospital.objects.get(code="TH001")
    assert hospital.status == Hospital.Status.PROVISIONING
    assert hospital.schema_fingerprint == ""
    assert not storage(hospital).exists(hospital.database_name)
    # Never ACTIVE, so nobody may use it yet.
    with pytest.raises(ApplicationError):
        hospital_set_status(hospital=hospital, status=Hospital.Status.ACTIVE)

    call_command(
        "create_hospital", "TH001", "--name", "Crashy", "--timezone", "Europe/London", stdout=_sink()
    )

    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.ACTIVE
    assert hospital.schema_fingerprint == current_fingerprint()
    assert Hospital.objects.count() == 1
    assert_working_database("TH001")
    assert leftovers() == [hospital.database_name]  # no copy of the crashed attempt is left


@pytest.mark.django_db
def test_leftover_database_of_never_activated_hospital_is_replaced_on_rerun(monkeypatch):
    crash_while_cloning(monkeypatch, after="publish")
    with pytest.raises(SimulatedCrash):
        hospital_provision(code="TH001", name="Crashy")
    monkeypatch.undo()

    hospital = Hospital.objects.get(code="TH001")
    assert hospital.status == Hospital.Status.PROVISIONING
    assert storage(hospital).exists(hospital.database_name)  # published, but the row never became ACTIVE
    # Whatever is there holds no data that matters: make it unusable to prove it is replaced.
    spoil(hospital)

    hospital_provision(code="TH001", name="Crashy")

    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.ACTIVE
    names = tables_of("TH001")
    assert "patients_patient" in names  # the garbage is gone
    assert "spoiled" not in names
    assert_working_database("TH001")


KILL_SCRIPT = textwrap.dedent(
    """
    import os
    import sys

    import django

    django.setup()
    from hms.tenancy.backends import sqlite as sqlite_backend
    from hms.tenancy.provisioning import hospital_provision

    kill_after = sys.argv[1]
    real_fsync, real_link = sqlite_backend._fsync, sqlite_backend.os.link

    def fsync_then_die(path):
        real_fsync(path)
        if ".partial-" in os.path.basename(path):
            os._exit(17)  # no finally blocks, no rollback handlers, no cleanup

    def link_then_die(src, dst, *args, **kwargs):
        real_link(src, dst, *args, **kwargs)
        os._exit(17)

    if kill_after == "copy":
        sqlite_backend._fsync = fsync_then_die
    else:
        sqlite_backend.os.link = link_then_die
    hospital_provision(code="TH001", name="Killed", time_zone="Asia/Dhaka")
    os._exit(0)  # never reached
    """
)


def run_killed_provisioning(script: str, where: str, env: dict[str, str]) -> None:
    """Run `script` in a new process that provisions TH001 and dies (exit 17) at `where`."""
    result = subprocess.run(
        [sys.executable, "-c", script, where],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 17, result.stderr


@pytest.mark.sqlite_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kill_after", ["copy", "link"])
def test_real_process_crash_midway_leaves_provisioning_and_rerun_finishes(data_dir, kill_after):
    """A provisioning process killed hard (os._exit) after writing, or after publishing, the copy."""
    shared = connections["default"].settings_dict["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{shared}",
        "HMS_DATA_DIR": str(data_dir),
    }
    run_killed_provisioning(KILL_SCRIPT, kill_after, env)

    hospital = Hospital.objects.get(code="TH001")
    assert hospital.status == Hospital.Status.PROVISIONING
    assert hospital.schema_fingerprint == ""
    assert hospital.time_zone == "Asia/Dhaka"
    folder = db_path(hospital).parent
    assert db_path(hospital).is_file() == (kill_after == "link")
    assert [p for p in files_under(folder) if ".partial-" in p.name]  # the killed process's copy

    hospital_provision(code="TH001", name="Killed", time_zone="Asia/Dhaka")

    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.ACTIVE
    assert hospital.schema_fingerprint == current_fingerprint()
    assert_working_database("TH001")
    # The rerun also cleaned up what the killed process could not.
    assert [p.name for p in files_under(folder) if ".partial-" in p.name] == []


KILL_SCRIPT_POSTGRESQL = textwrap.dedent(
    """
    import os
    import sys

    import django

    django.setup()
    from hms.tenancy.backends.postgresql import PostgresStorage
    from hms.tenancy.provisioning import hospital_provision

    kill_at = sys.argv[1]
    real_execute = PostgresStorage._execute

    def execute_or_die(self, statement):
        text = statement.as_string(None)
        if not text.startswith("CREATE DATABASE ") or " TEMPLATE " not in text or "template0" in text:
            return real_execute(self, statement)  # not the clone of a hospital database
        if kill_at == "after_clone":
            real_execute(self, statement)
        os._exit(17)  # no finally blocks, no rollback handlers, no cleanup

    PostgresStorage._execute = execute_or_die
    hospital_provision(code="TH001", name="Killed", time_zone="Asia/Dhaka")
    os._exit(0)  # never reached
    """
)


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kill_at", ["before_clone", "after_clone"])
def test_postgresql_real_process_crash_midway_leaves_provisioning_and_rerun_finishes(data_dir, kill_at):
    """A provisioning process killed hard (os._exit) holding the registry row's lock, just before
    or just after CREATE DATABASE ... TEMPLATE made the hospital's database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "HMS_TEST_BACKEND": "postgresql",
        # The same shared database, servers and prefix as this run, so this run's cleanup finds
        # whatever the killed process made.
        "HMS_TEST_DATABASE_URL": shared_database_url(),
        "HMS_TEST_DATABASE_SERVERS": settings.HMS_DATABASE_SERVERS,
        "HMS_TEST_DATABASE_PREFIX": settings.HMS_DATABASE_PREFIX,
        "HMS_DATA_DIR": str(data_dir),
    }
    run_killed_provisioning(KILL_SCRIPT_POSTGRESQL, kill_at, env)

    hospital = Hospital.objects.get(code="TH001")
    assert hospital.status == Hospital.Status.PROVISIONING
    assert hospital.schema_fingerprint == ""
    assert hospital.time_zone == "Asia/Dhaka"
    assert storage(hospital).exists(hospital.database_name) == (kill_at == "after_clone")
    left = pg_database(hospital.server, hospital.database_name)

    # The killed process's lock on the row went with its connection: the rerun is not blocked.
    hospital_provision(code="TH001", name="Killed", time_zone="Asia/Dhaka")

    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.ACTIVE
    assert hospital.schema_fingerprint == current_fingerprint()
    assert_working_database("TH001")
    assert leftovers() == [hospital.database_name]
    if left is not None:  # what the killed process made was replaced, not trusted
        assert pg_database(hospital.server, hospital.database_name)["oid"] != left["oid"]


# --- the create_hospital command -----------------------------------------------------------


def _sink():
    return io.StringIO()


@pytest.mark.django_db
def test_create_hospital_command_reports_success():
    out = _sink()
    call_command(
        "create_hospital", "TH001", "--name", "Teaching Hospital", "--timezone", "Asia/Dhaka", stdout=out
    )

    hospital = Hospital.objects.get(code="TH001")
    assert hospital.status == Hospital.Status.ACTIVE
    assert hospital.time_zone == "Asia/Dhaka"
    assert storage(hospital).exists(hospital.database_name)
    message = out.getvalue()
    assert "Hospital TH001 (Teaching Hospital) is ACTIVE" in message
    assert f"database {hospital.database_name} on {hospital.server}" in message


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["th-1", "--name", "Bad"], "Invalid hospital code"),
        (["TH002", "--name", " "], "needs a name"),
        (["TH002", "--name", "Zone", "--timezone", "Nowhere/Land"], "IANA"),
        (["TH001", "--name", "Dup"], "TH001 already exists"),
    ],
)
def test_create_hospital_command_refuses_bad_input_with_command_error(make_hospital, args, message):
    existing = make_hospital("TH001")
    with pytest.raises(CommandError, match=message):
        call_command("create_hospital", *args, stdout=_sink())
    assert list(Hospital.objects.values_list("code", "name")) == [("TH001", "Hospital TH001")]
    assert leftovers() == [existing.database_name]


@pytest.mark.django_db
def test_create_hospital_command_requires_a_name():
    with pytest.raises(CommandError, match="--name"):
        call_command("create_hospital", "TH001")
    assert not Hospital.objects.exists()


# --- provisioning from the Django admin ----------------------------------------------------

ADD_URL = "/admin/hospitals/hospital/add/"


@pytest.fixture
def admin_client_superadmin(client, make_user):
    user = make_user("root", role=Role.SUPERADMIN)
    user.is_staff = True
    user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_admin_add_provisions_an_active_hospital(admin_client_superadmin):
    response = admin_client_superadmin.post(
        ADD_URL, {"code": "TH001", "name": "Admin Made", "time_zone": "Asia/Dhaka", "_save": "Save"}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    hospital = Hospital.objects.get(code="TH001")
    assert hospital.status == Hospital.Status.ACTIVE
    assert hospital.name == "Admin Made"
    assert hospital.time_zone == "Asia/Dhaka"
    assert hospital.schema_fingerprint == current_fingerprint()
    assert "patients_patient" in tables_of("TH001")
    assert_working_database("TH001")
    # The change page of the new hospital renders (read-only registry fields).
    assert admin_client_superadmin.get(f"/admin/hospitals/hospital/{hospital.pk}/change/").status_code == 200


@pytest.mark.django_db
def test_admin_add_form_renders(admin_client_superadmin):
    response = admin_client_superadmin.get(ADD_URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="code"' in body and 'name="time_zone"' in body
    assert 'name="status"' not in body and 'name="database_name"' not in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "TH001", "name": "Impostor", "time_zone": "UTC"}, "already exists"),
        ({"code": "th 1", "name": "Bad code", "time_zone": "UTC"}, "upper-case"),
        ({"code": "TH002", "name": "Bad zone", "time_zone": "Atlantis/Capital"}, "IANA"),
        ({"code": "TH002", "name": "", "time_zone": "UTC"}, "required"),
    ],
)
def test_admin_add_with_bad_input_shows_form_error_and_changes_nothing(
    admin_client_superadmin, make_hospital, data, message
):
    existing = make_hospital("TH001", name="Original")
    before = database_identity(existing)

    response = admin_client_superadmin.post(ADD_URL, {**data, "_save": "Save"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert message in response.content.decode()
    assert list(Hospital.objects.values_list("code", "name", "status")) == [
        ("TH001", "Original", Hospital.Status.ACTIVE)
    ]
    assert database_identity(existing) == before
    assert leftovers() == [existing.database_name]


@pytest.mark.django_db
def test_admin_add_full_disk_shows_form_error_and_leaves_no_trace(admin_client_superadmin, monkeypatch):
    full_disk(monkeypatch, copy_made=True)
    response = admin_client_superadmin.post(
        ADD_URL, {"code": "TH001", "name": "Full", "time_zone": "UTC", "_save": "Save"}
    )
    assert response.status_code == 200
    assert DISK_FULL in response.content.decode()
    assert not Hospital.objects.exists()
    assert leftovers() == []


@pytest.mark.django_db
def test_admin_refuses_to_delete_hospitals(admin_client_superadmin, make_hospital):
    hospital = make_hospital("TH001")
    response = admin_client_superadmin.post(
        f"/admin/hospitals/hospital/{hospital.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Hospital.objects.filter(pk=hospital.pk).exists()
    assert storage(hospital).exists(hospital.database_name)


@pytest.mark.django_db
def test_admin_suspend_and_reactivate_actions(admin_client_superadmin):
    hospital = registry_row("TH001")  # the actions change the registry only
    url = "/admin/hospitals/hospital/"
    response = admin_client_superadmin.post(
        url, {"action": "suspend", "_selected_action": [hospital.pk]}, follow=True
    )
    assert response.status_code == 200
    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.SUSPENDED
    assert "TH001 is now SUSPENDED" in response.content.decode()

    admin_client_superadmin.post(url, {"action": "reactivate", "_selected_action": [hospital.pk]})
    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.ACTIVE


# --- hospital_set_status (the registry alone: no database is needed) --------------------------

S = Hospital.Status


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        [S.SUSPENDED, S.ACTIVE],
        [S.SUSPENDED, S.ARCHIVED],
        [S.ARCHIVED],
        [S.ACTIVE],  # unchanged: a no-op
    ],
)
def test_set_status_allowed_transitions(path):
    hospital = registry_row("TH001")
    for status in path:
        hospital = hospital_set_status(hospital=hospital, status=status)
        assert hospital.status == status
        assert Hospital.objects.get(pk=hospital.pk).status == status


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "target"),
    [
        (S.ARCHIVED, S.ACTIVE),
        (S.ARCHIVED, S.SUSPENDED),
        (S.PROVISIONING, S.ACTIVE),
        (S.FAILED, S.ACTIVE),
        (S.PROVISIONING, S.SUSPENDED),
        (S.ACTIVE, S.PROVISIONING),
        (S.ACTIVE, S.FAILED),
        (S.SUSPENDED, S.PROVISIONING),
    ],
)
def test_set_status_refused_transitions(start, target):
    hospital = registry_row("TH001", status=start)

    with pytest.raises(ApplicationError, match=f"A {start} hospital cannot become {target}"):
        hospital_set_status(hospital=hospital, status=target)
    assert Hospital.objects.get(pk=hospital.pk).status == start


@pytest.mark.django_db
def test_set_status_refuses_a_stale_copy():
    stale = registry_row("TH001")
    Hospital.objects.filter(pk=stale.pk).update(status=S.SUSPENDED)  # changed by someone else

    with pytest.raises(ApplicationError, match="changed while you were editing"):
        hospital_set_status(hospital=stale, status=S.ARCHIVED)
    assert Hospital.objects.get(pk=stale.pk).status == S.SUSPENDED


@pytest.mark.django_db
def test_a_database_no_hospital_owns_is_never_overwritten(make_hospital):
    hospital = make_hospital("OWN01")
    with hospital_context(hospital):
        Patient.objects.create(mrn="KEEP1", given_name="Kept", family_name="Safe", birth_date="1970-01-01")
    owned = {f.name: getattr(hospital, f.name) for f in Hospital._meta.concrete_fields if f.name != "id"}
    Hospital.objects.filter(pk=hospital.pk).delete()  # the registry forgot it (restored from an old backup)

    with pytest.raises(ProvisioningError, match="No hospital owns it"):
        hospital_provision(code="OWN01", name="Again")
    assert not Hospital.objects.filter(code="OWN01").exists()

    restored = Hospital.objects.create(**owned)
    with hospital_context(restored):
        assert list(Patient.objects.values_list("mrn", flat=True)) == ["KEEP1"]
