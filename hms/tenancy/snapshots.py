"""Refreshing hospitals' snapshots: health, size, newest backup and activity figures, kept in the
shared database so that the platform console lists thousands of hospitals without opening one.

The figures (patients, encounters in the last 30 days) are the clinical apps' to count: the
engine imports none of them, so the app that shows them registers the counter here at start-up
(hms.platform.apps), as hms.staff registers the first administrator's maker (first_admin.py).
The counter runs inside the hospital's context and returns counts only, never patient data.
"""

import datetime
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

from hms.hospitals.models import Hospital
from hms.hospitals.snapshots import snapshot_health_record
from hms.tenancy import connections as tenant_connections
from hms.tenancy.backups import catalog
from hms.tenancy.backups.health import HealthRow, hospital_check
from hms.tenancy.context import hospital_context

logger = logging.getLogger(__name__)

FiguresCounter = Callable[[], dict[str, int]]
_counters: list[FiguresCounter] = []


def snapshot_figures_counter_set(counter: FiguresCounter) -> None:
    """Register `counter()`: the current hospital's figures, e.g. {"patients": 120, ...}."""
    _counters[:] = [counter]


def hospital_figures(hospital: Hospital) -> dict[str, int] | None:
    """The hospital's figures, or None (no counter registered, or its database failed)."""
    if not _counters:
        return None
    alias = tenant_connections.hospital_alias(hospital.code)
    try:
        with hospital_context(hospital):
            return _counters[0]()
    except Exception:  # noqa: BLE001 - figures are for show: the health check reports the fault
        logger.warning("Could not count the figures of hospital %s", hospital.code, exc_info=True)
        return None
    finally:
        tenant_connections.forget(alias)  # a fleet pass keeps no connection open per hospital


@dataclass
class _Found:
    hospital: Hospital
    row: HealthRow
    figures: dict[str, int] | None = None
    backup_at: datetime.datetime | None = None


def _count(found: _Found) -> _Found:
    """Its figures (reachable hospitals only) and its newest backup: read, nothing written."""
    if found.row.reachable == "yes":
        found.figures = hospital_figures(found.hospital)
    newest = catalog.latest(found.hospital.code)
    found.backup_at = newest.taken if newest is not None else None
    return found


def _write(found: _Found, now: datetime.datetime) -> None:
    snapshot_health_record(
        hospital_id=found.hospital.pk,
        checked_at=now,
        problems=found.row.problems,
        size_bytes=found.row.size,
        backup_at=found.backup_at,
        figures=found.figures,
    )


def snapshots_record(rows: list[HealthRow], *, jobs: int = 1) -> None:
    """Write what `hospitals_check` found, with each reachable hospital's figures.

    Figures are counted `jobs` at a time; the snapshots are written by the calling thread
    alone, so the shared database sees one writer (SQLite's rule) however many count.
    """
    hospitals = {h.code: h for h in Hospital.objects.filter(code__in=[row.code for row in rows])}
    now = datetime.datetime.now(datetime.UTC)
    pending = [_Found(hospitals[row.code], row) for row in rows if row.code in hospitals]

    def count(found: _Found) -> _Found:
        try:
            return _count(found)
        finally:
            if jobs > 1:
                connections.close_all()  # this worker thread's own connections

    if jobs <= 1:
        counted = [count(found) for found in pending]
    else:
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="snapshot") as pool:
            counted = list(pool.map(count, pending))
    for found in counted:
        _write(found, now)


def hospital_snapshot_refresh(hospital: Hospital) -> HealthRow:
    """Check one hospital now (as check_hospitals does) and record what was found."""
    now = datetime.datetime.now(datetime.UTC)
    # An archived hospital's final backup only grows older, rightly: its age is no problem.
    max_age = 0.0 if hospital.is_archived else float(settings.HMS_BACKUP_MAX_AGE_HOURS)
    row = hospital_check(hospital, max_backup_age_hours=max_age, now=now)
    _write(_count(_Found(hospital, row)), now)
    return row
