"""The documented upgrade sequence, run as an operator runs it, against a real gunicorn.

A copy of the project is served by gunicorn (production settings, 2 sync workers;
on PostgreSQL with spare databases and PgBouncer in front, as an operator runs it)
while a client keeps reading three hospitals. A new release is installed into that
copy (a new tenant migration file), `migrate` and `migrate_hospitals` run from it,
first for one hospital, then for the rest, and nobody signals gunicorn. The old
workers serve every hospital throughout (a compatible migration) or refuse only the
hospitals migrated past them (an incompatible one), and restart by themselves onto
the new release once every hospital is migrated.
"""

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

from hms.tenancy.tests.test_pgbouncer import MAIN, _free_port, _start_pgbouncer, _stop_pgbouncer

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
CODES = ("UPA", "UPB", "UPC")
PASSWORD = "upgrade-sequence-pw-1"  # noqa: S105 - a throwaway account in a throwaway deployment

COMPATIBLE = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("patients", "{previous}")]
    operations = [
        migrations.CreateModel(
            name="UpgradeProbe",
            fields=[("id", models.BigAutoField(primary_key=True)), ("note", models.TextField(null=True))],
        ),
    ]
"""
INCOMPATIBLE = """from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("patients", "{previous}")]
    operations = [migrations.RunSQL("CREATE TABLE upgrade_probe_two (id integer)", migrations.RunSQL.noop)]
