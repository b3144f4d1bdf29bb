"""System checks (tenancy.E0xx / W0xx) for tenancy misconfiguration."""

import os
import re
from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register

ROUTER = "hms.tenancy.router.HospitalRouter"
MIDDLEWARE = "hms.tenancy.middleware.HospitalMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


@register("tenancy")
def check_tenancy_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    shared = set(getattr(settings, "SHARED_APPS", []))
    tenant = set(getattr(settings, "TENANT_APPS", []))
    if both := sorted(shared & tenant):
        errors.append(
            Error(
                f"Apps listed in both SHARED_APPS and TENANT_APPS: {', '.join(both)}.",
                hint="An app's tables live either in the shared database or in each hospital's.",
                id="tenancy.E001",
            )
        )
    if missing := sorted(tenant - set(settings.INSTALLED_APPS)):
        errors.append(
            Error(
                f"TENANT_APPS not in INSTALLED_APPS: {', '.join(missing)}.",
                hint="Add them to INSTALLED_APPS (base settings build it from both lists).",
                id="tenancy.E002",
            )
        )
    if ROUTER not in getattr(settings, "DATABASE_ROUTERS", []):
        errors.append(
            Error(
                f"{ROUTER} is not in DATABASE_ROUTERS.",
                hint="Without it tenant models would be read from the shared database.",
                id="tenancy.E003",
            )
        )
    middleware = list(getattr(settings, "MIDDLEWARE", []))
    if MIDDLEWARE not in middleware:
        errors.append(Error(f"{MIDDLEWARE} is not in MIDDLEWARE.", id="tenancy.E004"))
    elif AUTH_MIDDLEWARE not in middleware or middleware.index(AUTH_MIDDLEWARE) > middleware.index(
        MIDDLEWARE
    ):
        errors.append(
            Error(
                f"{MIDDLEWARE} must come after {AUTH_MIDDLEWARE}.",
                hint="It checks that the user belongs to the hospital in the URL.",
                id="tenancy.E005",
            )
        )
    data_dir = settings.HMS_DATA_DIR
    if data_dir.exists() and not os.access(data_dir, os.W_OK | os.X_OK):
        errors.append(
            Error(
                f"The data folder {data_dir} is not writable.",
                hint="Set HMS_DATA_DIR to a folder this process can write.",
                id="tenancy.E006",
            )
        )
    budget = getattr(settings, "HMS_MAX_TENANT_CONNECTIONS", 64)
    if not isinstance(budget, int) or budget < 1:
        errors.append(
            Error(
                f"HMS_MAX_TENANT_CONNECTIONS must be a positive integer, not {budget!r}.",
                id="tenancy.E007",
            )
        )
    elif budget < 4:
        errors.append(
            Warning(
                f"HMS_MAX_TENANT_CONNECTIONS={budget} will reopen connections often.",
                hint="Use at least the number of hospitals a worker serves in a minute.",
                id="tenancy.W001",
            )
        )
    errors.extend(_check_servers())
    return errors


def _check_servers() -> list[Any]:
    from hms.tenancy.servers import parse_servers

    try:
        parse_servers(getattr(settings, "HMS_DATABASE_SERVERS", "") or "")
    except ValueError as exc:
        return [
            Error(
                f"HMS_DATABASE_SERVERS is invalid: {exc}",
                hint="Use name=postgres://user:password@host:port/postgres, comma-separated.",
                id="tenancy.E008",
            )
        ]
    prefix = getattr(settings, "HMS_DATABASE_PREFIX", "hms_")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,19}", prefix or ""):
        return [
            Error(
                f"HMS_DATABASE_PREFIX {prefix!r} must be 1-20 lower-case letters, digits or _, "
                "starting with a letter.",
                id="tenancy.E009",
            )
        ]
    return []
