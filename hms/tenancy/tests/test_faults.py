"""One broken hospital never touches another (DESIGN invariant 12).

Five hospitals: three broken behind the application's back, two well. Through the test
client the broken ones answer 503 with a message that says what is wrong, each fault is
logged once with the hospital's code however often it is asked for, the well ones answer
200 throughout, and a repaired hospital is served again on the next request.

SQLite: a database file overwritten with garbage, a deleted one, and one locked by
another connection (exclusive lock, longer than the busy timeout). PostgreSQL: a dropped
database, one that refuses connections (ALTER DATABASE ... ALLOW_CONNECTIONS false), and
one on a server that does not answer.
"""

import logging
import shutil
import sqlite3
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.urls import include, path
from psycopg import sql

from hms.hospitals.models import Hospital
from hms.patients.models import Patient
from hms.tenancy import connections as tenant_connections
from hms.tenancy import middleware
from hms.tenancy.backends import storage_for
from hms.tenancy.context import current_tenant, hospital_context

WELL = ("WELL01", "WELL02")
MISSING_OR_DAMAGED = b"missing or damaged"
BUSY = b"busy or unreachable"


def _patients_view(request, hospital_code):
    return HttpResponse(f"{current_tenant().code}:{Patient.objects.count()}")


urlpatterns = [
    path("h/<str:hospital_code>/probe/", _patients_view),
    path("", include("config.urls")),
]


@pytest.fixture
def site(settings, client, make_hospital, make_user):
    """Hospitals named by `codes`, each with one patient and a doctor; get(code) asks its page."""
    settings.ROOT_URLCONF = __name__
    middleware._fault_logged.clear()
    client.raise_request_exception = False
    users = {}

    def build(*codes):
        for code in codes:
            row = make_hospital(code)
            with hospital_context(code):
                Patient.objects.create(
                    mrn=f"{code}-1", given_name="P", family_name=code, birth_date="1990-01-01"
                )
            users[code] = make_user(f"doctor_{code.lower()}", hospital=row)

    def get(code):
        client.force_login(users[code])
        return client.get(f"/h/{code}/probe/")

    yield build, get
    middleware._fault_logged.clear()


def _sqlite_file(code: str) -> Path:
    hospital = Hospital.objects.get(code=code)
    return storage_for(hospital.server).path(hospital.database_name)  # type: ignore[attr-defined]


def _fault_lines(caplog, code):
    return [
        r for r in caplog.records if r.name == middleware.__name__ and f"Hospital {code} " in r.getMessage()
    ]


def _assert_well_ones_serve(get):
    for code in WELL:
        response = get(code)
        assert response.status_code == 200, (code, response.status_code)
        assert response.content == f"{code}:1".encode()


