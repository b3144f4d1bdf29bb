"""The database servers hospitals can live on: the embedded SQLite default and HMS_DATABASE_SERVERS.

HMS_DATABASE_SERVERS is a comma-separated list of `name=url`, for example
`main=postgres://hms@db1:5432/postgres?max_hospitals=800,east=postgres://hms@db2/postgres`.
The URL reaches the server directly (it is used to create and drop databases);
`max_hospitals` caps how many hospitals are placed there, `max_connections`
caps one process's connections to it, `spares=N` keeps N databases cloned
ahead of time, and `pgbouncer=host:port` sends the application's connections
through PgBouncer.
"""

import functools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import environ
from django.conf import settings

from hms.tenancy.exceptions import StorageError

EMBEDDED_SERVER = "embedded"
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
