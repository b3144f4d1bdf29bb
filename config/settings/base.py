"""Settings shared by every environment; values come from the environment (django-environ)."""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# The data folder of the embedded default: shared.sqlite3, hospitals/<CODE>/db.sqlite3,
# schema templates and backups.
HMS_DATA_DIR = Path(env.path("HMS_DATA_DIR", default=str(BASE_DIR / "var")))
HMS_TEMPLATE_DIR = Path(env.path("HMS_TEMPLATE_DIR", default=str(HMS_DATA_DIR / "templates")))

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
# Old keys, still accepted for what they signed (sessions, password reset links): rotating
# the key with the old one here signs nobody out (docs/operations/install.md, "Secrets").
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
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
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "hms.core",
    "hms.tenancy",
    "hms.hospitals",
    "hms.accounts",
    "hms.security",
    "hms.web",
    "hms.demo",
    "hms.ops",
    "hms.platform",
    # The REST API (hms/api, docs/api.md): DRF, tokens, filters, the OpenAPI schema and its docs page.
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "hms.api",
    "hms.fhir",
]
TENANT_APPS = [
    "hms.audit",
    "hms.clinical",
    "hms.patients",
    "hms.care",
    "hms.staff",
    "hms.scheduling",
    "hms.alerts",
    "hms.encounters",
    "hms.orders",
    "hms.billing",
]
INSTALLED_APPS = SHARED_APPS + TENANT_APPS

