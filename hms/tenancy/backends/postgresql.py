"""PostgreSQL storage: one database per hospital (`hms_<code>`), cloned with CREATE DATABASE ... TEMPLATE.

Identifiers are composed with psycopg's `sql.Identifier`, never by string formatting.
The template of each schema fingerprint is kept with connections disallowed, so a
clone never waits for (or fails on) a session connected to the template.

Two name spaces that can never meet: a hospital's database is the prefix and its code
(`hms_th001`), and a code starts with a letter or digit; the engine's own databases
(templates, templates being built, spare clones) are the prefix and an underscore
(`hms__template_...`, `hms__spare_...`). A spare is dropped only if it is in that
name space, carries the spare pool's mark (a comment on the database) and no
hospital in the registry names it.
"""

import contextlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import psycopg
from psycopg import sql

from hms.tenancy.backends.base import Sink, StorageBackend
from hms.tenancy.codes import validate_hospital_code
from hms.tenancy.exceptions import DatabaseExists, StorageError
from hms.tenancy.servers import DatabaseServer

logger = logging.getLogger(__name__)

# The spare pool's own record, kept on each spare database (COMMENT ON DATABASE).
SPARE_MARK = "hms spare database: a clone of a schema template, no hospital's data"


def _registry_database_names(server: str) -> set[str]:
    """Databases the hospital registry places on `server`: never a spare, whatever their name."""
    from hms.hospitals.models import Hospital

    return set(Hospital.objects.filter(server=server).values_list("database_name", flat=True))


