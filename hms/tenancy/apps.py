import contextlib

from django.apps import AppConfig
from django.conf import settings


class TenancyConfig(AppConfig):
    name = "hms.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy engine"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from hms.tenancy import server_checks  # noqa: F401 - registers the servers' database checks
        from hms.tenancy.connections import on_connection_created

        connection_created.connect(on_connection_created, dispatch_uid="hms.tenancy.connection_created")

        # The embedded default keeps shared.sqlite3 here; an unwritable folder is
        # reported by tenancy.E006 rather than crashing start-up.
        with contextlib.suppress(OSError):
            settings.HMS_DATA_DIR.mkdir(parents=True, exist_ok=True)
