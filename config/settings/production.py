"""Production: no default secrets, secure cookies, HTTPS only, a second factor for administrators."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
# Refuses to start without it: environ raises ImproperlyConfigured naming the variable.
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
HMS_AUDIT_KEY = env.str("HMS_AUDIT_KEY")

SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
# HTTPS only. Behind a proxy that terminates TLS, name it in HMS_TRUSTED_PROXIES (then its
# X-Forwarded-Proto says whether the client used HTTPS); a proxy that itself redirects plain
# HTTP may instead turn the redirect off here (docs/security.md, "HTTPS").
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = env.list("DJANGO_SECURE_REDIRECT_EXEMPT", default=[])
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
# SECURE_PROXY_SSL_HEADER is set in base.py, only when HMS_TRUSTED_PROXIES names a proxy.

HMS_MFA_REQUIRED_ROLES = env.list("HMS_MFA_REQUIRED_ROLES", default=["ADMIN", "SUPERADMIN"])
# Reset links go by mail; never print them to a server's log by default.
vars().update(env.email_url("DJANGO_EMAIL_URL", default="smtp://localhost:25"))