class PostgresStorage(StorageBackend):
    vendor = "postgresql"

    def __init__(self, server: DatabaseServer, prefix: str = "hms_") -> None:
        self.server = server
        self.prefix = prefix

    def database_name_for(self, code: str) -> str:
        return f"{self.prefix}{validate_hospital_code(code).lower()}"

    def connection_settings(self, database_name: str) -> dict[str, Any]:
        admin = self.server.admin
        host, port = admin.get("HOST", ""), admin.get("PORT", "")
        options: dict[str, Any] = {"connect_timeout": 5, **admin.get("OPTIONS", {})}
        behind_pgbouncer = self.server.pgbouncer is not None
        if behind_pgbouncer:
            host, port = self.server.pgbouncer  # type: ignore[misc]
            # Transaction pooling: no prepared statements or server-side cursors survive a transaction.
            options["prepare_threshold"] = None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": database_name,
            "USER": admin.get("USER", ""),
            "PASSWORD": admin.get("PASSWORD", ""),
            "HOST": host,
            "PORT": str(port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": None,
            "CONN_HEALTH_CHECKS": True,
            "DISABLE_SERVER_SIDE_CURSORS": behind_pgbouncer,
            "TEST": {"MIGRATE": False},
            "HMS_SERVER": self.server.name,
        }

    @property
    def internal_prefix(self) -> str:
        """The engine's own databases; no hospital code starts with an underscore."""
        return f"{self.prefix}_"

    def is_internal(self, database_name: str) -> bool:
        return database_name.startswith(self.internal_prefix)

    def template_name(self, fingerprint: str) -> str:
        if not fingerprint.isalnum():
            raise StorageError(f"Invalid schema fingerprint {fingerprint!r}.")
        return f"{self.internal_prefix}template_{fingerprint.lower()}"

    def is_template(self, database_name: str) -> bool:
        return database_name.startswith(f"{self.internal_prefix}template_")

    def template_location(self, fingerprint: str) -> str:
        admin = self.server.admin
        return f"{admin.get('HOST')}:{admin.get('PORT')}/{self.template_name(fingerprint)}"

    def template_exists(self, fingerprint: str) -> bool:
        return self.exists(self.template_name(fingerprint))

    def build_template(self, fingerprint: str, migrate: Callable[[dict[str, Any]], None]) -> None:
        final = self.template_name(fingerprint)
        building = f"{self.internal_prefix}building_{uuid.uuid4().hex[:16]}"
        self._execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(building))
        )
        try:
            settings = self.connection_settings(building)
            settings["HOST"], settings["PORT"] = (
                self.server.admin.get("HOST", ""),
                str(self.server.admin.get("PORT", "") or ""),
            )
            migrate(settings)
            self._execute(
                sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true").format(
                    sql.Identifier(building)
                )
            )
            # If another process published the same template first, ours is dropped below.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                self._execute(
                    sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                        sql.Identifier(building), sql.Identifier(final)
                    )
                )
        finally:
            self.drop(building)

    def create_from_template(self, database_name: str, fingerprint: str) -> None:
        if self.server.spares and self._claim_spare(database_name, fingerprint):
            return
        try:
            self._execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(database_name), sql.Identifier(self.template_name(fingerprint))
                )
            )
        except psycopg.errors.DuplicateDatabase as exc:
            raise DatabaseExists(f"Database {database_name} already exists on {self.server.name}.") from exc
        except psycopg.Error as exc:
            raise StorageError(f"Could not create {database_name} on {self.server.name}: {exc}") from exc

    def spare_prefix(self, fingerprint: str) -> str:
        if not fingerprint.isalnum():
            raise StorageError(f"Invalid schema fingerprint {fingerprint!r}.")
        return f"{self.internal_prefix}spare_{fingerprint.lower()}_"

    def _claim_spare(self, database_name: str, fingerprint: str) -> bool:
        """Rename a ready clone of the template to `database_name`; False if none is left."""
        if self.is_internal(database_name):
            raise StorageError(f"{database_name} is in the engine's own name space, not a hospital's.")
        with self._admin() as connection:
            for spare in self._spares(connection, self.spare_prefix(fingerprint)):
                try:
                    connection.execute(
                        sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                            sql.Identifier(spare), sql.Identifier(database_name)
                        )
                    )
                except (psycopg.errors.InvalidCatalogName, psycopg.errors.ObjectInUse):
                    continue  # another provisioner took it
                except psycopg.errors.DuplicateDatabase as exc:
                    raise DatabaseExists(
                        f"Database {database_name} already exists on {self.server.name}."
                    ) from exc
                # A hospital's database now: it no longer carries the spare pool's mark.
                connection.execute(
                    sql.SQL("COMMENT ON DATABASE {} IS NULL").format(sql.Identifier(database_name))
                )
                return True
        return False

    def _spares(self, connection: psycopg.Connection[Any], prefix: str) -> list[str]:
        """Databases the spare pool made and marked, whose names start with `prefix`."""
        rows = connection.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s) "
            "AND shobj_description(oid, 'pg_database') = %s ORDER BY datname",
            [prefix, SPARE_MARK],
        ).fetchall()
        return [row[0] for row in rows]

    def spares_replenish(self, fingerprint: str) -> int:
        """Clone the template until `spares` clones are ready; drop clones of older schemas.

        One refill per server at a time (a session advisory lock on the admin
        connection); a refill that finds another running leaves the work to it.
        Only a database that is in the engine's name space, marked as a spare and
        named by no hospital in the registry is ever dropped.
        """
        if not self.server.spares:
            return 0
        current = self.spare_prefix(fingerprint)
        made = 0
        with self._admin() as connection:
            lock = connection.execute(
                "SELECT pg_try_advisory_lock(hashtext(%s))", [f"{self.prefix}spares"]
            ).fetchone()
            if not lock or not lock[0]:
                return 0
            try:
                spares = self._spares(connection, f"{self.internal_prefix}spare_")
                owned = _registry_database_names(self.server.name)
                for stale in (name for name in spares if not name.startswith(current)):
                    if stale in owned:
                        logger.warning(
                            "Not dropping %s: the registry names it as a hospital's database", stale
                        )
                        continue
                    connection.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(stale))
                    )
                for _ in range(self.server.spares - sum(name.startswith(current) for name in spares)):
                    name = sql.Identifier(f"{current}{uuid.uuid4().hex[:12]}")
                    connection.execute(
                        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                            name, sql.Identifier(self.template_name(fingerprint))
                        )
                    )
                    connection.execute(
                        sql.SQL("COMMENT ON DATABASE {} IS {}").format(name, sql.Literal(SPARE_MARK))
                    )
                    made += 1
            finally:
                connection.execute("SELECT pg_advisory_unlock(hashtext(%s))", [f"{self.prefix}spares"])
        return made

    def exists(self, database_name: str) -> bool:
        with self._admin() as connection:
            row = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [database_name]
            ).fetchone()
        return row is not None

    def database_names(self) -> list[str]:
        """Every database on the server that this deployment's prefix names."""
        with self._admin() as connection:
            rows = connection.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s) ORDER BY datname",
                [self.prefix],
            ).fetchall()
        return [row[0] for row in rows]

    def drop(self, database_name: str) -> None:
        name = sql.Identifier(database_name)
        with self._admin() as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [database_name]
            ).fetchone()
            if exists:
                connection.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(name))
                connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))

    def size(self, database_name: str) -> int | None:
        with self._admin() as connection:
            row = connection.execute(
                "SELECT pg_database_size(datname) FROM pg_database WHERE datname = %s", [database_name]
            ).fetchone()
        return None if row is None else int(row[0])

    def backup(self, database_name: str, write: Sink, work_dir: Path) -> tuple[dict[str, int], bool]:
        return pg_backup(_direct(self.server.admin, database_name), write), True

    def _name(self, code: str, kind: str, stamp: str) -> str:
        if not stamp.isalnum():
            raise StorageError(f"Invalid stamp {stamp!r}.")
        name = f"{self.database_name_for(code)}__{kind}{stamp.lower()}"
        if len(name.encode()) > 63:  # PostgreSQL would cut it short silently
            raise StorageError(f"Database name {name} is longer than PostgreSQL's 63 bytes.")
        return name

    def restore_name(self, code: str, stamp: str) -> str:
        return self._name(code, "r", stamp)

    def scratch_name(self, code: str, token: str) -> str:
        if not token.isalnum():
            raise StorageError(f"Invalid token {token!r}.")
        return f"{self.internal_prefix}drill_{token.lower()}"

    def restore(self, database_name: str, chunks: Iterable[bytes]) -> dict[str, int]:
        name = sql.Identifier(database_name)
        try:
            self._execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(name))
        except psycopg.errors.DuplicateDatabase as exc:
            raise DatabaseExists(f"Database {database_name} already exists on {self.server.name}.") from exc
        except psycopg.Error as exc:
            raise StorageError(f"Could not create {database_name} on {self.server.name}: {exc}") from exc
        try:
            conninfo = _direct(self.server.admin, database_name)
            pg_restore(conninfo, chunks)
            return pg_row_counts(conninfo)
        except BaseException:
            with contextlib.suppress(Exception):
                self.drop(database_name)
            raise

    def keep_replaced(self, code: str, database_name: str, stamp: str) -> str:
        kept = self._name(code, "old", stamp)
        with self._admin() as connection:
            # Workers' connections to the replaced database are stale once the registry switched.
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [database_name],
            )
            connection.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(database_name), sql.Identifier(kept)
                )
            )
        return kept

    def restore_leftovers(self, code: str, in_use: set[str]) -> list[str]:
        pattern = re.compile(rf"^{re.escape(self.database_name_for(code))}__r[0-9a-z]+$")
        removed = []
        owned = _registry_database_names(self.server.name) | in_use
        for name in self.database_names():
            if pattern.match(name) and name not in owned:
                self.drop(name)
                removed.append(name)
        return removed

    def _execute(self, statement: sql.Composed) -> None:
        with self._admin() as connection:
            connection.execute(statement)

    @contextlib.contextmanager
    def _admin(self) -> Iterator[psycopg.Connection[Any]]:
        """An autocommit connection to the server's maintenance database, kept per thread."""
        admin = self.server.admin
        key = (admin.get("HOST"), admin.get("PORT"), admin.get("USER"), admin.get("NAME"))
        cache: dict[Any, psycopg.Connection[Any]] = _admin_connections.__dict__.setdefault("by_server", {})
        connection = cache.pop(key, None)
        if connection is None or connection.closed or connection.broken:
            try:
                connection = psycopg.connect(
                    host=admin.get("HOST") or None,
                    port=admin.get("PORT") or None,
                    user=admin.get("USER") or None,
                    password=admin.get("PASSWORD") or None,
                    dbname=admin.get("NAME") or "postgres",
                    autocommit=True,
                    connect_timeout=10,
                )
            except psycopg.OperationalError as exc:
                raise StorageError(f"Cannot reach database server {self.server.name}: {exc}") from exc
        try:
            yield connection
        except psycopg.OperationalError:
            connection.close()
            raise
        cache[key] = connection  # only a connection that just worked is kept


