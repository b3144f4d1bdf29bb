"""The interface every storage backend (SQLite, PostgreSQL) implements."""

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

# Receives a backup's plaintext, a piece at a time (the caller compresses, encrypts, writes).
Sink = Callable[[bytes], None]


class StorageBackend(ABC):
    vendor: str

    @abstractmethod
    def database_name_for(self, code: str) -> str:
        """Where a new hospital's database goes, as recorded in the registry."""

    @abstractmethod
    def connection_settings(self, database_name: str) -> dict[str, Any]:
        """A Django DATABASES entry for the database."""

    @abstractmethod
    def template_exists(self, fingerprint: str) -> bool: ...

    @abstractmethod
    def template_location(self, fingerprint: str) -> str:
        """Where the template lives (a path, or server and database), for remembering it."""

    @abstractmethod
    def build_template(self, fingerprint: str, migrate: Callable[[dict[str, Any]], None]) -> None:
        """Make an empty database, let `migrate` fill it, then publish it as the template.

        Concurrent builders are harmless: each builds its own and publishing is atomic.
        """

    @abstractmethod
    def create_from_template(self, database_name: str, fingerprint: str) -> None:
        """Create the database as a copy of the template; all or nothing."""

    def spares_replenish(self, fingerprint: str) -> int:
        """Prepare clones ahead of time, if the backend keeps any; return how many were made."""
        return 0

    @abstractmethod
    def exists(self, database_name: str) -> bool: ...

    @abstractmethod
    def drop(self, database_name: str) -> None: ...

    @abstractmethod
    def size(self, database_name: str) -> int | None:
        """Bytes on disk, or None if the database does not exist."""

    # Backup and restore (hms/tenancy/backups). Every method is all or nothing: a failure
    # leaves no database and no file behind (a SIGKILL leaves leftovers that
    # restore_leftovers() removes on the next run).

    @abstractmethod
    def backup(self, database_name: str, write: Sink, work_dir: Path) -> tuple[dict[str, int], bool]:
        """Feed a consistent, online copy of the database to `write`.

        Returns the rows of each table as of that copy and whether the copy is already
        compressed (pg_dump's custom format is). `work_dir` may hold a temporary file.
        """

    @abstractmethod
    def restore_name(self, code: str, stamp: str) -> str:
        """The name of a new database to restore hospital `code` into (never an existing one's)."""

    @abstractmethod
    def scratch_name(self, code: str, token: str) -> str:
        """A throwaway database name for a restore drill of hospital `code`."""

    @abstractmethod
    def restore(self, database_name: str, chunks: Iterable[bytes]) -> dict[str, int]:
        """Create `database_name` from a backup's plaintext; check it; return its rows per table.

        Raises StorageError (and leaves nothing) if the copy fails its integrity check.
        """

    @abstractmethod
    def keep_replaced(self, code: str, database_name: str, stamp: str) -> str:
        """Rename a database a restore replaced, out of every hospital's way; return the new name."""

    @abstractmethod
    def restore_leftovers(self, code: str, in_use: set[str]) -> list[str]:
        """Remove what interrupted restores of `code` left (never a name in `in_use`); say what."""
