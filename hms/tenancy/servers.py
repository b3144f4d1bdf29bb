"""The database servers hospitals can live on: the embedded SQLite default and HMS_DATABASE_SERVERS.

HMS_DATABASE_SERVERS is a comma-separated list of `name=url`, for example
`main=postgres://hms@db1:5432/postgres?max_hospitals=800,east=postgres://hms@db2/postgres`.
The URL reaches the server directly (it is used to create and drop databases);
`max_hospitals` caps how many hospitals are placed there, `max_connections`
caps one process's connections to it, `spares=N` keeps N databases cloned
ahead of time, and `pgbouncer=host:port` sends the application's connections
through PgBouncer.

A server listed without `max_connections` is never asked for more connections than it
accepts: each process's allowance is read from the server (`SHOW max_connections`, less
the superuser's reserved slots and a reserve for administration, migrations and
monitoring), divided among HMS_APP_PROCESSES application processes, less the shared
database's own connection. A server behind PgBouncer has no such allowance by default: a
connection to PgBouncer is not a backend, and PgBouncer's own pools bound the server's
(docs/operations/postgresql.md).
"""

import functools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import environ
from django.conf import settings

from hms.tenancy.exceptions import StorageError

logger = logging.getLogger(__name__)

EMBEDDED_SERVER = "embedded"
# PostgreSQL's own defaults, assumed while a server cannot be asked (it is asked again later).
DEFAULT_MAX_CONNECTIONS = 100
DEFAULT_SUPERUSER_RESERVED = 3
# Kept free on each server for administration, migrations, backups and monitoring: a tenth
# of its connections, at least this many.
ADMIN_RESERVE_MIN = 5
# Each application process also holds a connection to the shared database (often on the
# same server) and, while provisioning, one to the server's maintenance database.
PER_PROCESS_OTHER = 2
_OWN_PARAMETERS = ("max_hospitals", "pgbouncer", "max_connections", "spares")


@dataclass(frozen=True)
class DatabaseServer:
    name: str
    vendor: str  # "sqlite" or "postgresql"
    admin: dict[str, Any] = field(default_factory=dict, repr=False)  # Django settings, maintenance db
    max_hospitals: int | None = None
    pgbouncer: tuple[str, int] | None = None
    max_connections: int | None = None  # per process
    spares: int = 0  # databases cloned ahead of time, so provisioning only renames one


def parse_servers(raw: str) -> dict[str, DatabaseServer]:
    """Parse HMS_DATABASE_SERVERS; raises ValueError with a message an operator can act on."""
    servers: dict[str, DatabaseServer] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, url = item.partition("=")
        name = name.strip()
        if not sep or not name or not url:
            raise ValueError(f"{item!r} is not name=url.")
        if not name.replace("_", "").replace("-", "").isalnum() or name == EMBEDDED_SERVER:
            raise ValueError(f"Server name {name!r} must be letters, digits, - or _ (and not 'embedded').")
        if name in servers:
            raise ValueError(f"Server {name!r} is listed twice.")
        servers[name] = _parse_server(name, url.strip())
    return servers


def _parse_server(name: str, url: str) -> DatabaseServer:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    own = {k: v for k, v in query if k in _OWN_PARAMETERS}
    rest = [(k, v) for k, v in query if k not in _OWN_PARAMETERS]
    try:
        admin = environ.Env.db_url_config(urlunsplit(parts._replace(query=urlencode(rest))))
    except Exception as exc:  # noqa: BLE001 - environ raises several kinds
        raise ValueError(f"Server {name!r}: cannot parse {url!r}: {exc}") from exc
    if admin.get("ENGINE") != "django.db.backends.postgresql":
        raise ValueError(f"Server {name!r} must be a postgres:// URL.")
    admin["NAME"] = admin.get("NAME") or "postgres"
    pgbouncer = None
    if own.get("pgbouncer"):
        host, _, port = own["pgbouncer"].rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"Server {name!r}: pgbouncer must be host:port.")
        pgbouncer = (host, int(port))
    return DatabaseServer(
        name=name,
        vendor="postgresql",
        admin=admin,
        max_hospitals=_positive(name, "max_hospitals", own.get("max_hospitals")),
        pgbouncer=pgbouncer,
        max_connections=_positive(name, "max_connections", own.get("max_connections")),
        spares=_positive(name, "spares", own.get("spares")) or 0,
    )


