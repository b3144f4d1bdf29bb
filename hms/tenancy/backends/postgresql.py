"""PostgreSQL storage: one database per hospital (`hms_<code>`), cloned with CREATE DATABASE ... TEMPLATE.

Identifiers are composed with psycopg's `sql.Identifier`, never by string formatting.
The template of each schema fingerprint is kept with connections disallowed, so a
clone never waits for (or fails on) a session connected to the template.
"""

import contextlib
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from psycopg import sql

from hms.tenancy.backends.base import StorageBackend
from hms.tenancy.codes import validate_hospital_code
from hms.tenancy.exceptions import DatabaseExists, StorageError
from hms.tenancy.servers import DatabaseServer


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

    def template_name(self, fingerprint: str) -> str:
        if not fingerprint.isalnum():
            raise StorageError(f"Invalid schema fingerprint {fingerprint!r}.")
        return f"{self.prefix}template_{fingerprint.lower()}"

    def template_location(self, fingerprint: str) -> str:
        admin = self.server.admin
        return f"{admin.get('HOST')}:{admin.get('PORT')}/{self.template_name(fingerprint)}"

    def template_exists(self, fingerprint: str) -> bool:
        return self.exists(self.template_name(fingerprint))

    def build_template(self, fingerprint: str, migrate: Callable[[dict[str, Any]], None]) -> None:
        final = self.template_name(fingerprint)
        building = f"{self.prefix}building_{uuid.uuid4().hex[:16]}"
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
        return f"{self.prefix}spare_{fingerprint.lower()}_"

    def _claim_spare(self, database_name: str, fingerprint: str) -> bool:
        """Rename a ready clone of the template to `database_name`; False if none is left."""
        with self._admin() as connection:
            spares = connection.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s) ORDER BY datname",
                [self.spare_prefix(fingerprint)],
            ).fetchall()
            for (spare,) in spares:
                try:
                    connection.execute(
                        sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                            sql.Identifier(spare), sql.Identifier(database_name)
                        )
                    )
                except (psycopg.errors.UndefinedDatabase, psycopg.errors.ObjectInUse):
                    continue  # another provisioner took it
                except psycopg.errors.DuplicateDatabase as exc:
                    raise DatabaseExists(
                        f"Database {database_name} already exists on {self.server.name}."
                    ) from exc
                return True
        return False

    def spares_replenish(self, fingerprint: str) -> int:
        """Clone the template until `spares` clones are ready; drop clones of older schemas.

        One refill per server at a time (a session advisory lock on the admin
        connection); a refill that finds another running leaves the work to it.
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
                names = [
                    row[0]
                    for row in connection.execute(
                        "SELECT datname FROM pg_database WHERE starts_with(datname, %s)",
                        [f"{self.prefix}spare_"],
                    ).fetchall()
                ]
                for stale in (name for name in names if not name.startswith(current)):
                    connection.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(stale))
                    )
                for _ in range(self.server.spares - sum(name.startswith(current) for name in names)):
                    connection.execute(
                        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                            sql.Identifier(f"{current}{uuid.uuid4().hex[:12]}"),
                            sql.Identifier(self.template_name(fingerprint)),
                        )
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

    def _execute(self, statement: sql.Composable) -> None:
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


# Admin connections, per thread; a forked child must never use (or close) its parent's.
_admin_connections = threading.local()
_inherited: list[Any] = []


def _forget_admin_connections_in_child() -> None:
    # Closing them would end the parent's sessions; keep them unreferenced-but-alive instead.
    _inherited.append(_admin_connections.__dict__.pop("by_server", None))


os.register_at_fork(after_in_child=_forget_admin_connections_in_child)
