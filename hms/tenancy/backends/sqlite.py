"""SQLite storage: `hospitals/<CODE>/db.sqlite3` under HMS_DATA_DIR, cloned with the online backup API."""

import contextlib
import functools
import glob
import os
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings

from hms.core.files import fsync_path
from hms.core.processes import pid_alive
from hms.tenancy.backends.base import Sink, StorageBackend
from hms.tenancy.codes import validate_hospital_code
from hms.tenancy.exceptions import DatabaseExists, StorageError

_SIDE_FILES = ("-wal", "-shm", "-journal")
READ_SIZE = 1 << 20


class SqliteStorage(StorageBackend):
    vendor = "sqlite"

    def __init__(self, data_dir: Path, template_dir: Path, options: dict[str, Any]) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.template_dir = Path(template_dir).resolve()
        self.options = options

    @classmethod
    def from_settings(cls) -> "SqliteStorage":
        return _storage(
            str(settings.HMS_DATA_DIR), str(settings.HMS_TEMPLATE_DIR), tuple(settings.SQLITE_OPTIONS.items())
        )

    def database_name_for(self, code: str) -> str:
        return f"hospitals/{validate_hospital_code(code)}/db.sqlite3"

    def path(self, database_name: str) -> Path:
        # Lexical, not resolve(): this runs on every request, and the registry's names
        # are ours; what matters is that no name climbs out of the data folder.
        path = Path(os.path.normpath(self.data_dir / database_name))
        if not path.is_relative_to(self.data_dir) or path == self.data_dir:
            raise StorageError(f"Database path {database_name!r} is outside the data folder.")
        return path

    def connection_settings(self, database_name: str) -> dict[str, Any]:
        return self._settings_for(self.path(database_name))

    def _settings_for(self, path: Path, *, template: bool = False) -> dict[str, Any]:
        options = dict(self.options)
        if template:
            options.pop("init_command", None)
        # mode=rw: a missing hospital database is an error, never silently created empty.
        mode = "rwc" if template else "rw"
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": f"file:{quote(str(path))}?mode={mode}",
            "OPTIONS": options,
            # Kept open between requests; the connection budget closes idle ones.
            "CONN_MAX_AGE": None,
            "TEST": {"MIGRATE": False},
        }

    def template_path(self, fingerprint: str) -> Path:
        if not fingerprint.isalnum():
            raise StorageError(f"Invalid schema fingerprint {fingerprint!r}.")
        return self.template_dir / f"tenant-{fingerprint}.sqlite3"

    def template_location(self, fingerprint: str) -> str:
        return str(self.template_path(fingerprint))

    def template_exists(self, fingerprint: str) -> bool:
        return self.template_path(fingerprint).exists()

    def build_template(self, fingerprint: str, migrate: Callable[[dict[str, Any]], None]) -> None:
        final = self.template_path(fingerprint)
        final.parent.mkdir(parents=True, exist_ok=True)
        building = final.with_name(f"{final.name}.building-{uuid.uuid4().hex}")
        try:
            # Rollback journal, not WAL: the template must be one self-contained file.
            migrate(self._settings_for(building, template=True))
            _fsync(building)
            os.replace(building, final)
            _fsync_dir(final.parent)
        finally:
            _remove_with_side_files(building)

    def create_from_template(self, database_name: str, fingerprint: str) -> None:
        template = self.template_path(fingerprint)
        with (  # the connections close (last first) before the copy is published
            _published(self.path(database_name), uuid.uuid4().hex, "create") as partial,
            _connect(f"file:{quote(str(template))}?mode=ro", uri=True) as source,
            _connect(str(partial)) as target,
        ):
            target.execute("PRAGMA synchronous=OFF")  # one fsync when published instead of many
            source.backup(target)
            target.execute("PRAGMA journal_mode=WAL")

    def exists(self, database_name: str) -> bool:
        return self.path(database_name).exists()

    def drop(self, database_name: str) -> None:
        path = self.path(database_name)
        _remove_with_side_files(path)
        # Copies a killed create_from_template() never got to publish or remove.
        for partial in path.parent.glob(f"{glob.escape(path.name)}.partial-*"):
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only if empty

    def size(self, database_name: str) -> int | None:
        path = self.path(database_name)
        if not path.exists():
            return None
        return sum(p.stat().st_size for p in _with_side_files(path) if p.exists())

    def backup(self, database_name: str, write: Sink, work_dir: Path) -> tuple[dict[str, int], bool]:
        return sqlite_backup(self.path(database_name), write, work_dir), False

    def restore_name(self, code: str, stamp: str) -> str:
        return f"hospitals/{validate_hospital_code(code)}/restore-{_stamp(stamp)}.sqlite3"

    def scratch_name(self, code: str, token: str) -> str:
        return f"drills/{validate_hospital_code(code)}-{_stamp(token)}.sqlite3"

    def restore(self, database_name: str, chunks: Iterable[bytes]) -> dict[str, int]:
        with _published(self.path(database_name), str(os.getpid()), "restore into") as partial:
            with open(partial, "xb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            problem = sqlite_integrity(partial)
            if problem:
                raise StorageError(f"The restored copy fails SQLite's integrity check: {problem}")
            with _connect(str(partial)) as connection:
                connection.execute("PRAGMA journal_mode=WAL")
            rows = sqlite_row_counts(partial)
        return rows

    def keep_replaced(self, code: str, database_name: str, stamp: str) -> str:
        path = self.path(database_name)
        kept_name = f"hospitals/{validate_hospital_code(code)}/replaced-{_stamp(stamp)}.sqlite3"
        kept = self.path(kept_name)
        if not path.exists():
            raise StorageError(f"{path} is gone; nothing to keep.")
        kept.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(sqlite3.Error), _connect(f"file:{quote(str(path))}?mode=rw", uri=True) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the kept file is whole by itself
        os.link(path, kept)  # refuses to overwrite
        for side in _SIDE_FILES:
            with contextlib.suppress(FileNotFoundError):
                os.replace(path.with_name(path.name + side), kept.with_name(kept.name + side))
        path.unlink()
        _fsync_dir(kept.parent)
        return kept_name

    def restore_leftovers(self, code: str, in_use: set[str]) -> list[str]:
        folder = self.path(f"hospitals/{validate_hospital_code(code)}/x").parent
        removed: list[str] = []
        if not folder.exists():
            return removed
        for candidate in sorted(folder.iterdir()):
            name = f"hospitals/{code}/{candidate.name}"
            partial = _PARTIAL.match(candidate.name)
            if partial and not pid_alive(int(partial.group("pid"))):
                candidate.unlink(missing_ok=True)
                removed.append(name)
            elif _RESTORED.match(candidate.name) and name not in in_use:
                # Published by a restore that was killed before it switched: never verified.
                _remove_with_side_files(candidate)
                removed.append(name)
        return removed


@functools.lru_cache(maxsize=8)
def _storage(data_dir: str, template_dir: str, options: tuple[tuple[str, Any], ...]) -> SqliteStorage:
    return SqliteStorage(Path(data_dir), Path(template_dir), dict(options))


@contextlib.contextmanager
def _published(final: Path, tag: str, doing: str) -> Iterator[Path]:
    """A new database file: the caller writes `<final>.partial-<tag>`, which is then made durable
    and linked to `final`. link() refuses to overwrite, so two writers can never clobber each
    other (DatabaseExists); the partial copy is removed whatever happens."""
    if final.exists():
        raise DatabaseExists(f"A database already exists at {final}.")
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f"{final.name}.partial-{tag}")
    try:
        yield partial
        _fsync(partial)
        os.link(partial, final)
        _fsync_dir(final.parent)
    except FileExistsError as exc:
        raise DatabaseExists(f"A database already exists at {final}.") from exc
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(f"Could not {doing} {final}: {exc}") from exc
    finally:
        _remove_with_side_files(partial)


