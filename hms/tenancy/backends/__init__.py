"""Storage backends: where a hospital's database lives and how it is made, copied and dropped."""

from hms.tenancy.backends.base import StorageBackend
from hms.tenancy.backends.sqlite import SqliteStorage
from hms.tenancy.servers import EMBEDDED_SERVER, get_server


def storage_for(server: str) -> StorageBackend:
    """The backend for a server name as recorded in the registry."""
    resolved = get_server(server)
    if resolved.vendor == "sqlite":
        return SqliteStorage.from_settings()
    from django.conf import settings

    from hms.tenancy.backends.postgresql import PostgresStorage

    return PostgresStorage(resolved, prefix=settings.HMS_DATABASE_PREFIX)


__all__ = ["EMBEDDED_SERVER", "StorageBackend", "storage_for"]
