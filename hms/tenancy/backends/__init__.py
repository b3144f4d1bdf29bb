"""Storage backends: where a hospital's database lives and how it is made, copied and dropped."""

from hms.tenancy.backends.base import StorageBackend
from hms.tenancy.backends.sqlite import SqliteStorage
from hms.tenancy.exceptions import StorageError

EMBEDDED_SERVER = "embedded"


def storage_for(server: str) -> StorageBackend:
    """The backend for a server name as recorded in the registry."""
    if server == EMBEDDED_SERVER:
        return SqliteStorage.from_settings()
    raise StorageError(f"Unknown database server {server!r}.")


def default_server() -> str:
    return EMBEDDED_SERVER


__all__ = ["EMBEDDED_SERVER", "StorageBackend", "default_server", "storage_for"]
