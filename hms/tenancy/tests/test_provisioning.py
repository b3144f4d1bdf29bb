"""Provisioning (invariant 6): a hospital is ACTIVE only once its database is complete.

Handled failures leave no trace; crashes leave PROVISIONING (or FAILED) and a rerun
finishes the hospital. New hospitals are cloned from a template built once per schema.
"""

import errno
import io
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from hms.accounts.models import Role
from hms.core.exceptions import ApplicationError
from hms.hospitals.models import Hospital
from hms.hospitals.services import hospital_set_status
from hms.patients.models import Patient
from hms.tenancy import provisioning
from hms.tenancy.backends import sqlite as sqlite_backend
from hms.tenancy.backends.sqlite import SqliteStorage
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import InvalidHospitalCode, ProvisioningError
from hms.tenancy.provisioning import hospital_provision
from hms.tenancy.schema import current_fingerprint

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


def db_path(hospital: Hospital) -> Path:
    return Path(settings.HMS_DATA_DIR) / hospital.database_name


def tables(path: Path) -> set[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def assert_working_database(code: str) -> None:
    with hospital_context(code):
        Patient.objects.create(mrn="M1", given_name="Ada", family_name="Works", birth_date="1990-01-01")
        assert list(Patient.objects.values_list("mrn", flat=True)) == ["M1"]


# --- the happy path ----------------------------------------------------------------------


@pytest.mark.django_db
def test_provision_creates_active_hospital_with_complete_wal_database():
    hospital = hospital_provision(code="TH001", name="  Teaching Hospital  ", time_zone="Asia/Dhaka")

    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.ACTIVE
    assert hospital.name == "Teaching Hospital"
    assert hospital.time_zone == "Asia/Dhaka"
    assert hospital.schema_fingerprint == current_fingerprint()
    assert hospital.status_detail == ""
    assert hospital.database_name == "hospitals/TH001/db.sqlite3"

    path = db_path(hospital)
    assert path.is_file()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    names = tables(path)
    assert {"patients_patient", "audit_auditevent", "django_migrations"} <= names
    assert not [name for name in names if name.startswith(SHARED_TABLE_PREFIXES)]
    # Nothing but the database itself is left in the hospital's folder.
    assert [p.name for p in files_under(path.parent) if not p.name.endswith(("-wal", "-shm"))] == [
        "db.sqlite3"
    ]
    assert_working_database("TH001")


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


@pytest.mark.django_db
def test_cloned_databases_are_independent_of_each_other_and_of_the_template(make_hospital):
    first = make_hospital("TH001")
    second = make_hospital("TH002")
    assert db_path(first) != db_path(second)
    assert_working_database("TH001")
    with hospital_context("TH002"):
        assert not Patient.objects.exists()
    template = SqliteStorage.from_settings().template_path(current_fingerprint())
    with sqlite3.connect(f"file:{template}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT COUNT(*) FROM patients_patient").fetchone()[0] == 0


# --- refused input: nothing is made --------------------------------------------------------


@pytest.mark.django_db
def test_duplicate_code_is_refused_and_changes_nothing(make_hospital):
    hospital = make_hospital("TH001", name="Original")
    assert_working_database("TH001")
    before = db_path(hospital).stat()

    with pytest.raises(ProvisioningError, match="TH001 already exists"):
        hospital_provision(code="TH001", name="Impostor")

    hospital.refresh_from_db()
    assert hospital.name == "Original"
    assert hospital.status == Hospital.Status.ACTIVE
    assert Hospital.objects.count() == 1
    after = db_path(hospital).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
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
def test_invalid_input_is_refused_before_anything_is_made(data_dir, kwargs, error, message):
    with pytest.raises(error, match=message):
        hospital_provision(**kwargs)
    assert not Hospital.objects.exists()
    assert files_under(data_dir / "hospitals") == []


# --- handled failures: no trace ------------------------------------------------------------


@pytest.mark.django_db
def test_full_disk_gives_clear_error_and_leaves_no_trace(data_dir, monkeypatch):
    seen_partials = []

    def full_disk_link(src, dst, *args, **kwargs):
        seen_partials.append(Path(src))
        assert Path(src).is_file()  # the copy was written; publishing it runs out of space
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(sqlite_backend.os, "link", full_disk_link)

    with pytest.raises(ProvisioningError, match="Could not create hospital TH001") as excinfo:
        hospital_provision(code="TH001", name="Full")

    assert os.strerror(errno.ENOSPC) in str(excinfo.value)
    assert len(seen_partials) == 1 and ".partial-" in seen_partials[0].name
    assert not Hospital.objects.filter(code="TH001").exists()
    assert files_under(data_dir / "hospitals") == []
    assert not (data_dir / "hospitals" / "TH001").exists()

    monkeypatch.undo()
    hospital_provision(code="TH001", name="Full")
    assert Hospital.objects.get(code="TH001").status == Hospital.Status.ACTIVE
    assert_working_database("TH001")


@pytest.mark.django_db
def test_full_disk_while_writing_the_copy_is_handled_too(data_dir, monkeypatch):
    real_fsync = sqlite_backend._fsync

    def fsync(path):
        if ".partial-" in Path(path).name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(path)

    monkeypatch.setattr(sqlite_backend, "_fsync", fsync)
    with pytest.raises(ProvisioningError, match="Could not create hospital TH001") as excinfo:
        hospital_provision(code="TH001", name="Full")
    assert os.strerror(errno.ENOSPC) in str(excinfo.value)
    assert not Hospital.objects.exists()
    assert files_under(data_dir / "hospitals") == []


@pytest.mark.django_db
def test_handled_failure_of_a_resumed_hospital_marks_it_failed_and_a_rerun_finishes(data_dir, monkeypatch):
    _crash_inside_create_from_template(monkeypatch, after="link")
    with pytest.raises(SimulatedCrash):
        hospital_provision(code="TH001", name="Crashy")
    monkeypatch.undo()
    assert Hospital.objects.get(code="TH001").status == Hospital.Status.PROVISIONING

    monkeypatch.setattr(sqlite_backend.os, "link", _raise(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))))
    with pytest.raises(ProvisioningError, match="Could not create hospital TH001"):
        hospital_provision(code="TH001", name="Crashy")
    monkeypatch.undo()

    hospital = Hospital.objects.get(code="TH001")
    assert hospital.status == Hospital.Status.FAILED
    assert os.strerror(errno.ENOSPC) in hospital.status_detail
    assert files_under(data_dir / "hospitals") == []
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
    Hospital.objects.create(
        code="TH001",
        name="Race",
        server="embedded",
        database_name="hospitals/TH001/db.sqlite3",
        status=Hospital.Status.PROVISIONING,
    )
    real_ensure = provisioning.template_ensure

    def template_ensure_while_another_provisioner_wins(storage, fingerprint):
        monkeypatch.setattr(provisioning, "template_ensure", real_ensure)
        hospital_provision(code="TH001", name="Race")  # the winner, running meanwhile
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # then the loser fails

    monkeypatch.setattr(provisioning, "template_ensure", template_ensure_while_another_provisioner_wins)
    with pytest.raises(ProvisioningError):
        hospital_provision(code="TH001", name="Race")

    hospital = Hospital.objects.get(code="TH001")
    assert hospital.status == Hospital.Status.ACTIVE
    assert db_path(hospital).is_file()
    assert_working_database("TH001")


