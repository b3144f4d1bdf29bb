"""The tenant schema: its fingerprint, and bringing one database up to it."""

import functools
import hashlib

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader


@functools.cache
def tenant_app_labels() -> frozenset[str]:
    tenant_modules = set(settings.TENANT_APPS)
    return frozenset(
        config.label
        for config in apps.get_app_configs()
        if config.name in tenant_modules or config.label in tenant_modules
    )


@functools.cache
def current_fingerprint() -> str:
    """A short hash of every tenant migration on disk; it changes when one is added.

    Computed once per process, on first use (never at start-up).
    """
    loader = MigrationLoader(None, ignore_no_migrations=True)
    labels = tenant_app_labels()
    names = sorted(f"{app}.{name}" for app, name in loader.disk_migrations if app in labels)
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def migrate_database(alias: str) -> int:
    """Apply every pending tenant migration to `alias`; return how many were applied."""
    connection = connections[alias]
    executor = MigrationExecutor(connection)
    executor.loader.check_consistent_history(connection)
    labels = tenant_app_labels()
    targets = [node for node in executor.loader.graph.leaf_nodes() if node[0] in labels]
    plan = executor.migration_plan(targets)
    if plan:
        executor.migrate(targets, plan=plan)
    return len(plan)
