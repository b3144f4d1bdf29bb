"""SQLite storage: `hospitals/<CODE>/db.sqlite3` under HMS_DATA_DIR, cloned with the online backup API."""

import contextlib
import functools
import glob
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings

from hms.tenancy.backends.base import StorageBackend
from hms.tenancy.codes import validate_hospital_code
from hms.tenancy.exceptions import DatabaseExists, StorageError

_SIDE_FILES = ("-wal", "-shm", "-journal")


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
        final = self.path(database_name)
        if final.exists():
            raise DatabaseExists(f"A database already exists at {final}.")
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = final.with_name(f"{final.name}.partial-{uuid.uuid4().hex}")
        try:
            with (
                _connect(f"file:{quote(str(template))}?mode=ro", uri=True) as source,
                _connect(str(partial)) as target,
            ):
                target.execute("PRAGMA synchronous=OFF")  # one fsync below instead of many
                source.backup(target)
                target.execute("PRAGMA journal_mode=WAL")
            _fsync(partial)
            # link() refuses to overwrite: two provisioners can never clobber each other.
            os.link(partial, final)
            _fsync_dir(final.parent)
        except FileExistsError as exc:
            raise DatabaseExists(f"A database already exists at {final}.") from exc
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"Could not create {final}: {exc}") from exc
        finally:
            _remove_with_side_files(partial)

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


@functools.lru_cache(maxsize=8)
def _storage(data_dir: str, template_dir: str, options: tuple[tuple[str, Any], ...]) -> SqliteStorage:
    return SqliteStorage(Path(data_dir), Path(template_dir), dict(options))


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
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    _fsync(path)
