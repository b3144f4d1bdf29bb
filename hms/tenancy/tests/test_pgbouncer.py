"""Running behind PgBouncer in transaction mode: nothing may depend on session state.

Runs in the PostgreSQL suite against a real PgBouncer started here (Debian's package), in
the configuration docs/operations/postgresql.md documents: a wildcard database entry, so a
new hospital needs no PgBouncer change, one pooler per server.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connections

from hms.accounts.models import Role
from hms.audit.services import audit_chain_verify
from hms.patients.models import Patient
from hms.patients.services import patient_register
from hms.tenancy import connections as tenant_connections
from hms.tenancy.context import hospital_context
from hms.tenancy.moving import hospital_move

pytestmark = pytest.mark.postgresql_only
MAIN = django_settings.HMS_TEST_SERVER_URLS["main"]
EAST = django_settings.HMS_TEST_SERVER_URLS["east"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_pgbouncer(url: str = MAIN):
    """A real PgBouncer in transaction mode in front of a test server; (process, port, folder)."""
    server = urlsplit(url)
    target = f"host={server.hostname}" + (f" port={server.port}" if server.port else "")
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    assert os.path.exists(binary), "pgbouncer is not installed (apt-get install pgbouncer)"
    # Not under pytest's tmp folder: PgBouncer runs as the postgres user, who cannot enter it.
    folder = Path(tempfile.mkdtemp(prefix="hms-pgbouncer-"))
    folder.chmod(0o777)
    port = _free_port()
    (folder / "userlist.txt").write_text('"postgres" ""\n')
    (folder / "pgbouncer.ini").write_text(
        f"""[databases]
* = {target}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = 3
max_client_conn = 200
query_wait_timeout = 5
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
"""
    )
    command = [binary, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        command = ["runuser", "-u", "postgres", "--", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.terminate()
        pytest.fail(f"PgBouncer did not start: {process.stderr.read().decode()}")
    return process, port, folder


def _stop_pgbouncer(process, folder):
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def pgbouncer():
    process, port, folder = _start_pgbouncer()
    yield port
    _stop_pgbouncer(process, folder)


def _transactions_through(port: int, database: str) -> int:
    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname="pgbouncer", autocommit=True
    ) as c:
        rows = c.execute("SHOW STATS").fetchall()
        names = [d.name for d in c.cursor().execute("SHOW STATS").description]
    column = names.index("total_xact_count")
    return sum(row[column] for row in rows if row[0] == database)


def _register(doctor, count: int) -> None:
    for number in range(count):
        patient_register(
            acting_user=doctor,
            mrn=f"M{number:04d}",
            given_name="Given",
            family_name=f"Family{number:02d}",
            birth_date="1980-01-01",
        )


def _pooled_databases(port: int) -> set[str]:
    """Databases PgBouncer holds a pool for (SHOW POOLS)."""
    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname="pgbouncer", autocommit=True
    ) as c:
        return {row[0] for row in c.execute("SHOW POOLS").fetchall()}


@pytest.mark.django_db
def test_hospital_pages_and_writes_work_behind_pgbouncer_in_transaction_mode(
    pgbouncer, settings, make_hospital, make_user, client
):
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?pgbouncer=127.0.0.1:{pgbouncer}"
    hospital = make_hospital("PGB01")
    doctor = make_user("doc", role=Role.DOCTOR, hospital=hospital)
    with hospital_context(hospital) as tenant:
        assert connections[tenant.alias].settings_dict["PORT"] == str(pgbouncer)
        _register(doctor, 30)
    before = _transactions_through(pgbouncer, hospital.database_name)
    client.force_login(doctor)
    for page in (1, 2, 1, 2):
        response = client.get(f"/h/PGB01/patient-list/?page={page}")  # the front page is the doctor's day
        assert response.status_code == 200
        assert b"Family" in response.content
    assert _transactions_through(pgbouncer, hospital.database_name) > before
    with hospital_context(hospital):
        report = audit_chain_verify()
    assert report.intact
    assert report.events_checked == 34  # 30 registrations + 4 page reads


@pytest.mark.django_db
def test_a_stopped_pgbouncer_answers_503_on_the_first_request_that_reused_a_pooled_connection(
    settings, make_hospital, make_user, client
):
    process, port, folder = _start_pgbouncer()
    try:
        settings.HMS_DATABASE_SERVERS = f"main={MAIN}?pgbouncer=127.0.0.1:{port}"
        hospital = make_hospital("PGB02")
        doctor = make_user("doc", role=Role.DOCTOR, hospital=hospital)
        client.force_login(doctor)
        assert client.get("/h/PGB02/").status_code == 200
        alias = tenant_connections.hospital_alias("PGB02")
        # The worker keeps its connection to PgBouncer for the next request.
        assert alias in tenant_connections.open_aliases()
    finally:
        _stop_pgbouncer(process, folder)
    # PgBouncer is gone (as when its host dies): the very next request, which reuses the
    # pooled connection, must be the documented 503, not a 500 from the page's first query.
    response = client.get("/h/PGB02/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"busy or unreachable" in response.content
    assert client.get("/h/PGB02/patients/").status_code == 503


def _read_pages(client, path: str, done: threading.Event, statuses: list[int]) -> None:
    """GET `path` until `done` (at least once), recording each status; this thread's connections closed."""
    try:
        while not done.is_set() or not statuses:
            statuses.append(client.get(path).status_code)
    finally:
        _close_this_threads_connections()