def read_connection_limits(admin: dict[str, Any]) -> tuple[int, int]:
    """(max_connections, slots reserved for superusers and pg_use_reserved_connections) of a server."""
    conninfo = {**_direct(admin, admin.get("NAME") or "postgres"), **admin.get("OPTIONS", {})}
    with psycopg.connect(**conninfo, connect_timeout=5) as connection:
        row = connection.execute(
            "SELECT current_setting('max_connections')::int, "
            "current_setting('superuser_reserved_connections')::int "
            "+ coalesce(current_setting('reserved_connections', true), '0')::int"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _direct(admin: dict[str, Any], database_name: str) -> dict[str, Any]:
    """Connection settings straight to the server (never through PgBouncer: pg_dump needs a session)."""
    return {
        "host": admin.get("HOST") or None,
        "port": str(admin.get("PORT") or "") or None,
        "user": admin.get("USER") or None,
        "password": admin.get("PASSWORD") or None,
        "dbname": database_name,
    }


def django_conninfo(settings_dict: dict[str, Any]) -> dict[str, Any]:
    """The same, from a Django DATABASES entry (the shared database)."""
    return _direct(settings_dict, settings_dict["NAME"])


def pg_tool(name: str, conninfo: dict[str, Any]) -> str:
    """pg_dump or pg_restore of the server's major version: HMS_PG_BIN_DIR, Debian's folder, PATH."""
    from django.conf import settings

    with psycopg.connect(**conninfo, connect_timeout=10) as connection:
        row = connection.execute("SHOW server_version_num").fetchone()
    major = int(row[0]) // 10000 if row else 0
    candidates = []
    if configured := getattr(settings, "HMS_PG_BIN_DIR", ""):
        candidates.append(Path(configured) / name)
    candidates.append(Path(f"/usr/lib/postgresql/{major}/bin/{name}"))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise StorageError(
        f"{name} for PostgreSQL {major} was not found: install Debian's postgresql-client-{major} "
        "or set HMS_PG_BIN_DIR to the folder that holds it."
    )


def _tool_env(conninfo: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, variable in (
        ("host", "PGHOST"),
        ("port", "PGPORT"),
        ("user", "PGUSER"),
        ("password", "PGPASSWORD"),
    ):
        if conninfo.get(key):
            env[variable] = str(conninfo[key])
    env["PGCONNECT_TIMEOUT"] = "10"
    return env


def pg_row_counts(
    conninfo: dict[str, Any], connection: psycopg.Connection[Any] | None = None
) -> dict[str, int]:
    """Rows of each table in the public schema (inside `connection`'s snapshot when given)."""

    def count(conn: psycopg.Connection[Any]) -> dict[str, int]:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        counts = {}
        for table in tables:
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("public", table))
            ).fetchone()
            counts[table] = int(row[0]) if row else 0
        return counts

    if connection is not None:
        return count(connection)
    with psycopg.connect(**conninfo, connect_timeout=10, autocommit=True) as own:
        return count(own)


