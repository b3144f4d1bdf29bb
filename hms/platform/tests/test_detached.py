"""Backing up and archiving from the console: the request starts a real `manage.py` command in
its own session and answers at once; the command records its outcome, which the console shows.

These tests commit (the child process reads the test's databases) and wait for the child.
"""

import time

import pytest
from django.urls import reverse

from hms.accounts.models import Role
from hms.accounts.tests.factories import UserFactory
from hms.hospitals.models import Hospital, HospitalSnapshot
from hms.patients.tests.factories import PatientFactory
from hms.security.models import SecurityEvent
from hms.tenancy.backends import storage_for
from hms.tenancy.backups import catalog
from hms.tenancy.context import hospital_context
from hms.tenancy.tests.backup_support import subprocess_env
from hms.tenancy.tests.test_backups import backup_folders  # noqa: F401 - autouse: this test's own folders

WAIT_SECONDS = 120


@pytest.fixture
def operator(client, data_dir, monkeypatch):
    """The operator, signed in; the children the console starts see this test's databases."""
    for name, value in subprocess_env(data_dir).items():
        monkeypatch.setenv(name, value)
    user = UserFactory(username="operator", role=Role.SUPERADMIN, hospital=None)
    client.force_login(user)
    return user


def _snapshot_when(hospital: Hospital, done) -> HospitalSnapshot:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        snapshot = HospitalSnapshot.objects.filter(hospital=hospital).first()
        if snapshot is not None and done(snapshot):
            return snapshot
        time.sleep(0.25)
    pytest.fail(f"The command started from the console did not report within {WAIT_SECONDS}s.")


def _actions() -> list[str]:
    return [
        e.detail.get("action") for e in SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ADMIN_ACTION)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_backup_started_from_the_console_runs_apart_and_reports(client, operator, make_hospital):
    hospital = make_hospital("TH001", name="Thana Health Complex")

    started = time.monotonic()
    response = client.post(reverse("platform:backup"), {"code": "TH001"})
    answered = time.monotonic() - started

    assert response.status_code == 302
    assert answered < 5  # the request did not wait for the backup
    page = client.get(response["Location"]).content.decode()
    assert "A backup of Thana Health Complex has started" in page
    again = client.post(reverse("platform:backup"), {"code": "TH001"})
    if not HospitalSnapshot.objects.get(hospital=hospital).backup_at:
        assert again.status_code == 400  # one at a time, while the first has not reported
        assert "has not finished yet" in again.content.decode()

    snapshot = _snapshot_when(hospital, lambda s: s.backup_at is not None and not s.backup_pending)
    newest = catalog.latest("TH001")
    assert newest is not None and snapshot.backup_at == newest.taken
    assert snapshot.backup_error == ""
    console = client.get(reverse("platform:console")).content.decode()
    assert f"{snapshot.backup_at:%-d %b %Y %H:%M}" in console
    assert "hospital_backup_started" in _actions()


@pytest.mark.django_db(transaction=True)
def test_archive_from_the_console_then_remove_the_database(client, operator, make_hospital):
    hospital = make_hospital("TH001", name="Thana Health Complex")
    with hospital_context(hospital):
        PatientFactory()

    response = client.post(reverse("platform:archive"), {"code": "TH001"})

    assert response.status_code == 302
    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.ARCHIVED  # at once; the final backup follows
    # Removing the database before the final backup is there is refused (and, typed wrong, too).
    wrong = client.post(reverse("platform:remove-database"), {"code": "TH001", "confirm_code": "TH002"})
    assert wrong.status_code == 400
    assert "Type TH001 to confirm" in wrong.content.decode()
    _snapshot_when(hospital, lambda s: s.backup_at is not None and not s.backup_pending)
    final = catalog.latest("TH001")
    assert final.taken >= hospital.archived_at and final.rows["patients_patient"] == 1

    removed = client.post(reverse("platform:remove-database"), {"code": "th001", "confirm_code": "th001"})

    assert removed.status_code == 302
    hospital.refresh_from_db()
    assert hospital.database_removed_at is not None
    assert not storage_for(hospital.server).exists(hospital.database_name)
    assert catalog.latest("TH001").stamp == final.stamp  # its backups are kept
    page = client.get(removed["Location"]).content.decode()
    assert "The database of Thana Health Complex was removed" in page
    assert "Remove its database" not in page
    assert {"hospital_archived", "hospital_database_removed"} <= set(_actions())
