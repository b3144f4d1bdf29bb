"""The interface every storage backend (SQLite, PostgreSQL) implements."""

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any


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
