"""Backups and restores on both backends: online, encrypted per hospital, verified before a switch."""

import datetime
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from hms.audit.backups import chain_check
from hms.hospitals.models import Hospital
from hms.security.checkpoints import checkpoint_read
from hms.security.models import SecurityEvent
from hms.tenancy.backends import storage_for
from hms.tenancy.backups import catalog
from hms.tenancy.backups.crypto import MAGIC
from hms.tenancy.backups.keys import key_path
from hms.tenancy.context import hospital_context
from hms.tenancy.tests.backup_support import (
    probe_create,
    probe_insert,
    probe_values,
    raw_connection,
    subprocess_env,
)


@pytest.fixture(autouse=True)
def backup_folders(settings, tmp_path):
    settings.HMS_BACKUP_DIR = tmp_path / "backups"
    settings.HMS_BACKUP_KEY_DIR = tmp_path / "keys"
    settings.HMS_BACKUP_MASTER_KEY = ""
    return settings.HMS_BACKUP_DIR


def backup(*codes, **options):
    args = [arg for code in codes for arg in ("--hospital", code)]
    call_command("backup_hospitals", *args, "--no-progress", **options)


def restore(code, *args):
    call_command("restore_hospital", code, "--grace", "0", *args)


def audit_some(hospital, user, count=3):
    from django.db import transaction

    from hms.audit.services import audit_record

    with hospital_context(hospital) as tenant:
        for number in range(count):
            with transaction.atomic(using=tenant.alias):
                audit_record(acting_user=user, action="test.read", resource="probe", detail={"n": number})


@pytest.mark.django_db(transaction=True)
def test_backup_taken_while_a_writer_inserts_restores_every_row_committed_before_it(make_hospital):
    hospital = make_hospital("BK1")
    probe_create(hospital)
    committed = [0]
    stop = threading.Event()

    def writer():
        connection, mark = raw_connection(hospital)
        try:
            n = 0
            while not stop.is_set():
                n += 1
                connection.execute(f"INSERT INTO probe (n, note) VALUES ({mark}, {mark})", (n, "w" * 150))
                committed[0] = n  # autocommit: the row is committed once execute() returns
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while committed[0] < 200:
            time.sleep(0.01)
        before = committed[0]
        backup("BK1")
        during = committed[0]
    finally:
        stop.set()
        thread.join()
    assert during > before  # the writer kept going while the backup ran

    manifest = catalog.latest("BK1")
    assert manifest is not None and manifest.rows["probe"] >= before
    assert manifest.schema_fingerprint == hospital.schema_fingerprint
    assert manifest.vendor == storage_for(hospital.server).vendor
    assert len(manifest.sha256) == 64 and manifest.size == manifest.file.stat().st_size

    old_name = hospital.database_name
    restore("BK1")
    hospital.refresh_from_db()
    assert hospital.database_name != old_name
    restored = probe_values(hospital)
    assert restored == list(range(1, len(restored) + 1))  # a consistent prefix of the writer's rows
    assert len(restored) >= before
    assert len(restored) == manifest.rows["probe"]
    if storage_for(hospital.server).vendor == "sqlite":
        from hms.tenancy.backends.sqlite import sqlite_integrity

        assert sqlite_integrity(storage_for(hospital.server).path(hospital.database_name)) == ""


@pytest.mark.django_db(transaction=True)
def test_backup_is_encrypted_unreadable_without_its_key_and_restores_with_it(make_hospital):
    hospital = make_hospital("ENC1")
    probe_create(hospital)
    probe_insert(hospital, [1, 2, 3])
    backup("ENC1")
    manifest = catalog.latest("ENC1")
    raw = manifest.file.read_bytes()
    assert raw.startswith(MAGIC)
    assert b"SQLite format 3" not in raw and b"PGDMP" not in raw and b"xxxxxxxx" not in raw

    key = key_path("ENC1")
    saved = key.read_bytes()
    key.unlink()
    with pytest.raises(CommandError, match="No backup key for ENC1"):
        restore("ENC1")
    hospital.refresh_from_db()
    assert not hospital.read_only
    assert probe_values(hospital) == [1, 2, 3]

    # Another key (a new one, say) does not open it either.
    key.write_text(json.dumps({"version": 1, "wrapped": False, "key": "A" * 43 + "="}))
    with pytest.raises(CommandError, match="different key"):
        restore("ENC1")

    key.write_bytes(saved)
    probe_insert(hospital, [4])
    restore("ENC1")
    hospital.refresh_from_db()
    assert probe_values(hospital) == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_destroying_one_hospitals_key_leaves_the_others_backups_readable(make_hospital):
    for code in ("KA1", "KB1"):
        make_hospital(code)
    backup()
    key_path("KA1").unlink()
    with pytest.raises(CommandError) as failure:
        call_command("restore_drill", "--no-progress")
    assert "KA1" in str(failure.value) and "KB1" not in str(failure.value)
    call_command("restore_drill", "--hospital", "KB1", "--no-progress")
    assert (settings.HMS_BACKUP_DIR / "_shared").is_dir()  # the shared database too