def _close_this_threads_connections() -> None:
    for alias in tenant_connections.open_aliases():
        tenant_connections.discard(alias)
    connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_a_new_hospital_is_provisioned_and_served_while_the_pooler_serves_others(
    pgbouncer, settings, make_hospital, make_user
):
    from django.test import Client

    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?pgbouncer=127.0.0.1:{pgbouncer}"
    make_hospital("PGB10")
    operator = make_user("root", role=Role.SUPERADMIN)
    reader = Client()
    reader.force_login(operator)
    done, statuses = threading.Event(), []
    thread = threading.Thread(target=_read_pages, args=(reader, "/h/PGB10/", done, statuses))
    thread.start()
    try:
        new = make_hospital("PGB11")  # a database PgBouncer has never seen: the wildcard entry serves it
        client = Client()
        client.force_login(operator)
        assert client.get("/h/PGB11/").status_code == 200
        with hospital_context(new) as tenant:
            assert connections[tenant.alias].settings_dict["PORT"] == str(pgbouncer)
            assert Patient.objects.count() == 0
    finally:
        done.set()
        thread.join(timeout=60)
    assert statuses and set(statuses) == {200}, statuses
    assert new.database_name in _pooled_databases(pgbouncer)


@pytest.mark.django_db(transaction=True)
def test_a_hospital_moved_between_servers_behind_their_poolers_is_served_throughout(
    settings, make_hospital, make_user
):
    from django.test import Client

    main_pooler, east_pooler = _start_pgbouncer(MAIN), _start_pgbouncer(EAST)
    ports = {"main": main_pooler[1], "east": east_pooler[1]}
    try:
        settings.HMS_DATABASE_SERVERS = (
            f"main={MAIN}?pgbouncer=127.0.0.1:{ports['main']},east={EAST}?pgbouncer=127.0.0.1:{ports['east']}"
        )
        hospital = make_hospital("PGB20")
        doctor = make_user("doc", role=Role.DOCTOR, hospital=hospital)
        with hospital_context(hospital):
            _register(doctor, 5)
        source = hospital.server
        target = "east" if source == "main" else "main"
        reader = Client()
        reader.force_login(doctor)
        done, statuses = threading.Event(), []
        thread = threading.Thread(target=_read_pages, args=(reader, "/h/PGB20/patient-list/", done, statuses))
        thread.start()
        try:
            hospital_move(code="PGB20", to_server=target, grace_seconds=0.3)
        finally:
            done.set()
            thread.join(timeout=60)
        assert statuses and set(statuses) == {200}, statuses
        hospital.refresh_from_db()
        assert hospital.server == target
        client = Client()
        client.force_login(doctor)
        assert client.get("/h/PGB20/patient-list/").status_code == 200
        with hospital_context(hospital) as tenant:
            assert connections[tenant.alias].settings_dict["PORT"] == str(ports[target])
            assert Patient.objects.count() == 5
        assert _transactions_through(ports[target], hospital.database_name) > 0
    finally:
        _stop_pgbouncer(*main_pooler[::2])
        _stop_pgbouncer(*east_pooler[::2])


@pytest.mark.parametrize("pooled", [True, False], ids=["behind-pgbouncer", "direct"])
@pytest.mark.django_db(transaction=True)
def test_at_the_connection_cap_requests_wait_for_a_connection_and_none_is_refused(
    pooled, pgbouncer, settings, make_hospital
):
    pooler = f"&pgbouncer=127.0.0.1:{pgbouncer}" if pooled else ""
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?max_connections=1000{pooler}"
    hospitals = [make_hospital(f"CAP{n:02d}") for n in range(8)]
    _close_this_threads_connections()
    # Threads still alive from earlier tests (asgiref's executor) may hold idle connections to the
    # server: the cap leaves two slots beyond them, which the four threads below must share.
    idle_elsewhere = tenant_connections.server_connections("main")
    cap = idle_elsewhere + 2
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?max_connections={cap}{pooler}"
    settings.HMS_CONNECTION_WAIT_SECONDS = 20
    start = threading.Barrier(4)
    outcomes: list[object] = []
    held: list[int] = []

    def visit(mine: list) -> None:
        try:
            start.wait(timeout=30)
            for hospital in mine:
                with hospital_context(hospital):
                    outcomes.append(Patient.objects.count())
                    held.append(tenant_connections.server_connections("main"))
                    time.sleep(0.2)  # a page's length: the others must wait, not fail
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            outcomes.append(exc)
        finally:
            _close_this_threads_connections()

    threads = [threading.Thread(target=visit, args=(hospitals[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == [0] * 8
    assert max(held) <= cap
    assert tenant_connections.server_connections("main") == idle_elsewhere