def pg_backup(conninfo: dict[str, Any], write: Sink) -> dict[str, int]:
    """`pg_dump -Fc` of one database, fed to `write`; the rows per table of the same snapshot.

    The row counts and the dump read one exported snapshot (REPEATABLE READ), so they
    describe the same moment even while the hospital keeps writing.
    """
    tool = pg_tool("pg_dump", conninfo)
    try:
        connection = psycopg.connect(**conninfo, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise StorageError(f"Cannot reach database {conninfo['dbname']}: {exc}") from exc
    with connection:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        row = connection.execute("SELECT pg_export_snapshot()").fetchone()
        snapshot = row[0] if row else ""
        rows = pg_row_counts(conninfo, connection)
        dump = ["--format=custom", f"--snapshot={snapshot}"]
        with _tool_run(
            tool, dump, conninfo, f"pg_dump of {conninfo['dbname']}", stdout=subprocess.PIPE
        ) as process:
            assert process.stdout is not None
            while chunk := process.stdout.read(1 << 20):
                write(chunk)
        connection.rollback()
    return rows


def pg_restore(conninfo: dict[str, Any], chunks: Iterable[bytes]) -> None:
    """`pg_restore` a custom-format dump from `chunks` into the (new, empty) database, in one transaction."""
    tool = pg_tool("pg_restore", conninfo)
    restore = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    with _tool_run(
        tool, restore, conninfo, f"pg_restore into {conninfo['dbname']}", stdin=subprocess.PIPE
    ) as process:
        assert process.stdin is not None
        try:
            for chunk in chunks:
                process.stdin.write(chunk)
            process.stdin.close()
        except BrokenPipeError:
            pass  # pg_restore stopped reading: its exit status says why


@contextlib.contextmanager
def _tool_run(
    tool: str, options: list[str], conninfo: dict[str, Any], doing: str, **streams: Any
) -> Iterator["subprocess.Popen[bytes]"]:
    """Run a PostgreSQL client tool with `options` on the database, for the caller to feed or
    read (`streams`: stdin or stdout as pipes); killed if the caller fails, StorageError naming
    `doing` and the end of what the tool said if it exits non-zero."""
    command = [tool, *options, "--no-password", f"--dbname={conninfo['dbname']}"]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stderr=errors, env=_tool_env(conninfo), **streams)  # noqa: S603 - fixed arguments
        try:
            yield process
        except BaseException:
            process.kill()
            process.wait()
            raise
        status = process.wait()
        if status != 0:
            raise StorageError(f"{doing} failed ({status}): {_tail(errors)}")


def _tail(stream: IO[bytes]) -> str:
    stream.seek(0)
    text = stream.read().decode("utf-8", "replace").strip()
    return " ".join(text[-800:].split()) or "no message"


# Admin connections, per thread; a forked child must never use (or close) its parent's.
_admin_connections = threading.local()
_inherited: list[Any] = []


def _forget_admin_connections_in_child() -> None:
    # Closing them would end the parent's sessions; keep them unreferenced-but-alive instead.
    _inherited.append(_admin_connections.__dict__.pop("by_server", None))


os.register_at_fork(after_in_child=_forget_admin_connections_in_child)
