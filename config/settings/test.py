"""Test run: a temporary data folder, fast password hashing."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES, env

SECRET_KEY = "test-only-not-secret"  # noqa: S105 - test settings only
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

HMS_DATA_DIR = Path(env.path("HMS_DATA_DIR", default=tempfile.mkdtemp(prefix="hms-test-data-")))
HMS_TEMPLATE_DIR = HMS_DATA_DIR / "templates"
DATABASES["default"]["TEST"] = (
    {"NAME": str(HMS_DATA_DIR / "test-shared.sqlite3")}
    if (DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3")
    else {}
)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False}