@contextlib.contextmanager
def _connect(target: str, *, uri: bool = False) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(target, uri=uri)
    try:
        yield connection
    finally:
        connection.close()


def _with_side_files(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + suffix) for suffix in _SIDE_FILES)]


def _remove_with_side_files(path: Path) -> None:
    for candidate in _with_side_files(path):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()


def _fsync(path: Path) -> None:
    fsync_path(path)


def _fsync_dir(path: Path) -> None:  # its own name: a crash test stops after a folder's flush
    _fsync(path)


_PARTIAL = re.compile(r"^(?:restore-[0-9a-z]+\.sqlite3|db\.sqlite3)\.partial-(?P<pid>\d+)$")
_RESTORED = re.compile(r"^restore-[0-9a-z]+\.sqlite3$")


def _stamp(stamp: str) -> str:
    if not stamp.isalnum():
        raise StorageError(f"Invalid stamp {stamp!r}.")
    return stamp


def sqlite_backup(path: Path, write: Sink, work_dir: Path) -> dict[str, int]:
    """Copy a live database with SQLite's online backup API, then feed the copy to `write`.

    The copy is one read transaction of the source (writers go on under WAL), so it is the
    database as of one moment; its row counts are taken from the copy itself.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    copy = work_dir / f"{path.stem}-{os.getpid()}-{uuid.uuid4().hex[:8]}.snapshot"
    try:
        with (
            _connect(f"file:{quote(str(path))}?mode=ro", uri=True) as source,
            _connect(str(copy)) as target,
        ):
            target.execute("PRAGMA synchronous=OFF")
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        rows = sqlite_row_counts(copy)
        with open(copy, "rb") as handle:
            while chunk := handle.read(READ_SIZE):
                write(chunk)
        return rows
    finally:
        _remove_with_side_files(copy)


def sqlite_row_counts(path: Path) -> dict[str, int]:
    with _connect(f"file:{quote(str(path))}?mode=ro", uri=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts = {}
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'  # a name from the catalogue, quoted
            counts[table] = connection.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]  # noqa: S608
        return counts


def sqlite_integrity(path: Path) -> str:
    """'' if `PRAGMA integrity_check` passes, else what it (or opening the file) says."""
    try:
        with _connect(f"file:{quote(str(path))}?mode=ro", uri=True) as connection:
            rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.Error as exc:
        return str(exc)
    return "" if rows == ["ok"] else "; ".join(rows[:5])
