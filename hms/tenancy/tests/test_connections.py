"""Lazy, bounded tenant connections: nothing at start-up, registered on first use, LRU budget."""

import asyncio
import gc
import json
import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import ExitStack
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.db import connections

from hms.hospitals.models import Hospital
from hms.patients.models import Patient
from hms.tenancy import connections as tenant_connections
from hms.tenancy.context import hospital_context, tenant_for
from hms.tenancy.tests.backup_support import shared_database_url

CODES = ["H1", "H2", "H3", "H4", "H5", "H6"]
ALIASES = {code: tenant_connections.hospital_alias(code) for code in CODES}

STARTUP_PROBE = """
import json, sys

# Record every database connection, at the Django level and below it.
opened = []

def hook(event, args):
    if event == "sqlite3.connect":
        opened.append(f"sqlite3:{args[0]}")

sys.addaudithook(hook)

from django.db.backends.base.base import BaseDatabaseWrapper

real_connect = BaseDatabaseWrapper.connect

def connect(self):
    opened.append(f"django:{self.alias}")
    return real_connect(self)

BaseDatabaseWrapper.connect = connect

try:
    import psycopg
except ImportError:
    pass
else:
    real_psycopg_connect = psycopg.connect

    def psycopg_connect(*args, **kwargs):
        opened.append(f"psycopg:{kwargs.get('dbname') or args}")
        return real_psycopg_connect(*args, **kwargs)

    psycopg.connect = psycopg_connect

import django
django.setup()
from django.core import checks
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

get_wsgi_application()
get_resolver().url_patterns
checks.run_checks()

from django.db import connections
aliases = list(connections.settings)
opened_at_startup = list(opened)

from hms.hospitals.models import Hospital
print(json.dumps({
    "aliases": aliases,
    "opened": opened_at_startup,
    "hospitals": Hospital.objects.count(),
    "opened_later": opened[len(opened_at_startup):],
}))
"""


def _open_connections(codes=CODES) -> set[str]:
    """Aliases with a live database connection in this thread (Django keeps them in a Local)."""
    live = set()
    for code in codes:
        wrapper = getattr(connections._connections, ALIASES[code], None)
        if wrapper is not None and wrapper.connection is not None:
            live.add(ALIASES[code])
    return live


def _use(code: str) -> int:
    with hospital_context(code):
        return Patient.objects.count()


def _assert_within_budget(budget: int) -> None:
    # Registered: the hospitals in use now (at most one in these sequential loops).
    assert len(tenant_connections.registered_aliases()) <= min(budget, 1)
    assert len(tenant_connections.open_aliases()) <= budget
    assert len(_open_connections()) <= budget


@pytest.fixture
def six_hospitals(make_hospital):
    """Six hospitals; hospital number n holds n patients, so a count tells them apart."""
    for number, code in enumerate(CODES, start=1):
        make_hospital(code)
        with hospital_context(code):
            Patient.objects.bulk_create(
                Patient(mrn=f"{code}-{i}", given_name="P", family_name=code, birth_date="1990-01-01")
                for i in range(number)
            )
    tenant_connections.forget_all()  # start every test from a cold process state
    return CODES


def _shared_database_env() -> dict[str, str]:
    """Environment that points a fresh process at this test run's shared database."""
    shared = connections["default"].settings_dict
    if shared["ENGINE"].endswith("sqlite3"):
        return {"DATABASE_URL": f"sqlite:///{shared['NAME']}"}
    url = shared_database_url()
    return {"DATABASE_URL": url, "HMS_TEST_DATABASE_URL": url}