"""


class Deployment:
    """A copy of the project with its own data, served by gunicorn from that copy."""

    pgbouncer: tuple[subprocess.Popen[bytes], int, Path] | None = None

    def __init__(self, folder: Path) -> None:
        self.app = folder / "app"
        for part in ("hms", "config"):
            shutil.copytree(
                ROOT / part, self.app / part, ignore=shutil.ignore_patterns("__pycache__", "tests")
            )
        shutil.copy(ROOT / "manage.py", self.app / "manage.py")
        self.log = folder / "gunicorn.log"
        self.access_log = folder / "access.log"
        self.port = _free_port()
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "HMS_", "DATABASE_URL", "PYTEST"))
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            DJANGO_SECRET_KEY="upgrade-sequence-test-key",
            HMS_AUDIT_KEY="upgrade-sequence-audit-key",
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SECURE_COOKIES="false",
            # Served over plain HTTP on loopback, its operator signing in with a password alone.
            DJANGO_SECURE_SSL_REDIRECT="false",
            HMS_MFA_REQUIRED_ROLES="",
            HMS_DATA_DIR=str(folder / "data"),
            HMS_WORKER_MIN_LIFETIME="1",
            DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        )
        if settings.HMS_TEST_BACKEND == "postgresql":
            prefix = f"{settings.HMS_DATABASE_PREFIX}up"
            shared = f"{prefix}shared"
            with psycopg.connect(MAIN, autocommit=True) as c:
                c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(shared)))
            # As the operator deployed it: spare databases, and PgBouncer in front.
            self.pgbouncer = _start_pgbouncer()
            self.env.update(
                DATABASE_URL=urlsplit(MAIN)._replace(path=f"/{shared}").geturl(),
                HMS_DATABASE_SERVERS=f"main={MAIN}?spares=1&pgbouncer=127.0.0.1:{self.pgbouncer[1]}",
                HMS_DATABASE_PREFIX=f"{prefix}_",
            )
        self.server: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.app,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def install_release(self, template: str) -> None:
        """A new tenant migration on disk, as a new release brings it."""
        folder = self.app / "hms" / "patients" / "migrations"
        previous = max(path.stem for path in folder.glob("0*.py"))
        number = int(previous[:4]) + 1
        (folder / f"{number:04d}_upgrade_probe.py").write_text(template.format(previous=previous))

    def serve(self) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.server = subprocess.Popen(
            [
                str(gunicorn),
                "config.wsgi",
                "--workers=2",
                f"--bind=127.0.0.1:{self.port}",
                f"--chdir={self.app}",
                f"--error-logfile={self.log}",
                f"--access-logfile={self.access_log}",
                # The answering worker's pid ("<1234>"), the status and the path.
                "--access-logformat=%(p)s %(s)s %(U)s",
                "--log-level=info",
                "--graceful-timeout=10",
            ],
            cwd=self.app,
            env=self.env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"gunicorn did not start: {self.log.read_text()}")

    def workers_booted(self) -> int:
        return self.log.read_text().count("Booting worker")

    def running_workers(self) -> set[int]:
        """The workers gunicorn has started and that have not exited, by pid."""
        log = self.log.read_text()
        booted = {int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", log)}
        exited = {int(pid) for pid in re.findall(r"Worker exiting \(pid: (\d+)\)", log)}
        return booted - exited

    def workers_that_served_a_hospital(self) -> set[int]:
        log = self.access_log.read_text() if self.access_log.exists() else ""
        return {int(pid) for pid in re.findall(r"^<(\d+)> \d+ /h/", log, re.MULTILINE)}

    def wait_until_every_worker_answered(self, browser: "Browser") -> None:
        """Every running worker has loaded its code (the release on disk when it booted).

        A worker reads the migrations on disk once, as it loads the application, which on a
        loaded machine can be seconds after gunicorn logs "Booting worker". Installing the
        next release before then would make that worker take the new release as its own code.
        A worker that has answered a hospital page has loaded it. The caller's reader keeps one
        request in flight, so these requests reach whichever worker is idle.
        """

        def all_answered() -> bool:
            running = self.running_workers()
            if len(running) == 2 and running <= self.workers_that_served_a_hospital():
                return True
            browser.get(f"/h/{CODES[0]}/")
            return False

        _wait_for(all_answered, 60, "every gunicorn worker to answer a hospital page")

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=30)
        if self.pgbouncer is not None:
            _stop_pgbouncer(self.pgbouncer[0], self.pgbouncer[2])


class Browser:
    """A signed-in user, over real HTTP."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def sign_in(self, username: str, password: str) -> None:
        page = self.opener.open(f"{self.base}/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        self.opener.open(f"{self.base}/login/", data=data, timeout=30).read()

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(f"{self.base}{path}", timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


class Reader(threading.Thread):
    """Reads the hospitals in turn until stopped, keeping every answer."""

    def __init__(self, browser: Browser) -> None:
        super().__init__(daemon=True)
        self.browser = browser
        self.answers: list[tuple[str, int, str]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            for code in CODES:
                status, body = self.browser.get(f"/h/{code}/")
                self.answers.append((code, status, body))

    def take(self) -> list[tuple[str, int, str]]:
        taken, self.answers = self.answers, []
        return taken


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _statuses(answers, code):
    return {status for answered, status, _ in answers if answered == code}


@pytest.fixture
def deployment(tmp_path):
    deployment = Deployment(tmp_path)
    yield deployment
    deployment.stop()


def _first_window_all_served(reader: "Reader", *, seconds: float) -> list:
    """The first one-second window of answers that are all 200 (or the last one seen)."""
    deadline = time.monotonic() + seconds
    reader.take()
    window: list = []
    while time.monotonic() < deadline:
        time.sleep(1)
        window = reader.take()
        if window and {status for _, status, _ in window} == {200}:
            break
    return window


def test_upgrades_keep_hospitals_served_and_workers_switch_without_a_reload(deployment):
    deployment.manage("migrate", "--noinput")
    deployment.manage("createsuperuser", "--noinput", "--username=operator", "--email=ops@example.org")
    for code in CODES:
        deployment.manage("create_hospital", code, f"--name=Hospital {code}")
    deployment.serve()
    browser = Browser(deployment.port)
    browser.sign_in("operator", PASSWORD)
    assert [browser.get(f"/h/{code}/")[0] for code in CODES] == [200, 200, 200]
    reader = Reader(browser)
    reader.start()
    try:
        # 1. A release whose migration only adds: no hospital is refused at any moment.
        deployment.wait_until_every_worker_answered(browser)
        deployment.install_release(COMPATIBLE)
        deployment.manage("migrate", "--noinput")
        deployment.manage("migrate_hospitals", "--hospital=UPA", "--jobs=1", "--no-progress")
        time.sleep(4)  # the old workers serve UPA (migrated) and UPB, UPC (not yet) alike
        assert deployment.workers_booted() == 2, "a worker restarted while the old code was still needed"
        deployment.manage("migrate_hospitals", "--jobs=1", "--no-progress")
        _wait_for(lambda: deployment.workers_booted() >= 4, 60, "the workers to restart onto the new release")
        time.sleep(1)
        answers = reader.take()
        assert {status for _, status, _ in answers} == {200}, [a[:2] for a in answers if a[1] != 200]
        assert {code for code, _, _ in answers} == set(CODES)

        # 2. A release whose migration the old code cannot run on: only the hospitals
        # migrated past the old workers are refused, saying so, until every one is migrated.
        booted = deployment.workers_booted()
        deployment.wait_until_every_worker_answered(browser)
        deployment.install_release(INCOMPATIBLE)
        deployment.manage("migrate", "--noinput")
        deployment.manage("migrate_hospitals", "--hospital=UPA", "--jobs=1", "--no-progress")
        time.sleep(4)
        partly = reader.take()
        assert _statuses(partly, "UPB") == _statuses(partly, "UPC") == {200}
        refused = [body for code, status, body in partly if code == "UPA" and status == 503]
        assert refused, "the old code served a database migrated past it"
        assert all("upgraded to a newer version than this server is running" in body for body in refused)
        assert deployment.workers_booted() == booted
        deployment.manage("migrate_hospitals", "--jobs=1", "--no-progress")
        _wait_for(lambda: deployment.workers_booted() >= booted + 2, 60, "the workers to restart again")
        # "Booting worker" is logged before the new code is imported: on a loaded machine the
        # old workers may still answer for a few seconds. Every hospital must then be served.
        after = _first_window_all_served(reader, seconds=60)
        assert after and {status for _, status, _ in after} == {200}, [a[:2] for a in after if a[1] != 200]
    finally:
        reader.stopping.set()
        reader.join(timeout=30)
    listing = deployment.manage("list_hospitals")
    assert "*" not in listing and "MIGRATION_FAILED" not in listing
