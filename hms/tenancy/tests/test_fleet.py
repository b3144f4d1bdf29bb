"""Fleet migration (invariant 7) and the operator's view of the fleet (list_hospitals).

Up-to-date hospitals are skipped from the registry alone, without opening their
databases; a failing hospital is reported while the others go on; a rerun finishes.
Runs on both storage backends: a broken hospital database is made the way each
backend's can break (see `corrupt`). Where only the registry matters, a hospital is a
registry row with no database at all, which is cheaper (above all on PostgreSQL).
"""

import io
import os
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from psycopg import sql

from hms.hospitals.models import Hospital
from hms.patients.models import Patient
from hms.tenancy import fleet
from hms.tenancy.backends import storage_for
from hms.tenancy.context import hospital_context
from hms.tenancy.fleet import fleet_migrate, fleet_plan
from hms.tenancy.management.commands.list_hospitals import _human_size
from hms.tenancy.placement import server_choose
from hms.tenancy.schema import current_fingerprint, tenant_app_labels
from hms.tenancy.tests.registry import registry_row

ON_POSTGRESQL = settings.HMS_TEST_BACKEND == "postgresql"
STALE = "0000stale0000000"


def db_path(hospital: Hospital) -> Path:
    """SQLite only: the hospital's database file."""
    return Path(settings.HMS_DATA_DIR) / hospital.database_name


def make_stale(*codes: str) -> None:
    assert Hospital.objects.filter(code__in=codes).update(schema_fingerprint=STALE) == len(codes)


def fingerprint_of(code: str) -> str:
    return Hospital.objects.get(code=code).schema_fingerprint


def tables_of(code: str) -> set[str]:
    with hospital_context(code) as tenant:
        connection = connections[tenant.alias]
        with connection.cursor() as cursor:
            return set(connection.introspection.table_names(cursor))


def _pg_connect(hospital: Hospital) -> psycopg.Connection:
    admin = storage_for(hospital.server).server.admin
    return psycopg.connect(
        host=admin.get("HOST") or None,
        port=admin.get("PORT") or None,
        user=admin.get("USER") or None,
        password=admin.get("PASSWORD") or None,
        dbname=hospital.database_name,
        autocommit=True,
    )


def corrupt(hospital: Hospital, how: str) -> None:
    """Break a hospital's database behind the registry's back.

    "missing": the database is gone. "garbage": it is there but holds junk (SQLite:
    random bytes; PostgreSQL: a schema whose only table is a junk django_migrations).
    "unopenable": nothing can even connect to it (SQLite: random bytes, "file is not a
    database"; PostgreSQL: the database refuses connections).
    """
    storage = storage_for(hospital.server)
    if how == "missing":
        storage.drop(hospital.database_name)
        assert not storage.exists(hospital.database_name)
    elif not ON_POSTGRESQL:
        path = db_path(hospital)
        for side in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            side.unlink(missing_ok=True)
        path.write_bytes(os.urandom(8192))
    elif how == "garbage":
        with _pg_connect(hospital) as connection:
            connection.execute("DROP SCHEMA public CASCADE")
            connection.execute("CREATE SCHEMA public")
            connection.execute("CREATE TABLE public.django_migrations (junk bytea)")
            connection.execute("INSERT INTO public.django_migrations VALUES (%s)", [os.urandom(8192)])
    elif how == "unopenable":
        storage._execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(
                sql.Identifier(hospital.database_name)
            )
        )
    else:
        raise ValueError(how)


def repair(hospital: Hospital) -> None:
    storage = storage_for(hospital.server)
    storage.drop(hospital.database_name)
    storage.create_from_template(hospital.database_name, current_fingerprint())


