"""System checks (tenancy.E0xx / W0xx) for tenancy misconfiguration.

The fleet check (tenancy.W003) reads the registry, so it is a database check: it runs in
`manage.py migrate` and `manage.py check --database default`, not at every start.
"""

import os
import re
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DEFAULT_DB_ALIAS, DatabaseError

from hms.tenancy.budget import FILES_PER_CONNECTION, files_needed, tenant_connection_budget

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
    errors.extend(_check_budget())
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


def _check_budget() -> list[Any]:
    configured = getattr(settings, "HMS_MAX_TENANT_CONNECTIONS", None)
    if configured is None:
        return []  # what the process can hold (hms.tenancy.budget)
    if not isinstance(configured, int) or configured < 1:
        return [
            Error(
                f"HMS_MAX_TENANT_CONNECTIONS must be a positive integer, not {configured!r}.",
                hint="Or leave it unset: the budget is then what the open-files limit and memory allow.",
                id="tenancy.E007",
            )
        ]
    if configured < 4:
        return [
            Warning(
                f"HMS_MAX_TENANT_CONNECTIONS={configured} will reopen connections often.",
                hint="Use at least the number of hospitals a worker serves in a minute, or leave it unset.",
                id="tenancy.W001",
            )
        ]
    budget = tenant_connection_budget()
    if budget.open_files_limit is not None and budget.files_needed() > budget.open_files_limit:
        return [
            Warning(
                f"HMS_MAX_TENANT_CONNECTIONS={configured} ({budget.threads} thread(s) per worker) needs "
                f"up to {budget.files_needed()} open files per worker on SQLite, but this process may "
                f"open {budget.open_files_limit}: past that, hospitals fail with 'too many open files'.",
                hint=f"Raise the open-files limit (ulimit -n, systemd LimitNOFILE) to "
                f"{budget.files_needed()} or more, or lower HMS_MAX_TENANT_CONNECTIONS.",
                id="tenancy.W002",
            )
        ]
    return []


@register("tenancy", Tags.database)
def check_budget_covers_fleet(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[Any]:
    """Every active SQLite hospital fits in a worker's connection budget (tenancy.W003).

    Beyond the budget, a request for a hospital whose connection was closed reopens its
    database: a few milliseconds of CPU and disk each time (docs/benchmarks.md).
    """
    if not databases or DEFAULT_DB_ALIAS not in databases:
        return []
    from hms.hospitals.models import Hospital
    from hms.tenancy.servers import EMBEDDED_SERVER

    try:
        active = Hospital.objects.filter(status=Hospital.Status.ACTIVE, server=EMBEDDED_SERVER).count()
    except DatabaseError:
        return []  # no registry yet: migrate creates it
    budget = tenant_connection_budget()
    if active <= budget.connections:
        return []
    if budget.source == "HMS_MAX_TENANT_CONNECTIONS":
        how = f"Raise HMS_MAX_TENANT_CONNECTIONS to {active} or more"
    elif budget.source == "memory":
        how = (
            f"This machine's memory limits the automatic budget; set HMS_MAX_TENANT_CONNECTIONS={active} "
            "if the workers can spare about 1 MiB per hospital"
        )
    else:
        how = (
            f"Raise the open-files limit (ulimit -n, systemd LimitNOFILE) to at least "
            f"{files_needed(active, budget.threads)} (about {FILES_PER_CONNECTION} per hospital per thread)"
        )
    return [
        Warning(
            f"{active} active hospitals are stored in SQLite, but each worker thread keeps at most "
            f"{budget.connections} hospital connections open (from the {budget.source}): requests beyond "
            "them reopen a hospital's database every time, several milliseconds each.",
            hint=f"{how}; or, with several application servers, send each hospital's requests to one of "
            "them (hospital affinity at the load balancer).",
            id="tenancy.W003",
        )
    ]