@pytest.mark.django_db(transaction=True)
def test_master_key_wraps_the_key_files(make_hospital, settings):
    import base64

    settings.HMS_BACKUP_MASTER_KEY = base64.b64encode(b"m" * 32).decode()
    make_hospital("MK1")
    backup("MK1")
    record = json.loads(key_path("MK1").read_text())
    assert record["wrapped"] is True
    settings.HMS_BACKUP_MASTER_KEY = ""
    with pytest.raises(CommandError, match="HMS_BACKUP_MASTER_KEY is not set"):
        restore("MK1")
    settings.HMS_BACKUP_MASTER_KEY = base64.b64encode(b"m" * 32).decode()
    restore("MK1")


@pytest.mark.django_db(transaction=True)
def test_restore_switches_the_hospital_keeps_the_old_database_and_moves_the_checkpoint(
    make_hospital, make_user
):
    hospital = make_hospital("RS1")
    doctor = make_user("doc_rs1", hospital=hospital)
    probe_create(hospital)
    probe_insert(hospital, [1, 2])
    audit_some(hospital, doctor, 3)
    backup("RS1")
    probe_insert(hospital, [3])
    audit_some(hospital, doctor, 2)  # the checkpoint moves past what the backup holds
    ahead = checkpoint_read("RS1").event_id
    old_name = hospital.database_name
    storage = storage_for(hospital.server)

    restore("RS1")

    hospital.refresh_from_db()
    assert hospital.database_name != old_name and not hospital.read_only
    assert probe_values(hospital) == [1, 2]
    kept = [
        name
        for name in (
            storage.database_names()
            if storage.vendor == "postgresql"
            else [
                str(p.relative_to(settings.HMS_DATA_DIR))
                for p in (settings.HMS_DATA_DIR / "hospitals" / "RS1").iterdir()
            ]
        )
        if "old" in name or "replaced" in name
    ]
    assert len(kept) == 1
    assert probe_values(hospital, kept[0]) == [1, 2, 3]  # the replaced database, kept as it was
    assert not storage.exists(old_name)
    mark = checkpoint_read("RS1")
    assert mark.event_id < ahead and not mark.problem
    event = SecurityEvent.objects.filter(hospital_code="RS1", detail__action="hospital_restored").get()
    assert event.detail["checkpoint_was"] == ahead
    call_command("verify_audit_chain", "--hospital", "RS1")  # intact against the moved checkpoint
    with hospital_context(hospital):
        assert chain_check().intact
    # The restored hospital serves writes again, and its chain goes on from the restored head.
    audit_some(hospital, doctor, 1)
    call_command("verify_audit_chain", "--hospital", "RS1")