def migrate_hospitals(*args: str) -> str:
    out = io.StringIO()
    call_command("migrate_hospitals", "--no-progress", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def outcome_rows(output: str) -> dict[str, list[str]]:
    """The per-hospital outcome table: code -> [outcome, applied, seconds, detail...]."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("HOSPITAL"))
    rows = {}
    for line in lines[start + 1 :]:
        if not line or line[0] == " " or "migrated," in line:
            break
        code, *rest = line.split()
        rows[code] = rest
    return rows


def unpatch_tenant_schema(code: str) -> int:
    """Roll the `patients` app (and the apps built on it) back to zero on one hospital.

    Returns how many migrations are now pending there.
    """
    with hospital_context(code) as tenant:
        connection = connections[tenant.alias]
        executor = MigrationExecutor(connection)
        executor.migrate([("patients", None)])
        with connection.cursor() as cursor:
            names = connection.introspection.table_names(cursor)
        assert "patients_patient" not in names
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        return sum(migration.app_label in tenant_app_labels() for migration, _ in plan)


# --- nothing pending ---------------------------------------------------------------------


@pytest.mark.django_db
def test_nothing_pending_opens_no_hospital_database(make_hospital, monkeypatch):
    gone = registry_row("TH001")  # its database is missing
    garbled = make_hospital("TH002")
    corrupt(garbled, "unopenable")
    monkeypatch.setattr(fleet, "migrate_database", lambda alias: pytest.fail(f"opened {alias}"))

    output = migrate_hospitals()

    assert f"Schema {current_fingerprint()}: 2 hospital(s) current, 0 to migrate" in output
    assert "HOSPITAL" not in output  # no outcome table: there was nothing to do
    assert fingerprint_of("TH001") == fingerprint_of("TH002") == current_fingerprint()
    assert not storage_for(gone.server).exists(gone.database_name)


@pytest.mark.django_db
def test_nothing_pending_with_no_hospitals_at_all():
    assert "0 hospital(s) current, 0 to migrate" in migrate_hospitals()


# --- stale hospitals are migrated -------------------------------------------------------------


@pytest.mark.django_db
def test_stale_fingerprint_is_migrated_and_recorded(make_hospital):
    make_hospital("TH001")
    registry_row("TH002")  # current: counted from the registry, never opened
    make_stale("TH001")

    output = migrate_hospitals()

    assert "1 hospital(s) current, 1 to migrate with" in output
    rows = outcome_rows(output)
    assert list(rows) == ["TH001"]
    assert rows["TH001"][:2] == ["migrated", "0"]  # its schema was in fact complete
    assert "1 migrated, 0 failed, 1 already current." in output
    assert fingerprint_of("TH001") == current_fingerprint()
    # A second run has nothing left to do.
    assert "2 hospital(s) current, 0 to migrate" in migrate_hospitals()


@pytest.mark.django_db
def test_pending_migration_is_applied_to_the_hospital_behind(make_hospital):
    make_hospital("TH002")
    with hospital_context("TH002"):
        Patient.objects.create(mrn="P1", given_name="A", family_name="B", birth_date="1990-01-01")
    pending = unpatch_tenant_schema("TH002")

    # The registry still says TH002 is current, so it is (by design) not even opened.
    assert "1 hospital(s) current, 0 to migrate" in migrate_hospitals()
    assert "patients_patient" not in tables_of("TH002")

    make_stale("TH002")
    output = migrate_hospitals()

    rows = outcome_rows(output)
    assert list(rows) == ["TH002"]
    assert rows["TH002"][:2] == ["migrated", str(pending)]  # all of them, again
    assert "patients_patient" in tables_of("TH002")
    assert fingerprint_of("TH002") == current_fingerprint()
    with hospital_context("TH002"):
        assert Patient.objects.count() == 0  # the table is back (and usable)
        Patient.objects.create(mrn="P2", given_name="C", family_name="D", birth_date="1991-01-01")
        assert list(Patient.objects.values_list("mrn", flat=True)) == ["P2"]


# --- failures are reported, others go on, rerun finishes ---------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["garbage", "missing"])
def test_failing_hospital_is_reported_while_the_others_are_migrated(make_hospital, how):
    hospitals = {code: make_hospital(code) for code in ("TH001", "TH002", "TH003")}
    make_stale("TH001", "TH002", "TH003")
    corrupt(hospitals["TH002"], how)
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match=r"1 hospital\(s\) failed to migrate: TH002\.") as excinfo:
        call_command("migrate_hospitals", "--no-progress", stdout=out, stderr=err)

    assert "rerun this command" in str(excinfo.value)
    rows = outcome_rows(out.getvalue())
    assert {code: row[0] for code, row in rows.items()} == {
        "TH001": "migrated",
        "TH002": "failed",
        "TH003": "migrated",
    }
    assert "Error" in " ".join(rows["TH002"][3:])  # the detail column names the cause
    assert "2 migrated, 1 failed, 0 already current." in out.getvalue()
    assert "TH002: FAILED" in err.getvalue()
    assert fingerprint_of("TH001") == fingerprint_of("TH003") == current_fingerprint()
    assert fingerprint_of("TH002") == STALE

    repair(hospitals["TH002"])
    output = migrate_hospitals()
    assert list(outcome_rows(output)) == ["TH002"]
    assert "1 migrated, 0 failed, 2 already current." in output
    assert fingerprint_of("TH002") == current_fingerprint()


@pytest.mark.django_db(transaction=True)
def test_failure_exits_non_zero_from_the_command_line(make_hospital, capsys):
    make_hospital("TH001")
    broken = make_hospital("TH002")
    make_stale("TH001", "TH002")
    corrupt(broken, "garbage")

    with pytest.raises(SystemExit) as excinfo:
        ManagementUtility(["manage.py", "migrate_hospitals", "--no-progress", "--jobs", "1"]).execute()

    assert excinfo.value.code == 1
    captured = capsys.readouterr()
    assert "failed to migrate: TH002" in captured.err
    assert fingerprint_of("TH001") == current_fingerprint()
    assert fingerprint_of("TH002") == STALE


# --- parallel workers ----------------------------------------------------------------------


@pytest.mark.django_db
def test_parallel_jobs_migrate_in_worker_processes(make_hospital, monkeypatch, tmp_path):
    hospitals = {code: make_hospital(code) for code in ("TH001", "TH002", "TH003", "TH004")}
    make_stale(*hospitals)
    corrupt(hospitals["TH003"], "garbage")
    pending = unpatch_tenant_schema("TH004")
    pids = tmp_path / "pids"
    pids.mkdir()
    real_migrate = fleet.migrate_database

    def recording_migrate(alias):
        (pids / f"{alias}-{os.getpid()}").touch()
        return real_migrate(alias)

    monkeypatch.setattr(fleet, "migrate_database", recording_migrate)  # inherited by forked workers
    out = io.StringIO()

    with pytest.raises(CommandError, match="TH003"):
        call_command("migrate_hospitals", "--no-progress", "--jobs", "2", stdout=out, stderr=io.StringIO())

    rows = outcome_rows(out.getvalue())
    assert {code: row[:2] for code, row in rows.items()} == {
        "TH001": ["migrated", "0"],
        "TH002": ["migrated", "0"],
        "TH003": ["failed", "0"],
        "TH004": ["migrated", str(pending)],
    }
    assert list(rows) == sorted(rows)  # the table is ordered whatever order workers finish in
    worker_pids = {int(name.rsplit("-", 1)[1]) for name in os.listdir(pids)}
    assert len(os.listdir(pids)) == 4
    assert os.getpid() not in worker_pids
    assert 1 <= len(worker_pids) <= 2
    # The parent alone records the outcome in the registry.
    assert {h.code: h.schema_fingerprint for h in Hospital.objects.all()} == {
        "TH001": current_fingerprint(),
        "TH002": current_fingerprint(),
        "TH003": STALE,
        "TH004": current_fingerprint(),
    }
    assert "patients_patient" in tables_of("TH004")
    # The parent's shared-database connection still works after the workers.
    assert Hospital.objects.count() == 4


# --- choosing hospitals and bad options ------------------------------------------------------


@pytest.mark.django_db
def test_hospital_option_limits_migration_to_that_hospital(make_hospital):
    make_hospital("TH001")
    make_hospital("TH002")
    registry_row("TH003")  # current: counted from the registry, never opened
    make_stale("TH001", "TH002")

    output = migrate_hospitals("--hospital", "TH001")

    assert "0 hospital(s) current, 1 to migrate" in output
    assert list(outcome_rows(output)) == ["TH001"]
    assert fingerprint_of("TH001") == current_fingerprint()
    assert fingerprint_of("TH002") == STALE

    output = migrate_hospitals("--hospital", "TH002", "--hospital", "TH003")
    assert "1 hospital(s) current, 1 to migrate" in output
    assert fingerprint_of("TH002") == current_fingerprint()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hospital", "ZZ999"], "No such hospital: ZZ999"),
        (["--hospital", "TH001", "--hospital", "NOPE1"], "No such hospital: NOPE1"),
        (["--hospital", "th001"], "Invalid hospital code"),
        (["--hospital", "../TH001"], "Invalid hospital code"),
        (["--jobs", "0"], "--jobs must be at least 1"),
        (["--jobs", "-3"], "--jobs must be at least 1"),
    ],
)
def test_bad_options_are_refused_and_nothing_is_migrated(make_hospital, args, message):
    make_hospital("TH001")
    make_stale("TH001")
    with pytest.raises(CommandError, match=message):
        migrate_hospitals(*args)
    assert fingerprint_of("TH001") == STALE


@pytest.mark.django_db
def test_only_active_and_suspended_hospitals_are_migrated(make_hospital):
    make_hospital("TH001")
    make_hospital("TH002")
    for code in ("TH003", "TH004", "TH005"):
        registry_row(code)  # never to be opened: a database would prove nothing more
    make_stale("TH001", "TH002", "TH003", "TH004", "TH005")
    Hospital.objects.filter(code="TH002").update(status=Hospital.Status.SUSPENDED)
    Hospital.objects.filter(code="TH003").update(status=Hospital.Status.ARCHIVED)
    Hospital.objects.filter(code="TH004").update(status=Hospital.Status.PROVISIONING)
    Hospital.objects.filter(code="TH005").update(status=Hospital.Status.FAILED)

    plan = fleet_plan()
    assert [h.code for h in plan.pending] == ["TH001", "TH002"]
    assert plan.current == 0

    outcomes = fleet_migrate(plan, jobs=1)
    assert [(o.code, o.status) for o in outcomes] == [("TH001", "migrated"), ("TH002", "migrated")]
    assert [fingerprint_of(c) for c in ("TH001", "TH002", "TH003", "TH004", "TH005")] == [
        current_fingerprint(),
        current_fingerprint(),
        STALE,
        STALE,
        STALE,
    ]


# --- list_hospitals --------------------------------------------------------------------------


def list_hospitals(*args: str) -> list[list[str]]:
    out = io.StringIO()
    call_command("list_hospitals", *args, stdout=out)
    return [line.split() for line in out.getvalue().splitlines()]


@pytest.mark.django_db
def test_list_hospitals_shows_status_schema_and_size(make_hospital):
    first = make_hospital("TH001", name="Teaching Hospital")
    make_hospital("TH002")
    make_stale("TH002")
    registry_row("TH003", status=Hospital.Status.SUSPENDED)  # its database is missing
    server = server_choose()
    Hospital.objects.create(
        code="TH004",
        name="Half made",
        server=server,
        database_name=storage_for(server).database_name_for("TH004"),
    )  # PROVISIONING, no fingerprint yet

    lines = list_hospitals()

    assert lines[0] == ["CODE", "STATUS", "SCHEMA", "SIZE", "SERVER", "DATABASE", "NAME"]
    rows = {line[0]: line for line in lines[1:-1]}
    fingerprint = current_fingerprint()
    assert list(rows) == ["TH001", "TH002", "TH003", "TH004"]
    assert rows["TH001"][:3] == ["TH001", "ACTIVE", fingerprint]
    assert rows["TH001"][4] in ("KB", "MB") and float(rows["TH001"][3]) > 0
    assert rows["TH001"][5:] == [first.server, first.database_name, "Teaching", "Hospital"]
    assert rows["TH002"][:3] == ["TH002", "ACTIVE", f"{STALE}*"]  # behind the code
    assert rows["TH003"][:4] == ["TH003", "SUSPENDED", fingerprint, "missing"]
    assert rows["TH004"][:4] == ["TH004", "PROVISIONING", "-", "missing"]
    assert lines[-1] == ["4", "hospital(s);", "current", "schema", f"{fingerprint}."]


@pytest.mark.django_db
def test_list_hospitals_filters():
    registry_row("TH001")  # filtering reads the registry only
    registry_row("TH002", status=Hospital.Status.SUSPENDED)
    registry_row("TH003")

    assert [line[0] for line in list_hospitals("--status", "ACTIVE")[1:-1]] == ["TH001", "TH003"]
    assert [line[0] for line in list_hospitals("--status", "SUSPENDED")[1:-1]] == ["TH002"]
    assert list_hospitals("--status", "ARCHIVED")[1:] == [
        ["0", "hospital(s);", "current", "schema", f"{current_fingerprint()}."]
    ]
    assert [line[0] for line in list_hospitals("--hospital", "TH003")[1:-1]] == ["TH003"]
    with pytest.raises(CommandError):
        list_hospitals("--status", "NOT_A_STATUS")
    with pytest.raises(CommandError, match="Invalid hospital code"):
        list_hospitals("--hospital", "bad code")


@pytest.mark.django_db
def test_a_hospital_whose_migration_failed_is_shown_plainly_and_found_as_failed(make_hospital):
    hospitals = {code: make_hospital(code) for code in ("TH001", "TH002", "TH003")}
    corrupt(hospitals["TH002"], "garbage")
    make_stale("TH001", "TH002")
    with pytest.raises(CommandError):
        call_command("migrate_hospitals", "--jobs", "1", "--no-progress", stdout=io.StringIO())
    # Still ACTIVE in the registry (nothing else changed), and marked as failed.
    assert Hospital.objects.get(code="TH002").status == Hospital.Status.ACTIVE
    registry_row("TH004", status=Hospital.Status.FAILED)  # a failed provisioning

    lines = list_hospitals("--status", "FAILED")
    assert [line[:2] for line in lines[1:3]] == [["TH002", "ACTIVE,MIGRATION_FAILED"], ["TH004", "FAILED"]]
    assert lines[3][:2] == ["2", "hospital(s);"]
    note = " ".join(lines[4])
    assert note.startswith("TH002: its last migration failed")
    assert "migrate_hospitals --hospital TH002" in note
    assert [line[0] for line in list_hospitals("--status", "MIGRATION_FAILED")[1:2]] == ["TH002"]
    assert [line[0] for line in list_hospitals("--status", "BEHIND")[1:2]] == ["TH002"]
    rows = {line[0]: line for line in list_hospitals()[1:5]}
    assert rows["TH001"][1] == "ACTIVE"  # migrated this time
    assert rows["TH003"][1] == "ACTIVE"


@pytest.mark.django_db
def test_a_later_successful_migration_clears_the_failure(make_hospital):
    make_hospital("TH001")
    make_stale("TH001")
    Hospital.objects.filter(code="TH001").update(migration_error="OperationalError: disk full")
    call_command("migrate_hospitals", "--jobs", "1", "--no-progress", stdout=io.StringIO())
    hospital = Hospital.objects.get(code="TH001")
    assert (hospital.migration_error, hospital.schema_fingerprint) == ("", current_fingerprint())
    assert list_hospitals("--status", "FAILED")[1][:2] == ["0", "hospital(s);"]


@pytest.mark.django_db
def test_a_hospital_left_read_only_by_a_move_is_shown_plainly():
    registry_row("TH001")
    stuck = registry_row("TH002")
    Hospital.objects.filter(pk=stuck.pk).update(read_only=True)

    lines = list_hospitals("--status", "READ_ONLY")
    assert lines[1][:2] == ["TH002", "ACTIVE,READ_ONLY"]
    assert lines[2][:2] == ["1", "hospital(s);"]
    note = " ".join(lines[3])
    assert note.startswith("TH002: read-only")
    assert "move_hospital TH002 --abort" in note
    assert [line[1] for line in list_hospitals()[1:3]] == ["ACTIVE", "ACTIVE,READ_ONLY"]


@pytest.mark.django_db
def test_list_hospitals_does_not_open_hospital_databases(make_hospital):
    garbled = make_hospital("TH001")
    corrupt(garbled, "unopenable")
    if ON_POSTGRESQL:  # the size the server's catalogue gives, without connecting to the database
        size = storage_for(garbled.server).size(garbled.database_name)
        assert size > 0
        shown = _human_size(size).split()
    else:
        shown = ["8.0", "KB"]  # the garbage file's size
    (row,) = list_hospitals()[1:-1]
    assert row[:5] == ["TH001", "ACTIVE", current_fingerprint(), *shown]


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (None, "missing"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KB"),
        (5 * 1024**2, "5.0 MB"),
        (3 * 1024**4, "3072.0 GB"),
    ],
)
def test_human_size(size, shown):
    assert _human_size(size) == shown