@pytest.mark.django_db(transaction=True)
def test_startup_registers_and_opens_no_tenant_database(make_hospital, data_dir):
    count = 10
    for number in range(count):
        make_hospital(f"ST{number:03d}")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "HMS_DATA_DIR": str(data_dir),
        **_shared_database_env(),
    }
    result = subprocess.run(
        [sys.executable, "-c", STARTUP_PROBE],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["hospitals"] == count  # the probe saw the registry with every hospital
    assert report["aliases"] == ["default"]
    assert report["opened"] == []  # start-up opened no database at all
    # The probe does see connections being opened: the registry query shows up.
    assert "django:default" in report["opened_later"]
    assert not any("ST0" in name.upper() or "hospital_" in name for name in report["opened_later"])


@pytest.mark.django_db
def test_hospital_alias_is_registered_on_first_use_and_only_while_in_use(six_hospitals):
    assert tenant_connections.registered_aliases() == []
    assert "hospital_H1" not in connections.settings
    with hospital_context("H1"):
        assert tenant_connections.registered_aliases() == ["hospital_H1"]
        settings_dict = connections.settings["hospital_H1"]
        assert settings_dict["NAME"] == tenant_for(Hospital.objects.get(code="H1")).database["NAME"]
        assert settings_dict["NAME"] != connections["default"].settings_dict["NAME"]
        assert Patient.objects.count() == 1
        first = connections["hospital_H1"].connection
        with hospital_context("H2"):
            assert tenant_connections.registered_aliases() == ["hospital_H1", "hospital_H2"]
            assert Patient.objects.count() == 2
        assert tenant_connections.registered_aliases() == ["hospital_H1"]
    # Unregistered once no context uses it, but the connection is kept for reuse...
    assert tenant_connections.registered_aliases() == []
    assert "hospital_H1" not in connections.settings
    assert _open_connections() == {"hospital_H1", "hospital_H2"}
    assert tenant_connections.open_aliases() == ["hospital_H1", "hospital_H2"]
    # ...and reused by the next context.
    with hospital_context("H1"):
        assert connections["hospital_H1"].connection is first
        assert Patient.objects.count() == 1


@pytest.mark.django_db
def test_open_connections_stay_within_budget_least_recently_used_closed_first(six_hospitals, settings):
    settings.HMS_MAX_TENANT_CONNECTIONS = 3
    for number, code in enumerate(CODES, start=1):
        with hospital_context(code):
            assert Patient.objects.count() == number
            _assert_within_budget(3)
        _assert_within_budget(3)
    last_three = [ALIASES[c] for c in ("H4", "H5", "H6")]
    assert tenant_connections.open_aliases() == last_three
    assert _open_connections() == set(last_three)
    kept = {code: connections[ALIASES[code]].connection for code in ("H4", "H6")}

    # H4 is used again, so H5 becomes the least recently used and is the one closed.
    assert _use("H4") == 4
    assert tenant_connections.open_aliases() == [ALIASES[c] for c in ("H5", "H6", "H4")]
    assert _use("H1") == 1  # closed earlier: reopened, and still the right database
    assert tenant_connections.open_aliases() == [ALIASES[c] for c in ("H6", "H4", "H1")]
    assert _open_connections() == {ALIASES[c] for c in ("H6", "H4", "H1")}
    for code, connection in kept.items():  # the survivors were never closed and reopened
        assert getattr(connections._connections, ALIASES[code]).connection is connection
    _assert_within_budget(3)


@pytest.mark.django_db
def test_many_rounds_over_more_hospitals_than_the_budget_stay_correct(six_hospitals, settings):
    settings.HMS_MAX_TENANT_CONNECTIONS = 2
    for _ in range(3):
        for number, code in reversed(list(enumerate(CODES, start=1))):
            assert _use(code) == number
            _assert_within_budget(2)
    assert len(tenant_connections.open_aliases()) == 2


@pytest.mark.django_db
def test_connection_in_an_active_context_is_never_evicted(six_hospitals, settings):
    settings.HMS_MAX_TENANT_CONNECTIONS = 3
    with hospital_context("H1"):
        assert Patient.objects.count() == 1
        live = connections[ALIASES["H1"]].connection
        assert live is not None
        for _ in range(2):
            for number, code in enumerate(CODES[1:], start=2):
                assert _use(code) == number
                assert ALIASES["H1"] in tenant_connections.registered_aliases()
                assert ALIASES["H1"] in _open_connections()
                _assert_within_budget(3)
        assert connections[ALIASES["H1"]].connection is live  # never closed and reopened
        assert Patient.objects.count() == 1

    # Nested contexts hold every hospital they name, even past the budget...
    with ExitStack() as stack:
        live = {}
        for number, code in enumerate(CODES[:4], start=1):
            stack.enter_context(hospital_context(code))
            assert Patient.objects.count() == number
            live[code] = connections[ALIASES[code]].connection
        held = {ALIASES[c] for c in live}
        assert set(tenant_connections.registered_aliases()) == held
        assert set(tenant_connections.open_aliases()) == held
        assert _open_connections() == held
        with hospital_context("H2"):
            assert Patient.objects.count() == 2
        assert Patient.objects.count() == 4
        for code, connection in live.items():
            assert connections[ALIASES[code]].connection is connection
    # ...and once they are released the next use brings the count back within it.
    assert _use("H5") == 5
    _assert_within_budget(3)
    assert tenant_connections.registered_aliases() == []


@pytest.mark.django_db(transaction=True)
def test_hospital_in_use_by_another_thread_stays_registered(six_hospitals, settings):
    settings.HMS_MAX_TENANT_CONNECTIONS = 2
    entered, go_on = threading.Event(), threading.Event()
    seen: list[object] = []

    def holder() -> None:
        try:
            with hospital_context("H1"):
                seen.append(Patient.objects.count())
                first = connections[ALIASES["H1"]].connection
                entered.set()
                go_on.wait(timeout=30)
                seen.append(Patient.objects.count())
                seen.append(connections[ALIASES["H1"]].connection is first)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            seen.append(exc)
        finally:
            entered.set()
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert entered.wait(timeout=30)
        for _ in range(2):
            for number, code in enumerate(CODES[1:], start=2):
                with hospital_context(code):
                    assert Patient.objects.count() == number
                    assert set(tenant_connections.registered_aliases()) == {ALIASES["H1"], ALIASES[code]}
                assert tenant_connections.registered_aliases() == [ALIASES["H1"]]
                assert len(_open_connections()) <= 2
    finally:
        go_on.set()
        thread.join(timeout=30)
    assert seen == [1, 1, True]
    assert tenant_connections.registered_aliases() == []  # released by the other thread


def _is_closed(raw_connection) -> bool:
    closed = getattr(raw_connection, "closed", None)  # psycopg
    if closed is not None:
        return bool(closed)
    try:  # sqlite3 has no flag: a closed connection refuses to work
        raw_connection.execute("SELECT 1")
    except sqlite3.ProgrammingError:
        return True
    return False


@pytest.mark.django_db
def test_changed_database_settings_reconnect_to_the_new_location(make_hospital):
    """When a hospital's database moves (restore, move to another server), the next context
    connects to the new location, even though this thread holds a connection to the old one."""
    hospital = make_hospital("TH001")
    elsewhere = make_hospital("TH002")  # stands in for "the database at its new location"
    alias = tenant_connections.hospital_alias("TH001")
    with hospital_context("TH002"):
        Patient.objects.create(mrn="AT-NEW", given_name="A", family_name="B", birth_date="1990-01-01")
    with hospital_context("TH001"):
        Patient.objects.create(mrn="AT-OLD", given_name="A", family_name="B", birth_date="1990-01-01")
        old_connection = connections[alias].connection
        old_name = connections[alias].settings_dict["NAME"]
    with hospital_context("TH001"):  # unchanged settings: the connection is reused
        assert connections[alias].connection is old_connection
    assert not _is_closed(old_connection)

    Hospital.objects.filter(pk=hospital.pk).update(
        server=elsewhere.server, database_name=elsewhere.database_name
    )
    with hospital_context("TH001"):
        assert set(Patient.objects.values_list("mrn", flat=True)) == {"AT-NEW"}
        assert connections[alias].connection is not old_connection
        assert connections[alias].settings_dict["NAME"] != old_name
        assert connections.settings[alias] is connections[alias].settings_dict
        Patient.objects.create(mrn="WRITTEN", given_name="A", family_name="B", birth_date="1990-01-01")
    assert _is_closed(old_connection)
    assert tenant_connections.registered_aliases() == []
    with hospital_context("TH002"):  # the write went to the new location
        assert set(Patient.objects.values_list("mrn", flat=True)) == {"AT-NEW", "WRITTEN"}

    # And back again: the first database, untouched by the write.
    Hospital.objects.filter(pk=hospital.pk).update(
        server=hospital.server, database_name=hospital.database_name
    )
    with hospital_context("TH001"):
        assert set(Patient.objects.values_list("mrn", flat=True)) == {"AT-OLD"}
        assert connections[alias].settings_dict["NAME"] == old_name


def test_only_tenant_aliases_can_be_registered():
    before = dict(connections.settings)
    for alias in ("default", "other", "hospitalX"):
        with pytest.raises(ValueError, match="not a tenant alias"):
            tenant_connections.register(alias, {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"})
    assert dict(connections.settings) == before
    assert Path(before["default"]["NAME"]).name != ":memory:"


@pytest.mark.django_db(transaction=True)
def test_budget_holds_for_contexts_entered_in_asyncio_code(six_hospitals, settings):
    settings.HMS_MAX_TENANT_CONNECTIONS = 1

    async def visit_all() -> set[str]:
        for number, code in enumerate(CODES[:4], start=1):
            hospital = await Hospital.objects.aget(code=code)
            with hospital_context(hospital):
                assert await Patient.objects.acount() == number
        live = await sync_to_async(_open_connections)()
        await sync_to_async(tenant_connections.forget_all)()
        await sync_to_async(connections.close_all)()
        return live

    assert len(asyncio.run(visit_all())) <= 1


@pytest.mark.django_db(transaction=True)
def test_a_thread_that_ends_gives_its_connections_slots_back(six_hospitals):
    """Threads come and go (a threaded server, a pool): the connections an ended thread held are
    closed with it, and its slots on each server are counted free again, or the process would
    run out of its servers' allowance."""
    hospital = six_hospitals[0]
    with hospital_context(hospital) as tenant:
        server = connections[tenant.alias].settings_dict.get("HMS_SERVER", "")
    before = tenant_connections.server_connections(server)

    def visit() -> None:
        for other in six_hospitals[:3]:
            with hospital_context(other):
                Patient.objects.count()

    thread = threading.Thread(target=visit)
    thread.start()
    thread.join()
    gc.collect()
    assert tenant_connections.server_connections(server) == before
