"""Serving as an operator deploys it: static files after collectstatic, every setting in
deploy/env.example, secret-key rotation, and gunicorn with deploy/gunicorn.conf.py."""

import os
import re
import runpy
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from hms.accounts.models import Role

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = sorted((ROOT / "config" / "settings").glob("*.py"))
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
ENV_READ = re.compile(
    r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']|os\.environ(?:\.get\(|\.setdefault\(|\[)\s*["']([A-Z][A-Z0-9_]*)["']"""
)


def _names_read(path: Path) -> set[str]:
    return {a or b for a, b in ENV_READ.findall(path.read_text())}


def test_env_example_lists_every_variable_the_settings_and_gunicorn_read():
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", (ROOT / "deploy" / "env.example").read_text(), re.M))
    read = set().union(*(_names_read(path) for path in [*SETTINGS, GUNICORN_CONF]))
    assert {
        "DJANGO_SECRET_KEY",
        "HMS_DATA_DIR",
        "DATABASE_URL",
        "HMS_TEST_DATABASE_URL",
    } <= read  # the parser works
    missing = sorted(read - listed)
    assert not missing, f"deploy/env.example does not list {missing}: add each, with its default"


@pytest.mark.django_db
def test_admin_static_files_are_served_after_collectstatic_under_production_settings(settings, tmp_path):
    # What production sets (config/settings/base.py and production.py), the test run's overrides undone.
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "static"
    settings.WHITENOISE_USE_FINDERS = False
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    }
    settings.SECURE_SSL_REDIRECT = True
    call_command("collectstatic", "--noinput", verbosity=0)
    client = Client()  # WhiteNoise reads STATIC_ROOT when the first request builds the middleware
    for path in ("/static/admin/css/base.css", "/static/hms/hms.css"):
        response = client.get(path, secure=True)
        assert response.status_code == 200, path
        assert b"".join(response.streaming_content)
    compressed = client.get("/static/admin/css/base.css", secure=True, HTTP_ACCEPT_ENCODING="gzip")
    assert compressed["Content-Encoding"] == "gzip"
    assert client.get("/static/admin/css/missing.css", secure=True).status_code == 404


@pytest.mark.django_db
def test_a_session_signed_with_the_old_secret_key_survives_a_rotation(client, settings, make_user):
    old = "old-secret-key-" + "x" * 40
    settings.SECRET_KEY = old
    client.force_login(make_user("rotating", role=Role.SUPERADMIN))
    away = Client()  # signed in before the rotation, back only after the old key is retired
    away.force_login(make_user("away", role=Role.SUPERADMIN))
    assert client.get("/account/").status_code == 200

    settings.SECRET_KEY = "new-secret-key-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = [old]
    assert client.get("/account/").status_code == 200  # still signed in; re-signed with the new key

    settings.SECRET_KEY_FALLBACKS = []  # the old key retired
    assert client.get("/account/").status_code == 200
    response = away.get("/account/")
    assert response.status_code == 302  # never came back in the window: signed out
    assert "/login/" in response["Location"]


def test_secret_key_fallbacks_come_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY_FALLBACKS)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_SECRET_KEY_FALLBACKS": "one,two",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "['one', 'two']", done.stderr


def test_gunicorn_config_never_preloads_and_leaves_the_access_log_to_the_application(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    conf = runpy.run_path(str(GUNICORN_CONF))
    assert conf["preload_app"] is False
    assert conf["accesslog"] is None
    assert conf["worker_class"] == "sync"
    assert conf["threads"] == 1
    assert conf["workers"] >= 2
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"]  # set for the workers it will fork


def test_dockerfile_builds_a_non_root_image_with_static_files_and_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "\nFROM python:3.11-slim\n" in dockerfile
    assert "\nUSER hms\n" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert '"gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"' in dockerfile


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own server
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.slow
def test_gunicorn_with_the_deploy_config_serves_probes_and_sums_metrics_over_workers(tmp_path):
    """Two workers count requests in PROMETHEUS_MULTIPROC_DIR; a scrape of either reports both."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HMS_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        HMS_AUDIT_KEY="x",
        HMS_DATA_DIR=str(tmp_path / "data"),
        HMS_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
    )
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", str(GUNICORN_CONF), "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)
        asked = 40
        for _ in range(asked):  # two workers share these
            assert _get(f"{base}/login/")[0] == 200
        status, body = _get(f"{base}/metrics")
        assert status == 200
        samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(body.decode())
            for sample in family.samples
        }
        login = frozenset({"view": "login", "method": "GET", "status": "2xx"}.items())
        assert samples[("hms_http_requests_total", login)] == asked
        assert len(list((tmp_path / "prometheus").glob("counter_*.db"))) == 2  # one file per worker
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    lines = (tmp_path / "gunicorn.log").read_text().splitlines()
    assert any('"logger": "hms.access"' in line and '"view": "login"' in line for line in lines)
    assert not any('"logger": "hms.access"' in line and "/healthz" in line for line in lines)
