"""Browser and transport: no-store, the Content Security Policy, trusted proxies, and the
production settings passing `check --deploy` with no warning."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import RequestFactory

from hms.accounts.tests.conftest import sign_in
from hms.core.http import client_address

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.django_db


def _policy(response):
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in response["Content-Security-Policy"].split(";")
    )


def test_hospital_pages_are_never_stored(client, doctor):
    client.force_login(doctor)
    response = client.get("/h/TH001/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/login/", "/h/TH001/", "/h/NOPE01/", "/account/password-reset/"])
def test_every_page_is_never_stored_and_carries_a_strict_policy(client, doctor, path):
    client.force_login(doctor)
    response = client.get(path)
    assert response["Cache-Control"] == "no-store"
    policy = _policy(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_static_files_keep_their_caching(client):
    response = client.get("/static/hms/hms.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_has_inline_script_or_style():
    found = []
    for template in sorted((ROOT / "hms").rglob("templates/**/*.html")):
        text = template.read_text()
        found += [f"{template.relative_to(ROOT)}: {what}" for pattern, what in INLINE if pattern.search(text)]
    assert found == []


# --- the client's address ------------------------------------------------------------------


def _request(remote, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_forwarded_for_is_ignored_with_no_trusted_proxy(settings):
    settings.HMS_TRUSTED_PROXIES = []
    assert client_address(_request("203.0.113.5", "198.51.100.1")) == "203.0.113.5"


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),  # through the proxy
        ("10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # a client's own claim is not believed
        ("10.0.0.2", "198.51.100.1, 10.0.0.3", "198.51.100.1"),  # two trusted proxies in a row
        ("10.0.0.2", "10.0.0.3", "10.0.0.3"),  # only proxies: the farthest one
        ("10.0.0.2", "not-an-address", "10.0.0.2"),  # junk: the proxy that passed it
        ("10.0.0.2", "", "10.0.0.2"),
        ("2001:db8::7", "198.51.100.9", "198.51.100.9"),  # an IPv6 proxy network
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not a proxy we trust: header ignored
    ],
)
def test_forwarded_for_is_read_only_from_a_trusted_proxy(settings, remote, forwarded, expected):
    settings.HMS_TRUSTED_PROXIES = ["10.0.0.0/24", "2001:db8::/64"]
    assert client_address(_request(remote, forwarded)) == expected


def test_a_client_cannot_claim_https_unless_its_peer_is_a_trusted_proxy(client, settings):
    settings.HMS_TRUSTED_PROXIES = ["10.0.0.2"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True

    through_proxy = client.get("/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_PROTO="https")
    direct = client.get("/login/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_PROTO="https")

    assert through_proxy.status_code == 200
    assert direct.status_code == 301 and direct["Location"].startswith("https://")


@pytest.mark.usefixtures("lockouts_on")
def test_lockout_by_address_counts_the_forwarded_client_not_the_proxy(client, doctor, settings):
    settings.HMS_TRUSTED_PROXIES = ["10.0.0.2"]
    for attempt in range(30):
        sign_in(
            client, f"guess{attempt // 4}", "wrong", address="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7"
        )
    assert sign_in(client, "doc", address="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429

    sign_in(client, "doc", address="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert SESSION_KEY in client.session


# --- production settings -------------------------------------------------------------------


def _production(tmp_path, *args, **env):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HMS_", "DATABASE_URL"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="hms.example.org",
        HMS_AUDIT_KEY="x",
        HMS_DATA_DIR=str(tmp_path),
        **env,
    )
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_production_settings_pass_check_deploy_with_no_warning(tmp_path):
    done = _production(tmp_path, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


SHOW = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.PASSWORD_HASHERS[0], s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.HMS_MFA_REQUIRED_ROLES, "
    "getattr(s, 'SECURE_PROXY_SSL_HEADER', None), s.EMAIL_BACKEND)"
)


def test_production_defaults(tmp_path):
    done = _production(tmp_path, "-c", SHOW)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(" ", 3)[:3] == [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "True",
        "31536000",
    ]
    assert "['ADMIN', 'SUPERADMIN'] None django.core.mail.backends.smtp.EmailBackend" in done.stdout


def test_production_behind_a_proxy(tmp_path):
    done = _production(
        tmp_path, "-c", SHOW, HMS_TRUSTED_PROXIES="10.0.0.2,10.1.0.0/24", DJANGO_SECURE_SSL_REDIRECT="false"
    )
    assert done.returncode == 0, done.stderr
    assert " False 31536000 " in done.stdout
    assert "('HTTP_X_FORWARDED_PROTO', 'https')" in done.stdout


def test_a_bad_proxy_entry_is_a_configuration_error(tmp_path):
    done = _production(tmp_path, "manage.py", "check", HMS_TRUSTED_PROXIES="10.0.0.2,proxy.example.org")
    assert done.returncode != 0
    assert "accounts.E001" in done.stderr
