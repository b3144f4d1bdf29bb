"""Developer machine: debug on, a throwaway secret key unless one is given."""

from .base import *  # noqa: F403
from .base import LOGGING, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-secret")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])
HMS_AUDIT_KEY = env.str("HMS_AUDIT_KEY", default="local-development-audit-key-not-secret")

# Static files straight from the apps' folders: no collectstatic, no STATIC_ROOT to serve from.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None

# Plain log lines in a developer's terminal unless asked for JSON.
HMS_LOG_FORMAT = env.str("HMS_LOG_FORMAT", default="text")
LOGGING["handlers"]["console"]["formatter"] = "json" if HMS_LOG_FORMAT == "json" else "text"  # type: ignore[index]
