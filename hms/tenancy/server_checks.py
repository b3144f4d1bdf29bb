"""Database checks of PostgreSQL servers' connection allowances (tenancy.W010, tenancy.W011).

They ask each server for its max_connections and the registry for its hospitals, so they
are database checks: `manage.py migrate` and `manage.py check --database default` run them.
"""

from typing import Any

from django.core.checks import Tags, Warning, register
from django.db import DEFAULT_DB_ALIAS, DatabaseError
from django.db.models import Count

from hms.tenancy.budget import connections_per_thread
from hms.tenancy.servers import (
    PER_PROCESS_OTHER,
    DatabaseServer,
    app_processes,
    configured_servers,
    process_allowance,
    server_capacity,
)

GUIDE = "docs/operations/postgresql.md"


@register("tenancy", Tags.database)
def check_server_allowances(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[Any]:
    if not databases or DEFAULT_DB_ALIAS not in databases:
        return []
    from hms.hospitals.models import Hospital

    try:
        servers = configured_servers()
        active = dict(
            Hospital.objects.filter(status=Hospital.Status.ACTIVE, server__in=list(servers))
            .values_list("server")
            .annotate(count=Count("pk"))
        )
    except (DatabaseError, ValueError):
        return []  # no registry yet, or HMS_DATABASE_SERVERS invalid (tenancy.E008 says so)
    warnings: list[Any] = []
    for server in servers.values():
        warnings.extend(_check_server(server, int(active.get(server.name, 0))))
    return warnings


def _check_server(server: DatabaseServer, hospitals: int) -> list[Any]:
    capacity = server_capacity(server)
    if not capacity.measured:
        return []
    processes = app_processes()
    accepted = capacity.max_connections - capacity.reserved
    if server.pgbouncer is None and server.max_connections is not None:
        wanted = processes * (server.max_connections + PER_PROCESS_OTHER)
        if wanted > accepted:
            return [
                Warning(
                    f"Server {server.name}: {processes} application processes (HMS_APP_PROCESSES) x "
                    f"max_connections={server.max_connections}, plus their shared-database connections, "
                    f"ask for {wanted} connections but the server accepts {accepted}: under load, "
                    "hospitals beyond that are refused ('too many clients').",
                    hint=f"Remove max_connections from the server's URL (the allowance is then read from the "
                    f"server), lower it, or raise the server's max_connections ({GUIDE}).",
                    id="tenancy.W010",
                )
            ]
    if server.pgbouncer is None:
        allowance = process_allowance(server) or 0
        if hospitals > allowance * processes:
            return [
                Warning(
                    f"Server {server.name}: {hospitals} active hospitals, but the application processes "
                    f"may keep at most {allowance} connections each ({allowance * processes} in all): a "
                    "request for a hospital beyond them starts a new PostgreSQL backend.",
                    hint=f"Put PgBouncer in front of the server (the pgbouncer option) and size it for the "
                    f"fleet, or raise the server's max_connections ({GUIDE}).",
                    id="tenancy.W011",
                )
            ]
        return []
    budget = connections_per_thread()
    if hospitals > capacity.for_applications or hospitals > budget:
        short = (
            f"the server accepts {capacity.for_applications} backends for PgBouncer's pools"
            if hospitals > capacity.for_applications
            else f"each worker thread keeps at most {budget} hospital connections to PgBouncer"
        )
        return [
            Warning(
                f"Server {server.name}: {hospitals} active hospitals behind PgBouncer, but {short}: "
                "the fleet cannot stay warm.",
                hint=f"Size the server's max_connections and PgBouncer's pools for one backend per active "
                f"hospital, and HMS_MAX_TENANT_CONNECTIONS (or the open-files limit) for the hospitals a "
                f"worker serves ({GUIDE}).",
                id="tenancy.W011",
            )
        ]
    return []
