"""Archiving a hospital (archive_hospital): read-only for good with a final backup, then its
database removed by the operator's choice; and the 503 a hospital answers while it is restored."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from hms.accounts.models import Role
from hms.hospitals.models import Hospital, HospitalSnapshot
from hms.hospitals.services import hospital_set_status
from hms.patients.models import Patient
from hms.security.models import SecurityEvent
from hms.tenancy.backends import storage_for
from hms.tenancy.backups import catalog
from hms.tenancy.backups.restore import hospital_restore
from hms.tenancy.context import hospital_context
from hms.tenancy.tests.test_backups import backup_folders  # noqa: F401 - autouse: this test's own folders


@pytest.fixture
def hospital(make_hospital):
    hospital = make_hospital("AR1", name="Archway General")
    with hospital_context(hospital):
        Patient.objects.create(
            mrn="AR1-1", given_name="Rahima", family_name="Khatun", birth_date="1980-02-03"
        )
    return hospital


def archive(code, *args):
    out = io.StringIO()
    call_command("archive_hospital", code, "--grace", "0", *args, stdout=out)
    return out.getvalue()


def _patients(hospital) -> int:
    with hospital_context(hospital):
        return Patient.objects.count()


def _events(action: str) -> list[SecurityEvent]:
    return [
        e
        for e in SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ADMIN_ACTION)
        if e.detail.get("action") == action
    ]


@pytest.mark.django_db
def test_archiving_makes_the_hospital_read_only_for_good_and_takes_a_final_backup(hospital):
    output = archive("AR1")

    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.ARCHIVED
    assert hospital.archived_at is not None and hospital.database_removed_at is None
    final = catalog.latest("AR1")
    assert final is not None and final.taken >= hospital.archived_at
    assert final.rows["patients_patient"] == 1
    assert f"final backup {final.stamp}" in output
    assert HospitalSnapshot.objects.get(hospital=hospital).backup_at == final.taken
    assert storage_for(hospital.server).exists(hospital.database_name)  # the database is kept
    (event,) = _events("hospital_archived")
    assert event.hospital_code == "AR1" and event.username == "manage.py (command line)"
    assert event.detail["final_backup"] == final.stamp


@pytest.mark.django_db
def test_an_archived_hospitals_users_read_but_every_write_is_refused(hospital, client, make_user):
    doctor = make_user("ar1_doctor", role=Role.DOCTOR, hospital=hospital)
    archive("AR1")
    client.force_login(doctor)

    read = client.get(reverse("patient-list", kwargs={"hospital_code": "AR1"}))
    assert read.status_code == 200
    assert b"Khatun" in read.content

    write = client.post(
        reverse("patients:new", kwargs={"hospital_code": "AR1"}),
        {"given_name": "New", "family_name": "Patient", "birth_date": "1990-01-01", "sex": "female"},
    )
    assert write.status_code == 403
    assert b"archived" in write.content and b"nothing can be changed" in write.content
    assert _patients(hospital) == 1


@pytest.mark.django_db
def test_archiving_again_takes_no_second_backup(hospital):
    archive("AR1")
    first = catalog.latest("AR1")

    output = archive("AR1")

    assert "AR1 was already archived" in output
    assert [m.stamp for m in catalog.backups_of("AR1")] == [first.stamp]


@pytest.mark.django_db
def test_a_failed_final_backup_leaves_the_hospital_as_it_was(hospital, settings, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the backup folder should be")
    settings.HMS_BACKUP_DIR = blocked

    with pytest.raises(CommandError, match="final backup of AR1 failed, so it was not archived"):
        archive("AR1")

    hospital.refresh_from_db()
    assert (hospital.status, hospital.archived_at) == (Hospital.Status.ACTIVE, None)
    assert not _events("hospital_archived")


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Hospital.Status.PROVISIONING, Hospital.Status.FAILED])
def test_only_a_hospital_in_service_is_archived(hospital, status):
    Hospital.objects.filter(pk=hospital.pk).update(status=status)
    with pytest.raises(CommandError, match=f"AR1 is {status}"):
        archive("AR1")
    assert Hospital.objects.get(pk=hospital.pk).status == status


@pytest.mark.django_db
def test_removing_the_database_keeps_the_row_and_the_backups(hospital, client, make_user):
    doctor = make_user("ar1_doctor", role=Role.DOCTOR, hospital=hospital)
    archive("AR1")
    backups = [m.stamp for m in catalog.backups_of("AR1")]

    output = archive("AR1", "--remove-database", "--no-input")

    hospital.refresh_from_db()
    assert hospital.status == Hospital.Status.ARCHIVED and hospital.database_removed_at is not None
    assert not storage_for(hospital.server).exists(hospital.database_name)
    assert [m.stamp for m in catalog.backups_of("AR1")] == backups
    assert catalog.latest("AR1").file.exists()
    assert "Its backups are untouched" in output
    (event,) = _events("hospital_database_removed")
    assert event.detail["final_backup"] == backups[-1]
    # Its users are told what happened, and nothing is opened.
    client.force_login(doctor)
    response = client.get(reverse("patient-list", kwargs={"hospital_code": "AR1"}))
    assert response.status_code == 410
    assert b"archived" in response.content and b"taken out of service" in response.content


@pytest.mark.django_db
def test_removing_the_database_asks_for_the_code(hospital, monkeypatch):
    archive("AR1")
    monkeypatch.setattr("sys.stdin", io.StringIO("AR2\n"))

    with pytest.raises(CommandError, match="Not confirmed; nothing was removed"):
        archive("AR1", "--remove-database")

    hospital.refresh_from_db()
    assert hospital.database_removed_at is None
    assert storage_for(hospital.server).exists(hospital.database_name)
    monkeypatch.setattr("sys.stdin", io.StringIO("AR1\n"))
    archive("AR1", "--remove-database")
    assert not storage_for(hospital.server).exists(hospital.database_name)


@pytest.mark.django_db
def test_a_database_is_removed_only_once_archived_with_a_final_backup(hospital):
    with pytest.raises(CommandError, match="AR1 is ACTIVE: archive it first"):
        archive("AR1", "--remove-database", "--no-input")
    # Archived without its final backup (as the console does, before its backup has run).
    hospital = hospital_set_status(hospital=hospital, status=Hospital.Status.ARCHIVED)

    with pytest.raises(CommandError, match="no backup taken since it was archived"):
        archive("AR1", "--remove-database", "--no-input")
    assert storage_for(hospital.server).exists(hospital.database_name)
    assert _patients(hospital) == 1  # an archived hospital is still read

    archive("AR1")  # takes the final backup
    archive("AR1", "--remove-database", "--no-input")
    with pytest.raises(CommandError, match="was already removed"):
        archive("AR1", "--remove-database", "--no-input")
    with pytest.raises(CommandError, match="its database was removed"):
        archive("AR1")


@pytest.mark.django_db
def test_an_unknown_or_invalid_code_is_refused(hospital):
    with pytest.raises(CommandError, match="No hospital with code NOPE1"):
        archive("NOPE1")
    with pytest.raises(CommandError, match="code"):
        archive("bad code!")


# --- the 503 while a restore switches the hospital over -----------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_write_during_a_restore_is_told_the_hospital_is_being_restored(hospital, client, make_user):
    doctor = make_user("ar1_doctor", role=Role.DOCTOR, hospital=hospital)
    call_command("backup_hospitals", "--hospital", "AR1", "--no-progress", stdout=io.StringIO())
    taken = catalog.latest("AR1").taken
    client.force_login(doctor)
    seen = []

    def while_restoring(message: str) -> None:
        if "is read-only" in message:  # the restore has made the hospital read-only
            seen.append(
                client.post(
                    reverse("patients:new", kwargs={"hospital_code": "AR1"}),
                    {"given_name": "New", "family_name": "Patient", "birth_date": "1990-01-01"},
                )
            )
            seen.append(client.get(reverse("patient-list", kwargs={"hospital_code": "AR1"})))

    hospital_restore(code="AR1", grace_seconds=0, progress=while_restoring)

    write, read = seen
    assert write.status_code == 503
    text = write.content.decode()
    assert f"being restored from its backup of {taken:%d %B %Y %H:%M} UTC" in text
    assert "being moved" not in text
    assert "changes cannot be saved until it is done" in text
    assert read.status_code == 200  # reads go on meanwhile
    assert Hospital.objects.get(pk=hospital.pk).status_detail == ""  # and the note goes with the restore
    assert _patients("AR1") == 1


@pytest.mark.django_db
def test_an_archived_hospital_behind_the_schema_says_its_records_are_of_an_earlier_version(
    hospital, client, make_user
):
    doctor = make_user("ar1_doctor", role=Role.DOCTOR, hospital=hospital)
    archive("AR1")
    Hospital.objects.filter(pk=hospital.pk).update(
        schema_fingerprint="0123456789abcdef"
    )  # an older release's
    client.force_login(doctor)

    response = client.get(reverse("patient-list", kwargs={"hospital_code": "AR1"}))

    assert response.status_code == 503
    assert b"records were kept in an earlier version" in response.content
    assert b"being upgraded" not in response.content  # fleet migration passes archived hospitals by
