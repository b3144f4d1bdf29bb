"""Snapshots the platform console lists: written by check_hospitals (health, size, newest backup,
counts) and backup_hospitals (each hospital's outcome), never read from a hospital's database."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hms.hospitals.models import Hospital, HospitalSnapshot
from hms.patients.tests.factories import PatientFactory
from hms.tenancy.backends import storage_for
from hms.tenancy.backups import catalog
from hms.tenancy.context import hospital_context
from hms.tenancy.tests.test_backups import backup_folders  # noqa: F401 - autouse: this test's own folders


def _run(command: str, *args: str) -> None:
    call_command(command, *args, "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db
@pytest.mark.parametrize("jobs", ["1", "3"])
def test_check_hospitals_records_each_hospitals_snapshot(make_hospital, jobs):
    hospitals = [make_hospital(code) for code in ("SN1", "SN2", "SN3")]
    for count, hospital in enumerate(hospitals):
        with hospital_context(hospital):
            PatientFactory.create_batch(count)
    _run("backup_hospitals", "--hospital", "SN1")
    storage_for(hospitals[2].server).drop(hospitals[2].database_name)  # SN3 broken

    with pytest.raises(CommandError, match="need attention"):
        _run("check_hospitals", "--jobs", jobs, "--max-backup-age", "24")

    snapshots = {s.hospital.code: s for s in HospitalSnapshot.objects.select_related("hospital")}
    assert snapshots["SN1"].healthy and snapshots["SN1"].problems == ""
    assert snapshots["SN1"].backup_at == catalog.latest("SN1").taken
    assert (snapshots["SN1"].patients, snapshots["SN2"].patients) == (0, 1)
    assert snapshots["SN2"].healthy is False and snapshots["SN2"].problems == "no backup"
    assert snapshots["SN2"].size_bytes > 0
    assert snapshots["SN3"].healthy is False and snapshots["SN3"].patients is None
    assert snapshots["SN3"].problems  # what the check said, for the console


@pytest.mark.django_db
def test_a_check_keeps_the_last_counts_of_a_hospital_it_cannot_open(make_hospital):
    hospital = make_hospital("SN1")
    with hospital_context(hospital):
        PatientFactory.create_batch(2)
    _run("check_hospitals", "--max-backup-age", "0")
    storage_for(hospital.server).drop(hospital.database_name)

    with pytest.raises(CommandError):
        _run("check_hospitals", "--max-backup-age", "0")

    snapshot = HospitalSnapshot.objects.get(hospital=hospital)
    assert snapshot.healthy is False
    assert snapshot.patients == 2  # the last known count, beside the problem


@pytest.mark.django_db
def test_backup_hospitals_records_each_outcome(make_hospital, settings, tmp_path):
    hospital = make_hospital("SN1")
    _run("backup_hospitals", "--hospital", "SN1")
    taken = catalog.latest("SN1").taken
    snapshot = HospitalSnapshot.objects.get(hospital=hospital)
    assert (snapshot.backup_at, snapshot.backup_error, snapshot.backup_failed_last) == (taken, "", False)

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the backup folder should be")
    settings.HMS_BACKUP_DIR = blocked
    with pytest.raises(CommandError, match="1 backup"):
        _run("backup_hospitals", "--hospital", "SN1")

    snapshot.refresh_from_db()
    assert snapshot.backup_at == taken  # the newest good one is still known
    assert snapshot.backup_failed_last and snapshot.backup_error


@pytest.mark.django_db
def test_archived_hospitals_are_neither_checked_nor_backed_up(make_hospital):
    hospital = make_hospital("SN1")
    Hospital.objects.filter(pk=hospital.pk).update(status=Hospital.Status.ARCHIVED)
    _run("check_hospitals", "--max-backup-age", "0")
    _run("backup_hospitals", "--skip-shared")
    assert not HospitalSnapshot.objects.exists()