@pytest.mark.django_db(transaction=True)
def test_a_corrupt_backup_is_refused_and_nothing_is_switched(make_hospital):
    hospital = make_hospital("CR1")
    probe_create(hospital)
    probe_insert(hospital, [1])
    backup("CR1")
    manifest = catalog.latest("CR1")
    data = bytearray(manifest.file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    manifest.file.write_bytes(bytes(data))
    names_before = storage_for(hospital.server).database_names() if hospital.server != "embedded" else None

    with pytest.raises(CommandError, match="does not match its manifest"):
        restore("CR1")

    after = Hospital.objects.get(code="CR1")
    assert (after.database_name, after.read_only) == (hospital.database_name, False)
    assert probe_values(after) == [1]
    if names_before is not None:
        assert storage_for(hospital.server).database_names() == names_before
    else:
        assert sorted(p.name for p in (settings.HMS_DATA_DIR / "hospitals" / "CR1").iterdir()) == [
            "db.sqlite3",
            "db.sqlite3-shm",
            "db.sqlite3-wal",
        ] or not list((settings.HMS_DATA_DIR / "hospitals" / "CR1").glob("restore-*"))
    with pytest.raises(CommandError, match="CR1"):
        call_command("restore_drill", "--no-progress")


@pytest.mark.django_db(transaction=True)
def test_restore_at_a_time_picks_the_newest_backup_taken_before_it(make_hospital):
    hospital = make_hospital("AT1")
    probe_create(hospital)
    probe_insert(hospital, [1])
    backup("AT1")
    first = catalog.latest("AT1")
    time.sleep(0.05)
    probe_insert(hospital, [2])
    backup("AT1")
    restore("AT1", "--at", first.taken_at)
    hospital.refresh_from_db()
    assert probe_values(hospital) == [1]
    restore("AT1")  # the newest
    hospital.refresh_from_db()
    assert probe_values(hospital) == [1, 2]
    with pytest.raises(CommandError, match="No backup of AT1 taken at or before"):
        restore("AT1", "--at", "2000-01-01")


def _manifest(stamp_time):
    return catalog.Manifest(
        hospital="RT1",
        taken_at=stamp_time.isoformat(),
        stamp=catalog.new_stamp(stamp_time),
        vendor="sqlite",
        server="embedded",
        database_name="x",
        schema_fingerprint="",
        database_size=None,
        size=0,
        sha256="",
        key_id="",
        compression="zlib",
    )


def test_retention_keeps_the_newest_of_each_day_week_and_month():
    start = datetime.datetime(2026, 1, 1, 1, 0, tzinfo=datetime.UTC)
    # Two backups a day for 100 days.
    manifests = [
        _manifest(start + datetime.timedelta(days=day, hours=hour)) for day in range(100) for hour in (0, 12)
    ]
    keep = catalog.retention_keep(manifests, daily=3, weekly=2, monthly=2)
    kept = sorted(m.taken for m in manifests if m.stamp in keep)
    newest = max(m.taken for m in manifests)
    expected = {
        # the last three days, the evening backup of each
        newest,
        newest - datetime.timedelta(days=1),
        newest - datetime.timedelta(days=2),
        # the newest of the previous ISO week (a Sunday evening) and of the previous month
        datetime.datetime(2026, 4, 5, 13, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 31, 13, 0, tzinfo=datetime.UTC),
    }
    assert set(kept) == expected
    assert catalog.retention_keep(manifests) == {max(m.stamp for m in manifests)}


@pytest.mark.django_db(transaction=True)
def test_backup_with_keep_options_deletes_only_what_retention_drops(make_hospital):
    make_hospital("RT2")
    backup("RT2")
    backup("RT2")
    assert len(catalog.backups_of("RT2")) == 2
    backup("RT2", keep_daily=1)  # three the same day: the newest stays
    stamps = [m.stamp for m in catalog.backups_of("RT2")]
    assert len(stamps) == 1
    assert sorted(p.name for p in catalog.backup_dir("RT2").iterdir()) == [
        f"{stamps[0]}.hmsbak",
        f"{stamps[0]}.json",
    ]


KILL_BACKUP = textwrap.dedent(
    """
    import os, sys, time
    import django
    django.setup()
    from hms.tenancy.backups import crypto
    real = crypto.EncryptingWriter._seal
    def seal_then_hang(self, plain, *, final):
        real(self, plain, final=final)
        self._sink.flush()
        open(sys.argv[1], "w").close()  # tell the test we are halfway
        time.sleep(600)
    crypto.EncryptingWriter._seal = seal_then_hang
    from django.core.management import call_command
    call_command("backup_hospitals", "--hospital", "KL1", "--no-progress")
    """
)


def _run_until_marker(script, marker, env):
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(marker)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(process.communicate()[1].decode())
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.django_db(transaction=True)
def test_backup_killed_midway_leaves_no_backup_and_a_rerun_completes(make_hospital, data_dir, tmp_path):
    hospital = make_hospital("KL1")
    probe_create(hospital)
    probe_insert(hospital, list(range(1, 2000)))
    _run_until_marker(KILL_BACKUP, tmp_path / "halfway", subprocess_env(data_dir))

    folder = catalog.backup_dir("KL1")
    assert [p for p in folder.iterdir() if ".partial-" in p.name]  # what the killed run left
    assert catalog.backups_of("KL1") == []  # no manifest: not a backup

    backup("KL1")
    assert len(catalog.backups_of("KL1")) == 1
    assert not [p for p in folder.iterdir() if ".partial-" in p.name]
    assert not list(catalog.work_dir().glob("*.snapshot")) if catalog.work_dir().exists() else True
    restore("KL1")
    hospital.refresh_from_db()
    assert probe_values(hospital) == list(range(1, 2000))


KILL_RESTORE = textwrap.dedent(
    """
    import os, sys, time
    import django
    django.setup()
    from hms.tenancy.backups import restore
    real = restore._restore_into
    def restore_then_hang(*args, **kwargs):
        rows = real(*args, **kwargs)  # the new database is complete, not yet switched to
        open(sys.argv[1], "w").close()
        time.sleep(600)
    restore._restore_into = restore_then_hang
    from django.core.management import call_command
    call_command("restore_hospital", "KR1", "--grace", "0")
    """
)


@pytest.mark.django_db(transaction=True)
def test_restore_killed_midway_leaves_the_hospital_on_its_database_and_a_rerun_completes(
    make_hospital, data_dir, tmp_path
):
    hospital = make_hospital("KR1")
    probe_create(hospital)
    probe_insert(hospital, [1, 2])
    backup("KR1")
    probe_insert(hospital, [3])
    _run_until_marker(KILL_RESTORE, tmp_path / "halfway", subprocess_env(data_dir))

    after = Hospital.objects.get(code="KR1")
    assert after.database_name == hospital.database_name  # never switched
    assert after.read_only  # writes still refused, as during a move: rerun to finish
    assert probe_values(after) == [1, 2, 3]  # still served from its own database

    restore("KR1")
    after.refresh_from_db()
    assert not after.read_only and after.database_name != hospital.database_name
    assert probe_values(after) == [1, 2]
    storage = storage_for(hospital.server)
    if storage.vendor == "postgresql":
        leftovers = [n for n in storage.database_names() if "__r" in n and n != after.database_name]
    else:
        leftovers = [
            p.name
            for p in (settings.HMS_DATA_DIR / "hospitals" / "KR1").iterdir()
            if p.name.startswith("restore-")
            and not after.database_name.endswith(p.name.split("-wal")[0].split("-shm")[0])
        ]
    assert leftovers == []


DISK_FULL_BACKUP = textwrap.dedent(
    """
    import resource, signal, sys
    import django
    django.setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
    try:
        call_command("backup_hospitals", "--hospital", "DF1", "--no-progress")
    except CommandError as exc:
        print("FAILED:", exc)
        sys.exit(1)
    """
)


@pytest.mark.django_db(transaction=True)
def test_backup_on_a_full_disk_fails_clearly_and_removes_its_partial_file(make_hospital, data_dir):
    hospital = make_hospital("DF1")
    probe_create(hospital)
    probe_insert(hospital, list(range(1, 3000)))
    catalog.backup_dir("DF1").mkdir(parents=True)
    from hms.tenancy.backups.keys import key_ensure

    key_ensure("DF1")  # the key file is small; the limit hits the backup itself
    result = subprocess.run(
        [sys.executable, "-c", DISK_FULL_BACKUP, str(64 * 1024)],
        cwd=settings.BASE_DIR,
        env=subprocess_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "is full (or a file-size limit was reached)" in result.stdout + result.stderr
    assert "removed the partial file" in result.stdout + result.stderr
    assert sorted(p.name for p in catalog.backup_dir("DF1").iterdir()) == []
    assert not list(catalog.work_dir().iterdir()) if catalog.work_dir().exists() else True


@pytest.mark.django_db(transaction=True)
def test_check_hospitals_names_a_broken_hospital_and_exits_non_zero(make_hospital, capsys):
    for code in ("HC1", "HC2"):
        make_hospital(code)
    backup()
    call_command("check_hospitals", "--no-progress", "--jobs", "1")
    assert "2 healthy, 0 with problems" in capsys.readouterr().out

    broken = Hospital.objects.get(code="HC2")
    storage = storage_for(broken.server)
    if storage.vendor == "sqlite":
        path = storage.path(broken.database_name)
        from hms.tenancy import connections as tenant_connections

        tenant_connections.forget_all()
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        path.write_bytes(b"this is not a database" * 100)
    else:
        storage.drop(broken.database_name)
    with pytest.raises(CommandError, match="HC2") as failure:
        call_command("check_hospitals", "--no-progress", "--jobs", "1")
    assert "HC1" not in str(failure.value)
    out = capsys.readouterr().out
    assert "HC1       ok" in out and "HC2       PROBLEM" in out

    # No backup is a problem too.
    catalog.latest("HC1").path.unlink()
    with pytest.raises(CommandError, match="HC1: no backup"):
        call_command("check_hospitals", "--hospital", "HC1", "--no-progress", "--jobs", "1")


@pytest.mark.django_db(transaction=True)
def test_the_shared_database_backup_restores_into_a_new_database(make_hospital, tmp_path):
    make_hospital("SH1")
    backup()
    manifest = catalog.latest("_shared")
    assert manifest.rows["hospitals_hospital"] == 1
    if settings.HMS_TEST_BACKEND == "sqlite":
        output = str(tmp_path / "shared-restored.sqlite3")
    else:
        output = f"{settings.HMS_DATABASE_PREFIX}_sharedcopy"
    call_command("restore_shared", output)
    if settings.HMS_TEST_BACKEND == "sqlite":
        import sqlite3

        with sqlite3.connect(output) as copy:
            assert copy.execute("SELECT code FROM hospitals_hospital").fetchall() == [("SH1",)]
    else:
        from hms.tenancy.servers import configured_servers

        assert storage_for(next(iter(configured_servers()))).exists(output)
    with pytest.raises(CommandError, match="exists"):
        call_command("restore_shared", output)