def _positive(server: str, key: str, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"Server {server!r}: {key} must be a positive whole number.")
    return int(value)


@functools.cache
def _cached(raw: str) -> dict[str, DatabaseServer]:
    return parse_servers(raw)


def configured_servers() -> dict[str, DatabaseServer]:
    """Servers from HMS_DATABASE_SERVERS (parsed once per distinct value)."""
    return _cached(getattr(settings, "HMS_DATABASE_SERVERS", "") or "")


def get_server(name: str) -> DatabaseServer:
    if name == EMBEDDED_SERVER:
        return DatabaseServer(name=EMBEDDED_SERVER, vendor="sqlite")
    try:
        return configured_servers()[name]
    except ValueError as exc:
        raise StorageError(f"HMS_DATABASE_SERVERS is invalid: {exc}") from exc
    except KeyError:
        raise StorageError(
            f"Database server {name!r} is not in HMS_DATABASE_SERVERS; a hospital on it cannot be reached."
        ) from None


@dataclass(frozen=True)
class ServerCapacity:
    """What a PostgreSQL server accepts: SHOW max_connections, less its reserved slots."""

    max_connections: int
    reserved: int  # superuser_reserved_connections (+ reserved_connections from PostgreSQL 16)
    measured: bool  # False: the server could not be asked; PostgreSQL's defaults are assumed

    @property
    def admin_reserve(self) -> int:
        return max(ADMIN_RESERVE_MIN, self.max_connections // 10)

    @property
    def for_applications(self) -> int:
        """Connections the application processes may share between them."""
        return max(0, self.max_connections - self.reserved - self.admin_reserve)


def app_processes() -> int:
    """Application processes sharing each server (HMS_APP_PROCESSES; gunicorn's workers by default)."""
    return max(1, int(getattr(settings, "HMS_APP_PROCESSES", 1) or 1))


_capacity_lock = threading.Lock()
_capacities: dict[tuple[Any, ...], ServerCapacity] = {}
_unreachable_until: dict[tuple[Any, ...], float] = {}
ASK_AGAIN_SECONDS = 30.0


def server_capacity(server: DatabaseServer) -> ServerCapacity:
    """The server's limits, asked once per process; PostgreSQL's defaults while it cannot be asked."""
    admin = server.admin
    key = (admin.get("HOST"), admin.get("PORT"), admin.get("USER"))
    found = _capacities.get(key)
    if found is not None:
        return found
    assumed = ServerCapacity(DEFAULT_MAX_CONNECTIONS, DEFAULT_SUPERUSER_RESERVED, measured=False)
    if time.monotonic() < _unreachable_until.get(key, 0.0):
        return assumed  # asked moments ago: a request does not wait for a server that is down
    from hms.tenancy.backends.postgresql import read_connection_limits

    try:
        max_connections, reserved = read_connection_limits(admin)
    except Exception as exc:  # noqa: BLE001 - unreachable, refused, or no permission: assume the defaults
        logger.warning("Could not read max_connections of database server %s: %s", server.name, exc)
        _unreachable_until[key] = time.monotonic() + ASK_AGAIN_SECONDS
        return assumed
    with _capacity_lock:
        return _capacities.setdefault(key, ServerCapacity(max_connections, reserved, measured=True))


def forget_capacities() -> None:
    """Ask the servers again (tests; a server restarted with another max_connections)."""
    with _capacity_lock:
        _capacities.clear()
        _unreachable_until.clear()


def process_allowance(server: DatabaseServer) -> int | None:
    """Connections one process may hold to `server`'s hospitals; None: no cap but the thread budget.

    The `max_connections` option if given; none for a server behind PgBouncer (a client
    connection to PgBouncer is not a backend); otherwise the server's own limit shared by
    HMS_APP_PROCESSES processes.
    """
    if server.max_connections is not None:
        return server.max_connections
    if server.pgbouncer is not None or server.vendor != "postgresql":
        return None
    return max(1, server_capacity(server).for_applications // app_processes() - PER_PROCESS_OTHER)
