"""Fleet migration: bring every hospital's database to the current tenant schema.

Hospitals whose recorded fingerprint is current are skipped without being opened.
The rest are migrated in worker processes; the parent alone writes the registry.
A failing hospital is reported and the others go on; a rerun picks up what is left.
"""

import multiprocessing
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

from hms.hospitals.models import Hospital
from hms.tenancy import connections as tenant_connections
from hms.tenancy.context import tenant_for
from hms.tenancy.management.fleet_report import failure_detail
from hms.tenancy.schema import current_fingerprint, migrate_database
from hms.tenancy.upgrades import schema_record_current

MIGRATABLE = (Hospital.Status.ACTIVE, Hospital.Status.SUSPENDED)


@dataclass(frozen=True)
class MigrationOutcome:
    code: str
    status: str  # "migrated", "current" or "failed"
    applied: int = 0
    seconds: float = 0.0
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass(frozen=True)
class FleetPlan:
    fingerprint: str
    pending: list[Hospital]
    current: int


def fleet_plan(*, codes: Iterable[str] | None = None) -> FleetPlan:
    """Which hospitals need migrating; decided from the registry alone.

    Records this release's schema first, so that workers still running the previous
    release can tell the hospitals migrated past their code (hms.tenancy.upgrades).
    """
    fingerprint = current_fingerprint()
    schema_record_current()
    hospitals = Hospital.objects.filter(status__in=MIGRATABLE)
    if codes is not None:
        hospitals = hospitals.filter(code__in=list(codes))
    pending = list(hospitals.exclude(schema_fingerprint=fingerprint).order_by("code"))
    current = hospitals.filter(schema_fingerprint=fingerprint).count()
    return FleetPlan(fingerprint=fingerprint, pending=pending, current=current)


def fleet_migrate(
    plan: FleetPlan,
    *,
    jobs: int = 1,
    on_outcome: Callable[[MigrationOutcome], None] | None = None,
) -> list[MigrationOutcome]:
    """Migrate the plan's hospitals, `jobs` at a time; record each success as it lands."""
    tasks = [_task(hospital) for hospital in plan.pending]
    outcomes: list[MigrationOutcome] = []

    def land(outcome: MigrationOutcome) -> None:
        if outcome.failed:
            # Still ACTIVE (it answers 503 until migrated): recorded so list_hospitals shows it.
            Hospital.objects.filter(code=outcome.code).update(
                migration_error=outcome.error[:2000] or "failed"
            )
        else:
            Hospital.objects.filter(code=outcome.code).update(
                schema_fingerprint=plan.fingerprint, migration_error=""
            )
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            land(_migrate_one(*task))
        return outcomes

    # Workers are forked: close what must not be shared with them first.
    tenant_connections.forget_all()
    if not connections[DEFAULT_DB_ALIAS].in_atomic_block:
        connections[DEFAULT_DB_ALIAS].close()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {pool.submit(_migrate_one, *task): task[0] for task in tasks}
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as exc:  # noqa: BLE001 - a dead worker fails its hospital only
                outcome = MigrationOutcome(futures[future], "failed", error=f"worker died: {exc}")
            land(outcome)
    return outcomes


def _task(hospital: Hospital) -> tuple[str, str, dict[str, Any]]:
    tenant = tenant_for(hospital)
    return hospital.code, tenant.alias, dict(tenant.database)


def _migrate_one(code: str, alias: str, database: dict[str, Any]) -> MigrationOutcome:
    started = time.perf_counter()
    try:
        tenant_connections.register(alias, database)
        applied = migrate_database(alias)
    except Exception as exc:  # noqa: BLE001 - reported per hospital, the fleet goes on
        return MigrationOutcome(
            code, "failed", seconds=time.perf_counter() - started, error=failure_detail(exc)
        )
    finally:
        tenant_connections.forget(alias)
    return MigrationOutcome(code, "migrated", applied=applied, seconds=time.perf_counter() - started)
