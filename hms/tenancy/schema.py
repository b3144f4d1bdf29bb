"""The tenant schema: its fingerprint, and bringing one database up to it."""

import functools
import hashlib
import importlib
import pkgutil

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.migrations import operations
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.operations.base import Operation


@functools.cache
def tenant_app_labels() -> frozenset[str]:
    tenant_modules = set(settings.TENANT_APPS)
    return frozenset(
        config.label
        for config in apps.get_app_configs()
        if config.name in tenant_modules or config.label in tenant_modules
    )


def migration_names_on_disk() -> list[str]:
    """Every tenant migration's `app.name`, as the files on disk are now (nothing is imported).

    The same names Django's MigrationLoader finds: modules in each tenant app's
    migrations package, packages and names starting with `_` or `~` aside.
    """
    names = []
    for label in sorted(tenant_app_labels()):
        module_name, _ = MigrationLoader.migrations_module(label)
        if module_name is None:
            continue
        try:
            package = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        for _, name, is_package in pkgutil.iter_modules(getattr(package, "__path__", [])):
            if not is_package and name[0] not in "_~":
                names.append(f"{label}.{name}")
    return sorted(names)


def fingerprint_of(names: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()[:16]


@functools.cache
def code_migration_names() -> frozenset[str]:
    """The tenant migrations of the code this process runs (read once, on first use)."""
    return frozenset(migration_names_on_disk())


@functools.cache
def current_fingerprint() -> str:
    """A short hash of every tenant migration of the code this process runs.

    Computed once per process, on first use (never at start-up; the hospital middleware
    asks for it when it is loaded, i.e. when a worker boots). `disk_fingerprint()`
    tells whether the files on disk have changed since.
    """
    return fingerprint_of(list(code_migration_names()))


def disk_fingerprint() -> str:
    """The fingerprint of the migrations on disk now: a newer release may have been installed."""
    return fingerprint_of(migration_names_on_disk())


# Operations the previous release's code runs on unharmed: they add what it never reads.
_ADDITIVE = (
    operations.CreateModel,
    operations.AddIndex,
    operations.AlterModelOptions,
    operations.AlterModelManagers,
)


def migration_compatible(migration: Migration) -> bool:
    """Whether the previous release's code can serve a database this migration was applied to.

    A migration may say so itself with `compatible_with_previous_code = True` (or False);
    otherwise it is compatible only if every operation only adds: new models, indexes,
    and fields the old code may leave out of its INSERTs (nullable, with a database
    default, or many-to-many). Anything else (removing, renaming, altering, constraints,
    RunSQL, RunPython) is taken as incompatible.
    """
    declared = getattr(migration, "compatible_with_previous_code", None)
    if declared is not None:
        return bool(declared)
    return all(_operation_additive(operation) for operation in migration.operations)


def _operation_additive(operation: Operation) -> bool:
    if isinstance(operation, _ADDITIVE):
        return True
    if isinstance(operation, operations.AddField):
        field = operation.field
        return bool(field.null or field.many_to_many or field.has_db_default())
    return False


def tenant_migrations() -> list[tuple[str, bool]]:
    """This code's tenant migrations with whether each is compatible with the previous code."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    labels = tenant_app_labels()
    return sorted(
        (f"{app}.{name}", migration_compatible(migration))
        for (app, name), migration in loader.disk_migrations.items()
        if app in labels
    )


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
