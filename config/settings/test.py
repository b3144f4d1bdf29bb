"""Test run: a temporary data folder, fast password hashing.

HMS_TEST_BACKEND=postgresql runs the same suite with the shared database and every
hospital on PostgreSQL: the servers HMS_TEST_DATABASE_URL and HMS_TEST_DATABASE_SERVERS
name (`make test` starts throwaway ones, .ci/test-postgres), by default the machine's
127.0.0.1:5432 and a second cluster on 5433; databases this run creates carry a
per-run prefix and are dropped by the test fixtures.
"""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES, env

SECRET_KEY = "test-only-not-secret"  # noqa: S105 - test settings only
HMS_AUDIT_KEY = "test-only-audit-key"  # noqa: S105 - test settings only
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

# A new temporary folder only when none is given (a default argument would make one every time),
# so one per process: each pytest-xdist worker has its own. Likewise the PostgreSQL prefix below
# carries the process id; pytest-django adds the worker's name (gw0, gw1) to the test databases.
HMS_DATA_DIR = Path(os.environ.get("HMS_DATA_DIR") or tempfile.mkdtemp(prefix="hms-test-data-"))
HMS_TEMPLATE_DIR = HMS_DATA_DIR / "templates"
# Backups in that folder too, not in the project's var/ (base.py's default), which every test
# process (pytest-xdist's workers, other runs) would share.
HMS_BACKUP_DIR = Path(os.environ.get("HMS_BACKUP_DIR") or HMS_DATA_DIR / "backups")
HMS_BACKUP_KEY_DIR = Path(os.environ.get("HMS_BACKUP_KEY_DIR") or HMS_DATA_DIR / "backup-keys")

_TEST_SERVERS = env(
    "HMS_TEST_DATABASE_SERVERS",
    default="main=postgres://postgres@127.0.0.1:5432/postgres,"
    "east=postgres://postgres@127.0.0.1:5433/postgres",
)
# Each test server's URL by name ("main", "east"), without options, for the tests that point
# HMS_DATABASE_SERVERS at a server with options of their own (`?max_connections=1`).
HMS_TEST_SERVER_URLS = {
    name.strip(): url.split("?")[0].strip()
    for name, _, url in (server.partition("=") for server in _TEST_SERVERS.split(","))
}

HMS_TEST_BACKEND = env("HMS_TEST_BACKEND", default="sqlite")
if HMS_TEST_BACKEND == "postgresql":
    DATABASES = {
        "default": env.db(
            "HMS_TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/hms_test_shared"
        )
    }
    HMS_DATABASE_SERVERS = _TEST_SERVERS
    # Each pytest process is one application process: it may take a server's whole allowance
    # (its threads race fifty bookings at once). The tests of the allowance set their own.
    HMS_APP_PROCESSES = 1
    # Never the production variable: the test run drops every database with this prefix.
    HMS_DATABASE_PREFIX = env("HMS_TEST_DATABASE_PREFIX", default=f"hmst{os.getpid()}_")
    # One shared test database per run, so two runs on one machine never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{HMS_DATABASE_PREFIX}shared"}
elif HMS_TEST_BACKEND == "sqlite":
    DATABASES["default"]["TEST"] = {"NAME": str(HMS_DATA_DIR / "test-shared.sqlite3")}
    HMS_DATABASE_SERVERS = ""  # whatever the shell says: this suite is all SQLite
else:
    raise ValueError(f"HMS_TEST_BACKEND must be sqlite or postgresql, not {HMS_TEST_BACKEND!r}")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Static files straight from the apps' folders: no collectstatic, no STATIC_ROOT to serve from.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None

# Django's test client signs in without a request, which django-axes refuses: the lockout
# tests (hms/accounts/tests/test_lockout.py) turn it on for themselves.
AXES_ENABLED = False
