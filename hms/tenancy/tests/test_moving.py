"""Moving a hospital between servers: every row kept, reads served throughout, writes refused."""

import datetime
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.audit.services import audit_chain_verify
from hms.hospitals.models import Hospital
from hms.patients.models import Patient
from hms.patients.services import patient_register
from hms.tenancy import connections as tenant_connections
from hms.tenancy import moving
from hms.tenancy.backends import storage_for
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import HospitalReadOnly
from hms.tenancy.models import SpooledAuditEvent
from hms.tenancy.moving import MoveError, hospital_move

postgresql_only = pytest.mark.postgresql_only


def _register(doctor, count, prefix="M"):
    for number in range(count):
        patient_register(
            acting_user=doctor,
            mrn=f"{prefix}{number:05d}",
            given_name=f"Given{number}",
            family_name=f"Family{number:03d}",
            birth_date="1975-05-05",
            confirm_not_duplicate=True,  # generated people, some share names
        )


def _patients():
    return list(Patient.objects.order_by("mrn").values_list("mrn", "given_name", "family_name", "birth_date"))


def _other_server(hospital):
    return next(name for name in ("main", "east") if name != hospital.server)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_move_between_servers_keeps_every_row_and_serves_reads_throughout(make_hospital, make_user):
    from django.test import Client

    hospital = make_hospital("MOVE1")
    doctor = make_user("doc", role=Role.DOCTOR, hospital=hospital)
    with hospital_context(hospital):
        _register(doctor, 60)
        before = _patients()
        events_before = AuditEvent.objects.count()
    source_server, source_name = hospital.server, hospital.database_name
    target_server = _other_server(hospital)

    done = threading.Event()
    statuses: list[int] = []

    def read_pages():
        client = Client()
        client.force_login(doctor)
        try:
            while not done.is_set() or not statuses:
                statuses.append(client.get("/h/MOVE1/patient-list/").status_code)  # audited patient.list
        finally:
            tenant_connections.forget_all()
            connections.close_all()

    reader = threading.Thread(target=read_pages)
    reader.start()
    try:
        report = hospital_move(code="MOVE1", to_server=target_server, grace_seconds=0.3)
    finally:
        done.set()
        reader.join(timeout=60)

    assert statuses and set(statuses) == {200}, statuses
    hospital.refresh_from_db()
    assert (hospital.server, hospital.read_only) == (target_server, False)
    assert report.rows["patients.Patient"] == 60
    assert not storage_for(source_server).exists(source_name)
    assert storage_for(target_server).exists(hospital.database_name)
    with hospital_context(hospital):
        assert _patients() == before
        chain = audit_chain_verify()
        reads = AuditEvent.objects.filter(action="patient.list").count()
    assert chain.intact
    # Every page read was audited, including those served while read-only (spooled, then appended).
    assert reads == len(statuses)
    assert chain.events_checked == events_before + len(statuses)
    assert not SpooledAuditEvent.objects.filter(hospital_code="MOVE1").exists()
    with hospital_context(hospital):
        _register(doctor, 1, prefix="AFTER")  # writable again, sequences continue past the copied ids
        assert Patient.objects.count() == 61


@postgresql_only
@pytest.mark.django_db
def test_embedded_sqlite_hospital_moves_to_postgresql(settings, make_hospital, make_user):
    servers = settings.HMS_DATABASE_SERVERS
    settings.HMS_DATABASE_SERVERS = ""
    hospital = make_hospital("LEGACY")
    settings.HMS_DATABASE_SERVERS = servers
    assert hospital.server == "embedded"
    doctor = make_user("doc", role=Role.DOCTOR, hospital=hospital)
    long_ago = datetime.datetime(2019, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)
    with hospital_context(hospital):
        _register(doctor, 25)
        Patient.objects.filter(pk__in=Patient.objects.order_by("pk").values("pk")[:3]).update(
            created_at=long_ago, updated_at=long_ago
        )
        before = _patients()
        stamps = list(Patient.objects.order_by("pk").values_list("created_at", "updated_at"))
    call_command("move_hospital", "LEGACY", "--to", "main", "--grace", "0")
    hospital.refresh_from_db()
    assert hospital.server == "main"
    assert not (settings.HMS_DATA_DIR / "hospitals" / "LEGACY" / "db.sqlite3").exists()
    with hospital_context(hospital):
        assert _patients() == before
        assert audit_chain_verify().intact
        # When each record was made and last changed survives the move.
        assert list(Patient.objects.order_by("pk").values_list("created_at", "updated_at")) == stamps
        assert stamps[0] == (long_ago, long_ago)


