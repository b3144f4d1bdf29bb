"""Settings of bench/fleet_migrate.py: local settings plus the bench-only tenant app.

HMS_BENCH_FLEETAPP_MIGRATIONS names the package holding the app's migrations; the
bench writes it into a temporary folder that it puts on PYTHONPATH.
"""

from django.core.exceptions import ImproperlyConfigured

from config.settings.local import *  # noqa: F403
from config.settings.local import INSTALLED_APPS, TENANT_APPS, env

TENANT_APPS = [*TENANT_APPS, "bench.fleetapp"]
INSTALLED_APPS = [*INSTALLED_APPS, "bench.fleetapp"]

_migrations = env("HMS_BENCH_FLEETAPP_MIGRATIONS", default="")
if not _migrations:
    raise ImproperlyConfigured(
        "bench.settings needs HMS_BENCH_FLEETAPP_MIGRATIONS (bench/fleet_migrate.py sets it)."
    )
MIGRATION_MODULES = {"fleetapp": _migrations}
