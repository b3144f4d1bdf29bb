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


# Admin connections, per thread; a forked child must never use (or close) its parent's.
_admin_connections = threading.local()
_inherited: list[Any] = []


def _forget_admin_connections_in_child() -> None:
    # Closing them would end the parent's sessions; keep them unreferenced-but-alive instead.
    _inherited.append(_admin_connections.__dict__.pop("by_server", None))


os.register_at_fork(after_in_child=_forget_admin_connections_in_child)
