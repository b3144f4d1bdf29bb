"""Settings shared by every environment; values come from the environment (django-environ)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# The data folder of the embedded default: shared.sqlite3, hospitals/<CODE>/db.sqlite3,
# schema templates and backups.
HMS_DATA_DIR = Path(env.path("HMS_DATA_DIR", default=str(BASE_DIR / "var")))
HMS_TEMPLATE_DIR = Path(env.path("HMS_TEMPLATE_DIR", default=str(HMS_DATA_DIR / "templates")))

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# Shared apps live in the default database; tenant apps in each hospital's own.
SHARED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "hms.core",
    "hms.tenancy",
    "hms.hospitals",
    "hms.accounts",
    "hms.security",
    "hms.web",
    "hms.demo",
]
TENANT_APPS = [
    "hms.audit",
    "hms.patients",
    "hms.staff",
    "hms.scheduling",
    "hms.encounters",
    "hms.orders",
    "hms.billing",
]
INSTALLED_APPS = SHARED_APPS + TENANT_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hms.tenancy.middleware.HospitalMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "hms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hms.web.navigation.navigation",
            ],
        },
    },
]

# SQLite settings for every embedded database: WAL, a busy timeout, IMMEDIATE
# transactions (so writers queue instead of failing on lock upgrade).
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
}

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{HMS_DATA_DIR / 'shared.sqlite3'}"),
}
# Keep the shared database's connection between requests (opening one per request
# halved the throughput measured in bench/pg_throughput.py); checked before reuse.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
DATABASE_ROUTERS = ["hms.tenancy.router.HospitalRouter"]

# Idle tenant connections a process keeps open; the least recently used is
# closed first when a hospital beyond the budget is used.
HMS_MAX_TENANT_CONNECTIONS = env.int("HMS_MAX_TENANT_CONNECTIONS", default=64)

# PostgreSQL servers hospitals are placed on: "name=postgres://...,name=postgres://...".
# Empty: every hospital uses the embedded SQLite storage under HMS_DATA_DIR.
HMS_DATABASE_SERVERS = env.str("HMS_DATABASE_SERVERS", default="")
# A worker that meets a hospital migrated past its code restarts itself once every
# hospital is migrated (gunicorn only; docs/operations/README.md, "Upgrading"), but
# not within its first HMS_WORKER_MIN_LIFETIME seconds (no restart loops).
HMS_RESTART_WORKERS_ON_UPGRADE = env.bool("HMS_RESTART_WORKERS_ON_UPGRADE", default=True)
HMS_WORKER_MIN_LIFETIME = env.float("HMS_WORKER_MIN_LIFETIME", default=30.0)
# Prefix of every database this deployment creates on those servers.
HMS_DATABASE_PREFIX = env.str("HMS_DATABASE_PREFIX", default="hms_")

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(HMS_DATA_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "hms" / "static"]
# Served by WhiteNoise from STATIC_ROOT (`manage.py collectstatic`), compressed there; on a
# developer machine and in tests straight from the apps' folders (WHITENOISE_USE_FINDERS).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}
HMS_DEMO_PASSWORD = env("HMS_DEMO_PASSWORD", default="")

# The key of the audit logs' and the security log's HMAC chains (docs/security.md). It is
# never stored in a database: whoever can write a database but lacks the key cannot forge a
# row the chain accepts. Old keys stay in HMS_AUDIT_KEY_FALLBACKS until their rows are
# archived, so rotating the key breaks no chain. Production refuses to start without it.
HMS_AUDIT_KEY = env.str("HMS_AUDIT_KEY", default="")
HMS_AUDIT_KEY_FALLBACKS = env.list("HMS_AUDIT_KEY_FALLBACKS", default=[])