MIDDLEWARE = [
    # Forwarded headers from anyone but a trusted proxy are dropped before anything reads them.
    "hms.accounts.headers.ProxyHeadersMiddleware",
    # /healthz, /readyz and /metrics, before the host check and the HTTPS redirect (hms/ops/health.py).
    "hms.ops.health.OperationsEndpointsMiddleware",
    # A request id and one access line per request; counts and times every response.
    "hms.ops.logs.RequestLogMiddleware",
    "hms.ops.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "hms.accounts.headers.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # /api/ and /fhir/: a session cookie signs nobody in (hms/api/auth.py); the token does, below.
    "hms.api.auth.ApiSessionIgnoredMiddleware",
    "hms.security.actor.ActingUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Idle and absolute session limits, then the second factor, before any page runs.
    "hms.accounts.sessions.SessionLimitsMiddleware",
    "hms.accounts.mfa.SecondFactorMiddleware",
    # /api/ and /fhir/: the bearer token's user is the request's user (no session counts there).
    "hms.api.auth.ApiTokenMiddleware",
    "hms.ops.logs.RequestUserMiddleware",
    # FHIR's bearer tokens and unauthenticated metadata, before the hospital is checked (hms/fhir).
    "hms.fhir.middleware.FhirMiddleware",
    "hms.tenancy.middleware.HospitalMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
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

# Idle tenant connections each thread of a worker keeps open; the least recently used is
# closed first when a hospital beyond the budget is used. Unset: what the open-files limit
# and memory leave room for (hms/tenancy/budget.py), shared by HMS_WORKER_THREADS threads.
HMS_MAX_TENANT_CONNECTIONS = env.int("HMS_MAX_TENANT_CONNECTIONS", default=None)
HMS_WORKER_THREADS = env.int("HMS_WORKER_THREADS", default=1)
# Application processes sharing each PostgreSQL server listed without max_connections: each
# process's allowance is the server's max_connections, less reserves, divided by this
# (hms/tenancy/servers.py). Default: gunicorn's workers (deploy/gunicorn.conf.py sets it; else
# WEB_CONCURRENCY, 4).
HMS_APP_PROCESSES = env.int("HMS_APP_PROCESSES", default=env.int("WEB_CONCURRENCY", default=4))
# How long a request waits for a connection slot to a server whose allowance is in use by
# other threads before it is answered 503.
HMS_CONNECTION_WAIT_SECONDS = env.float("HMS_CONNECTION_WAIT_SECONDS", default=5.0)

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
# Axes first: a locked-out account or address is refused before its password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Argon2 for every new password; the others only read old hashes, which are re-hashed
# with Argon2 at the user's next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

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

# Logs go to standard error, one line per record: JSON objects (time, level, logger, message,
# request_id, hospital, user_id) or, with HMS_LOG_FORMAT=text, plain lines (hms/ops/logs.py).
HMS_LOG_FORMAT = env.str("HMS_LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # No query strings in logs: a search holds a patient's name (hms/core/logfilters.py).
        "no_query_strings": {"()": "hms.core.logfilters.DropQueryStrings"},
        "request_context": {"()": "hms.ops.logs.RequestContextFilter"},
    },
    "formatters": {
        "json": {"()": "hms.ops.logs.JsonFormatter"},
        "text": {"()": "hms.ops.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["no_query_strings", "request_context"],
            "formatter": "text" if HMS_LOG_FORMAT == "text" else "json",  # anything else: check ops.E002
        }
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # Axes logs every sign-in at INFO; the security log has them. Failures and locks stay.
    "loggers": {
        "axes": {"level": "WARNING"},
        # The development server's request lines, through the filtered handler.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
# A hospital whose database fails is logged once per this many seconds (per worker), not per request.
HMS_FAULT_LOG_SECONDS = env.float("HMS_FAULT_LOG_SECONDS", default=60.0)

# Who may read /metrics (addresses or networks, as hms.core.http.client_address sees the
# client: behind a proxy named in HMS_TRUSTED_PROXIES, the address it forwards). Loopback only
# by default; give Prometheus's address. docs/operations/monitoring.md.
HMS_METRICS_ALLOWED = env.list("HMS_METRICS_ALLOWED", default=["127.0.0.0/8", "::1"])
# The backup age metric rescans the backup manifests at most this often.
HMS_METRICS_BACKUP_SCAN_SECONDS = env.float("HMS_METRICS_BACKUP_SCAN_SECONDS", default=300.0)
HMS_DEMO_PASSWORD = env("HMS_DEMO_PASSWORD", default="")

# The key of the audit logs' and the security log's HMAC chains (docs/security.md). It is
# never stored in a database: whoever can write a database but lacks the key cannot forge a
# row the chain accepts. Old keys stay in HMS_AUDIT_KEY_FALLBACKS until their rows are
# archived, so rotating the key breaks no chain. Production refuses to start without it.
HMS_AUDIT_KEY = env.str("HMS_AUDIT_KEY", default="")
HMS_AUDIT_KEY_FALLBACKS = env.list("HMS_AUDIT_KEY_FALLBACKS", default=[])

# Break-the-glass lasts this long (ADR 0011); a walk-in's care assignment, until ended by
# hand or this many hours.
HMS_EMERGENCY_ACCESS_MINUTES = env.int("HMS_EMERGENCY_ACCESS_MINUTES", default=60)
HMS_CARE_ASSIGNMENT_HOURS = env.int("HMS_CARE_ASSIGNMENT_HOURS", default=24)
# This site's address as people reach it ("https://hms.example.org"), for the links in alert
# e-mails sent outside a request (the escalation command); empty, they are paths only.
HMS_SITE_URL = env.str("HMS_SITE_URL", default="")

# --- Authentication and sessions (docs/security.md) ---------------------------------------

# Failed sign-ins (django-axes; its tables live in the shared database). An account is locked
# after HMS_LOCKOUT_FAILURES failures, a client address after HMS_LOCKOUT_ADDRESS_FAILURES
# (higher: a hospital's staff often share one address), both counted over the last
# HMS_LOCKOUT_MINUTES; a lock ends by itself that long after the failure that set it (tries
# while locked do not extend it), and the hospital's administrator can clear it sooner.
HMS_LOCKOUT_FAILURES = env.int("HMS_LOCKOUT_FAILURES", default=5)
HMS_LOCKOUT_ADDRESS_FAILURES = env.int("HMS_LOCKOUT_ADDRESS_FAILURES", default=30)
HMS_LOCKOUT_MINUTES = env.int("HMS_LOCKOUT_MINUTES", default=15)
AXES_ENABLED = env.bool("HMS_LOCKOUT_ENABLED", default=True)
AXES_FAILURE_LIMIT = HMS_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=HMS_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "hms.accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "hms.core.http.client_address"
AXES_LOCKOUT_CALLABLE = "hms.accounts.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the security log (hms.security)
AXES_ENABLE_ADMIN = True
AXES_VERBOSE = False

# Second factor (django-otp): TOTP with recovery codes. Roles listed here must set one up
# before any page; anyone else may. Production requires it of ADMIN and SUPERADMIN.
HMS_MFA_REQUIRED_ROLES = env.list("HMS_MFA_REQUIRED_ROLES", default=[])
OTP_TOTP_ISSUER = env.str("HMS_MFA_ISSUER", default="HMS")
HMS_MFA_RECOVERY_CODES = 10

# Automatic logoff: after this many minutes without a request (staff; patients have their
# own value), and at the latest this many hours after signing in, whatever the activity.
HMS_SESSION_IDLE_MINUTES = env.int("HMS_SESSION_IDLE_MINUTES", default=15)
HMS_PATIENT_SESSION_IDLE_MINUTES = env.int("HMS_PATIENT_SESSION_IDLE_MINUTES", default=30)
HMS_SESSION_MAX_HOURS = env.int("HMS_SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = HMS_SESSION_MAX_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Password reset links work once, for this long.
PASSWORD_RESET_TIMEOUT = env.int("HMS_PASSWORD_RESET_MINUTES", default=60) * 60
# Mail (password reset links): a URL such as smtp+tls://user:password@mail.example.org:587;
# the console (standard output) unless given.
vars().update(env.email_url("DJANGO_EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="hms@localhost")

# --- Browser and transport ----------------------------------------------------------------

# Proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto are believed.
# Empty: the client is the peer of the connection, and those headers are ignored.
HMS_TRUSTED_PROXIES = env.list("HMS_TRUSTED_PROXIES", default=[])
if HMS_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# A strict Content Security Policy: no inline script or style, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Backups (hms/tenancy/backups, docs/operations/backup.md) ---------------------------------

# Where backups and their manifests go: one folder per hospital, `_shared` for the shared database.
HMS_BACKUP_DIR = Path(env.path("HMS_BACKUP_DIR", default=str(HMS_DATA_DIR / "backups")))
# One key file per hospital; never inside a database, and best not on the backups' disk either.
HMS_BACKUP_KEY_DIR = Path(env.path("HMS_BACKUP_KEY_DIR", default=str(HMS_DATA_DIR / "backup-keys")))
# Optional: a base64 32-byte key that wraps every key file (keep it in a secret store).
HMS_BACKUP_MASTER_KEY = env.str("HMS_BACKUP_MASTER_KEY", default="")
# check_hospitals reports a hospital whose newest backup is older than this (0: never).
HMS_BACKUP_MAX_AGE_HOURS = env.float("HMS_BACKUP_MAX_AGE_HOURS", default=26.0)
# Where pg_dump and pg_restore are; empty: /usr/lib/postgresql/<server major>/bin, then PATH.
HMS_PG_BIN_DIR = env.str("HMS_PG_BIN_DIR", default="")
# The module whose chain_check() and chain_restored_accept() verify a restored audit
# chain and record the restore (the engine imports no clinical app, so it is named here).
HMS_RESTORE_CHAIN_HOOKS = "hms.audit.backups"

# --- REST API (hms/api, docs/api.md) ---------------------------------------------------------

# How long a token from POST /api/v1/auth/token lasts; it dies sooner with its account's
# password or active flag. Session idle and absolute limits do not apply to tokens.
HMS_API_TOKEN_HOURS = env.int("HMS_API_TOKEN_HOURS", default=8)
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": timedelta(hours=HMS_API_TOKEN_HOURS),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": None,
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["hms.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["hms.api.permissions.TokenHolder"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "hms.api.pagination.StableCursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "hms.api.errors.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_VERSIONING_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HMS REST API",
    "DESCRIPTION": (
        "The hospital management system's REST API. Obtain a token with POST /api/v1/auth/token and "
        "send it as `Authorization: Bearer <token>`. Every failure answers an "
        "application/problem+json body (the Problem schema). See docs/api.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # `<id:...>` in addresses (hms.core.converters): a positive 64-bit record id.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "hms.api.schema.problem_responses_add",
    ],
    "ENUM_NAME_OVERRIDES": {
        # Several records have a "status" (or a "flag"): each its own name in the schema.
        "AppointmentStatusEnum": "hms.scheduling.models.Appointment.Status",
        "EncounterStatusEnum": "hms.encounters.models.Encounter.Status",
        "AllergyStatusEnum": "hms.encounters.models.Allergy.Status",
        "NoteStatusEnum": "hms.encounters.models.ClinicalNote.Status",
        "ProblemStatusEnum": "hms.encounters.models.ProblemListItem.Status",
        "ObservationFlagEnum": "hms.encounters.models.Observation.Flag",
        "PrescriptionStatusEnum": "hms.orders.models.Prescription.Status",
        "LabOrderStatusEnum": "hms.orders.models.LabOrder.Status",
        "LabResultFlagEnum": "hms.orders.models.LabResult.Flag",
        "InvoiceStatusEnum": "hms.billing.models.Invoice.Status",
        "HospitalStatusEnum": "hms.hospitals.models.Hospital.Status",
        "AllergyCategoryEnum": "hms.encounters.models.Allergy.Category",
        "PriceCategoryEnum": "hms.billing.models.PriceListItem.Category",
        "CriticalAlertStateEnum": "hms.alerts.models.CriticalAlert.State",
    },
}