@pytest.mark.sqlite_only
@pytest.mark.django_db
def test_garbage_deleted_and_locked_files_answer_503_while_others_serve(settings, site, caplog):
    build, get = site
    build("GARBAGE1", "GONE01", "LOCKED1", *WELL)
    for code in ("GARBAGE1", "GONE01", "LOCKED1", *WELL):
        assert get(code).status_code == 200  # every hospital served, connections kept open
    settings.SQLITE_OPTIONS = {**settings.SQLITE_OPTIONS, "timeout": 0.3}  # the busy timeout, shortened
    # Closed (and so checkpointed) before the files are damaged: a deleted file stays readable
    # through a connection opened before, so this is the worker that opens them afterwards.
    tenant_connections.forget_all()

    garbage = _sqlite_file("GARBAGE1")
    kept = garbage.with_name("kept.sqlite3")
    shutil.copy(garbage, kept)
    for side in ("-wal", "-shm"):
        Path(f"{garbage}{side}").unlink(missing_ok=True)
    garbage.write_bytes(b"this is not a database, it is garbage " * 200)
    gone = _sqlite_file("GONE01")
    gone.unlink()
    for side in ("-wal", "-shm"):
        Path(f"{gone}{side}").unlink(missing_ok=True)
    holder = sqlite3.connect(_sqlite_file("LOCKED1"), isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("DELETE FROM patients_patient")

    caplog.set_level(logging.WARNING, logger=middleware.__name__)
    try:
        for _ in range(3):
            for code, message in (("GARBAGE1", MISSING_OR_DAMAGED), ("GONE01", MISSING_OR_DAMAGED)):
                response = get(code)
                assert response.status_code == 503, (code, response.status_code)
                assert message in response.content, code
                assert response["Retry-After"] == "60"
            locked = get("LOCKED1")
            assert locked.status_code == 503
            assert BUSY in locked.content
            assert locked["Retry-After"] == "5"
            _assert_well_ones_serve(get)

        # Logged once each, with the code and what is wrong, however often they were asked for.
        for code, kind in (("GARBAGE1", "damaged"), ("GONE01", "missing"), ("LOCKED1", "locked")):
            lines = _fault_lines(caplog, code)
            assert len(lines) == 1, (code, [r.getMessage() for r in lines])
            assert f"({kind})" in lines[0].getMessage()
            assert lines[0].hospital == code
        assert not any("WELL0" in r.getMessage() for r in caplog.records)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    # Repaired: the next request opens the database afresh and is served.
    assert get("LOCKED1").content == b"LOCKED1:1"
    kept.replace(garbage)  # restored as an operator would: a new file moved into place
    assert get("GARBAGE1").content == b"GARBAGE1:1"
    assert get("GONE01").status_code == 503
    _assert_well_ones_serve(get)


@pytest.mark.postgresql_only
@pytest.mark.django_db
def test_dropped_refusing_and_unreachable_databases_answer_503_while_others_serve(settings, site, caplog):
    build, get = site
    build("DROPPED1", "REFUSING1", "FARAWAY1", *WELL)
    for code in ("DROPPED1", "REFUSING1", "FARAWAY1", *WELL):
        assert get(code).status_code == 200

    dropped = Hospital.objects.get(code="DROPPED1")
    storage_for(dropped.server).drop(dropped.database_name)  # WITH (FORCE): our session goes too
    refusing = Hospital.objects.get(code="REFUSING1")
    storage = storage_for(refusing.server)
    name = sql.Identifier(refusing.database_name)
    storage._execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(name))  # type: ignore[attr-defined]
    storage._execute(  # type: ignore[attr-defined]
        sql.SQL("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {}").format(
            sql.Literal(refusing.database_name)
        )
    )
    # A server nobody answers on (port 1), named in the settings as an operator would.
    settings.HMS_DATABASE_SERVERS = (
        f"{settings.HMS_DATABASE_SERVERS},faraway=postgres://postgres@127.0.0.1:1/postgres"
    )
    Hospital.objects.filter(code="FARAWAY1").update(server="faraway")

    caplog.set_level(logging.WARNING, logger=middleware.__name__)
    try:
        for _ in range(3):
            response = get("DROPPED1")
            assert response.status_code == 503
            assert MISSING_OR_DAMAGED in response.content
            for code in ("REFUSING1", "FARAWAY1"):
                response = get(code)
                assert response.status_code == 503, (code, response.status_code)
                assert BUSY in response.content
            _assert_well_ones_serve(get)
        for code, kind in (("DROPPED1", "missing"), ("REFUSING1", "refusing"), ("FARAWAY1", "unreachable")):
            lines = _fault_lines(caplog, code)
            assert len(lines) == 1, (code, [r.getMessage() for r in lines])
            assert f"({kind})" in lines[0].getMessage()
    finally:
        storage._execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(name))  # type: ignore[attr-defined]

    assert get("REFUSING1").content == b"REFUSING1:1"  # let in again: served on the next request
    _assert_well_ones_serve(get)


@pytest.mark.django_db
def test_fault_log_is_once_a_minute_per_hospital_and_counts_the_repeats(settings, caplog, monkeypatch):
    middleware._fault_logged.clear()
    clock = [1000.0]
    monkeypatch.setattr(middleware.time, "monotonic", lambda: clock[0])
    caplog.set_level(logging.WARNING, logger=middleware.__name__)
    error = OSError("file is not a database")
    for _ in range(5):
        middleware._fault_log("AAA1", "damaged", error)
    middleware._fault_log("BBB1", "damaged", error)  # another hospital is reported on its own
    clock[0] += 61
    middleware._fault_log("AAA1", "damaged", error)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3
    assert messages[0].startswith("Hospital AAA1 unavailable (damaged)")
    assert messages[1].startswith("Hospital BBB1 unavailable (damaged)")
    assert messages[2].endswith("(4 more since the last report)")
    middleware._fault_logged.clear()


def test_fault_kinds_from_what_the_database_said():
    assert middleware.fault_kind(Exception("file is not a database")) == "damaged"
    assert middleware.fault_kind(Exception("database disk image is malformed")) == "damaged"
    assert middleware.fault_kind(Exception("unable to open database file")) == "missing"
    assert middleware.fault_kind(Exception('FATAL: database "hms_x" does not exist')) == "missing"
    assert middleware.fault_kind(Exception("database is locked")) == "locked"
    assert middleware.fault_kind(Exception('database "hms_x" is not currently accepting connections')) == (
        "refusing"
    )
    assert middleware.fault_kind(Exception("connection refused")) == "unreachable"


def test_a_broken_connection_is_discarded_only_when_no_context_uses_it(make_hospital, db):
    make_hospital("TH001")
    alias = tenant_connections.hospital_alias("TH001")
    with hospital_context("TH001"):
        Patient.objects.count()
        tenant_connections.discard(alias)  # in use here: left alone
        assert alias in tenant_connections.open_aliases()
    tenant_connections.discard(alias)
    assert alias not in tenant_connections.open_aliases()