# --- crashes: PROVISIONING, and a rerun finishes -------------------------------------------


def _raise(exc):
    def raiser(*args, **kwargs):
        raise exc

    return raiser


def _crash_inside_create_from_template(monkeypatch, *, after):
    """Crash once the partial copy was written ("copy") or once it was published ("link")."""
    real_fsync = sqlite_backend._fsync

    def fsync(path):
        real_fsync(path)
        if after == "copy" and ".partial-" in Path(path).name:
            assert Path(path).stat().st_size > 0
            raise SimulatedCrash

    def fsync_dir(path):
        real_fsync(path)
        if after == "link":
            raise SimulatedCrash

    monkeypatch.setattr(sqlite_backend, "_fsync", fsync)
    monkeypatch.setattr(sqlite_backend, "_fsync_dir", fsync_dir)


@pytest.mark.django_db
def test_crash_after_copy_leaves_provisioning_and_rerun_finishes(data_dir, monkeypatch):
    _crash_inside_create_from_template(monkeypatch, after="copy")
    with pytest.raises(SimulatedCrash):
        hospital_provision(code="TH001", name="Crashy", time_zone="Europe/London")
    monkeypatch.undo()

    hospital = Hospital.objects.get(code="TH001")
    assert hospital.status == Hospital.Status.PROVISIONING
    assert hospital.schema_fingerprint == ""
    assert not db_path(hospital).exists()
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
    assert not [p for p in files_under(data_dir / "hospitals") if ".partial-" in p.name]