@pytest.mark.django_db
def test_read_only_hospital_serves_reads_refuses_writes_and_spools_audit(make_hospital, make_user, client):
    hospital = make_hospital("RO001")
    doctor = make_user("doc", role=Role.DOCTOR, hospital=hospital)
    with hospital_context(hospital):
        _register(doctor, 3)
    Hospital.objects.filter(pk=hospital.pk).update(read_only=True)
    hospital.refresh_from_db()
    client.force_login(doctor)

    response = client.get("/h/RO001/patient-list/")  # the front page is the doctor's own day
    assert response.status_code == 200
    assert b"Family000" in response.content
    post = client.post("/h/RO001/", {})
    assert post.status_code == 503
    assert b"being moved" in post.content
    with hospital_context(hospital), pytest.raises(HospitalReadOnly):
        _register(doctor, 1, prefix="NEW")
    assert SpooledAuditEvent.objects.filter(hospital_code="RO001").count() == 1

    Hospital.objects.filter(pk=hospital.pk).update(read_only=False)
    hospital.refresh_from_db()
    with hospital_context(hospital):
        for hook in moving._before_switch:
            hook("RO001")
        assert Patient.objects.count() == 3
        assert AuditEvent.objects.filter(action="patient.list").count() == 1
        assert audit_chain_verify().intact
        for hook in moving._before_switch:  # draining twice appends nothing twice
            hook("RO001")
        assert AuditEvent.objects.filter(action="patient.list").count() == 1
    assert not SpooledAuditEvent.objects.exists()


@postgresql_only
@pytest.mark.django_db
def test_failed_copy_leaves_hospital_writable_on_its_old_server(monkeypatch, make_hospital, make_user):
    hospital = make_hospital("FAIL1")
    target = _other_server(hospital)
    doctor = make_user("doc", role=Role.DOCTOR, hospital=hospital)

    def broken_copy(source, target_alias):
        raise RuntimeError("disk full on the target")

    monkeypatch.setattr(moving, "_copy_tables", broken_copy)
    with pytest.raises(MoveError, match="disk full"):
        hospital_move(code="FAIL1", to_server=target, grace_seconds=0)
    hospital.refresh_from_db()
    assert (hospital.read_only, hospital.server) == (False, hospital.server)
    assert not storage_for(target).exists(storage_for(target).database_name_for("FAIL1"))
    with hospital_context(hospital):
        _register(doctor, 1)


@postgresql_only
@pytest.mark.django_db
def test_interrupted_move_keeps_serving_from_old_server_and_a_rerun_finishes(
    monkeypatch, make_hospital, make_user
):
    hospital = make_hospital("INT01")
    source = hospital.server
    target = _other_server(hospital)
    doctor = make_user("doc", role=Role.DOCTOR, hospital=hospital)
    with hospital_context(hospital):
        _register(doctor, 10)
    real_copy = moving._copy_tables

    def crash_after_copy(source_alias, target_alias):
        real_copy(source_alias, target_alias)
        raise KeyboardInterrupt  # the process dies: no handler runs

    monkeypatch.setattr(moving, "_copy_tables", crash_after_copy)
    with pytest.raises(KeyboardInterrupt):
        hospital_move(code="INT01", to_server=target, grace_seconds=0)
    hospital.refresh_from_db()
    assert (hospital.server, hospital.read_only) == (source, True)
    with hospital_context(hospital):
        assert Patient.objects.count() == 10  # reads still served from the old server

    monkeypatch.setattr(moving, "_copy_tables", real_copy)
    hospital_move(code="INT01", to_server=target, grace_seconds=0)
    hospital.refresh_from_db()
    assert (hospital.server, hospital.read_only) == (target, False)
    with hospital_context(hospital):
        assert Patient.objects.count() == 10


@pytest.mark.django_db
def test_abort_makes_an_interrupted_hospital_writable_again(make_hospital):
    hospital = make_hospital("ABT01")
    Hospital.objects.filter(pk=hospital.pk).update(read_only=True)
    call_command("move_hospital", "ABT01", "--abort")
    hospital.refresh_from_db()
    assert hospital.read_only is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["NOPE99", "--to", "main"], "No hospital"),
        (["bad/code", "--to", "main"], "Invalid hospital code"),
        (["CMD01", "--to", "nowhere"], "not in HMS_DATABASE_SERVERS"),
        (["CMD01"], "--to SERVER"),
        (["CMD01", "--to", "main", "--grace", "-1"], "negative"),
    ],
)
def test_move_command_refuses_bad_input_clearly(make_hospital, arguments, message):
    make_hospital("CMD01")
    with pytest.raises(CommandError, match=message):
        call_command("move_hospital", *arguments)
    assert Hospital.objects.get(code="CMD01").read_only is False


@pytest.mark.django_db
def test_move_to_the_server_it_is_on_is_refused(make_hospital):
    hospital = make_hospital("SAME1")
    with pytest.raises(CommandError, match="already lives on"):
        call_command("move_hospital", "SAME1", "--to", hospital.server)
