"""Running behind PgBouncer in transaction mode: nothing may depend on session state.

Runs in the PostgreSQL suite against a real PgBouncer started here (Debian's package).
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connections

from hms.accounts.models import Role
from hms.audit.services import audit_chain_verify
from hms.patients.services import patient_register
from hms.tenancy import connections as tenant_connections
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.postgresql_only
MAIN = django_settings.HMS_TEST_SERVER_URLS["main"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_pgbouncer():
    """A real PgBouncer in transaction mode in front of the main test server; (process, port, folder)."""
    server = urlsplit(MAIN)
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


@pytest.mark.django_db
def test_hospital_pages_and_writes_work_behind_pgbouncer_in_transaction_mode(
    pgbouncer, settings, make_hospital, make_user, client
):
    settings.HMS_DATABASE_SERVERS = f"main={MAIN}?pgbouncer=127.0.0.1:{pgbouncer}"
    hospital = make_hospital("PGB01")
    doctor = make_user("doc", role=Role.DOCTOR, hospital=hospital)
    with hospital_context(hospital) as tenant:
        assert connections[tenant.alias].settings_dict["PORT"] == str(pgbouncer)
        for number in range(30):
            patient_register(
                acting_user=doctor,
                mrn=f"M{number:04d}",
                given_name="Given",
                family_name=f"Family{number:02d}",
                birth_date="1980-01-01",
            )
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