@pytest.mark.django_db
def test_leftover_database_of_never_activated_hospital_is_replaced_on_rerun(data_dir, monkeypatch):
    _crash_inside_create_from_template(monkeypatch, after="link")
    with pytest.raises(SimulatedCrash):
        hospital_provision(code="TH001", name="Crashy")
    monkeypatch.undo()

    hospital = Hospital.objects.get(code="TH001")
    assert hospital.status == Hospital.Status.PROVISIONING
    leftover = db_path(hospital)
    assert leftover.is_file()  # published, but the row never became ACTIVE
    # Whatever is there holds no data that matters: make it unusable to prove it is replaced.
    leftover.write_bytes(b"not a database at all" * 100)

    hospital_provision(code="TH001", name="Crashy")

    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.ACTIVE
    assert "patients_patient" in tables(leftover)  # the garbage is gone
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
    result = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, kill_after],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 17, result.stderr

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


# --- the create_hospital command -----------------------------------------------------------


def _sink():
    return io.StringIO()


@pytest.mark.django_db
def test_create_hospital_command_reports_success(data_dir):
    out = _sink()
    call_command(
        "create_hospital", "TH001", "--name", "Teaching Hospital", "--timezone", "Asia/Dhaka", stdout=out
    )

    hospital = Hospital.objects.get(code="TH001")
    assert hospital.status == Hospital.Status.ACTIVE
    assert hospital.time_zone == "Asia/Dhaka"
    assert db_path(hospital).is_file()
    message = out.getvalue()
    assert "Hospital TH001 (Teaching Hospital) is ACTIVE" in message
    assert "hospitals/TH001/db.sqlite3" in message


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
    make_hospital("TH001")
    with pytest.raises(CommandError, match=message):
        call_command("create_hospital", *args, stdout=_sink())
    assert list(Hospital.objects.values_list("code", "name")) == [("TH001", "Hospital TH001")]
    assert not (Path(settings.HMS_DATA_DIR) / "hospitals" / "TH002").exists()


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
    assert "patients_patient" in tables(db_path(hospital))
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
    before = db_path(existing).stat()

    response = admin_client_superadmin.post(ADD_URL, {**data, "_save": "Save"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert message in response.content.decode()
    assert list(Hospital.objects.values_list("code", "name", "status")) == [
        ("TH001", "Original", Hospital.Status.ACTIVE)
    ]
    assert db_path(existing).stat().st_ino == before.st_ino
    assert sorted(p.name for p in (Path(settings.HMS_DATA_DIR) / "hospitals").iterdir()) == ["TH001"]


@pytest.mark.django_db
def test_admin_add_full_disk_shows_form_error_and_leaves_no_trace(
    admin_client_superadmin, data_dir, monkeypatch
):
    monkeypatch.setattr(sqlite_backend.os, "link", _raise(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))))
    response = admin_client_superadmin.post(
        ADD_URL, {"code": "TH001", "name": "Full", "time_zone": "UTC", "_save": "Save"}
    )
    assert response.status_code == 200
    assert os.strerror(errno.ENOSPC) in response.content.decode()
    assert not Hospital.objects.exists()
    assert files_under(data_dir / "hospitals") == []


@pytest.mark.django_db
def test_admin_refuses_to_delete_hospitals(admin_client_superadmin, make_hospital):
    hospital = make_hospital("TH001")
    response = admin_client_superadmin.post(
        f"/admin/hospitals/hospital/{hospital.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Hospital.objects.filter(pk=hospital.pk).exists()
    assert db_path(hospital).is_file()


@pytest.mark.django_db
def test_admin_suspend_and_reactivate_actions(admin_client_superadmin, make_hospital):
    hospital = make_hospital("TH001")
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


# --- hospital_set_status -------------------------------------------------------------------

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
def test_set_status_allowed_transitions(make_hospital, path):
    hospital = make_hospital("TH001")
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
def test_set_status_refused_transitions(make_hospital, start, target):
    hospital = make_hospital("TH001")
    Hospital.objects.filter(pk=hospital.pk).update(status=start)
    hospital.refresh_from_db()

    with pytest.raises(ApplicationError, match=f"A {start} hospital cannot become {target}"):
        hospital_set_status(hospital=hospital, status=target)
    assert Hospital.objects.get(pk=hospital.pk).status == start


@pytest.mark.django_db
def test_set_status_refuses_a_stale_copy(make_hospital):
    stale = make_hospital("TH001")
    Hospital.objects.filter(pk=stale.pk).update(status=S.SUSPENDED)  # changed by someone else

    with pytest.raises(ApplicationError, match="changed while you were editing"):
        hospital_set_status(hospital=stale, status=S.ARCHIVED)
    assert Hospital.objects.get(pk=stale.pk).status == S.SUSPENDED
