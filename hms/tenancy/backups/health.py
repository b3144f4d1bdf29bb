"""`check_hospitals`: per hospital, database reachable and sound, schema current, backed up, audit intact."""

import datetime
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import Error as DatabaseLayerError
from django.db import connections

from hms.hospitals.models import Hospital
from hms.tenancy import connections as tenant_connections
from hms.tenancy.backends import storage_for
from hms.tenancy.backups import catalog
from hms.tenancy.backups.restore import chain_hooks
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import TenancyError
from hms.tenancy.management.fleet_report import failure_detail
from hms.tenancy.schema import current_fingerprint, fingerprint_of, tenant_app_labels

CHECKED = (Hospital.Status.ACTIVE, Hospital.Status.SUSPENDED)


@dataclass
class HealthRow:
    code: str
    reachable: str = "-"
    integrity: str = "-"
    schema: str = "-"
    size: int | None = None
    backup_age_hours: float | None = None
    chain: str = "-"
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def healthy(self) -> bool:
        return not self.problems


def _integrity(alias: str) -> str:
    """'' if the database passes its own check. SQLite: integrity_check; PostgreSQL: no data
    page has failed its checksum (when the cluster has checksums)."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA integrity_check")
            rows = [row[0] for row in cursor.fetchall()]
            return "" if rows == ["ok"] else "; ".join(rows[:3])
        cursor.execute(
            "SELECT coalesce(checksum_failures, 0) FROM pg_stat_database WHERE datname = current_database()"
        )
        row = cursor.fetchone()
        return f"{row[0]} data page checksum failure(s)" if row and row[0] else ""


def _applied_fingerprint(alias: str) -> str:
    labels = tenant_app_labels()
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        names = [f"{app}.{name}" for app, name in cursor.fetchall() if app in labels]
    return fingerprint_of(names)


def hospital_check(hospital: Hospital, *, max_backup_age_hours: float, now: datetime.datetime) -> HealthRow:
    started = time.perf_counter()
    row = HealthRow(hospital.code)
    try:
        row.size = storage_for(hospital.server).size(hospital.database_name)
    except TenancyError as exc:
        row.problems.append(exc.message)
    newest = catalog.latest(hospital.code)
    if newest is None:
        if max_backup_age_hours:
            row.problems.append("no backup")
    else:
        row.backup_age_hours = (now - newest.taken).total_seconds() / 3600
        if max_backup_age_hours and row.backup_age_hours > max_backup_age_hours:
            row.problems.append(f"newest backup is {row.backup_age_hours:.0f} hours old")
    alias = tenant_connections.hospital_alias(hospital.code)
    try:
        with hospital_context(hospital):
            connections[alias].ensure_connection()
            row.reachable = "yes"
            problem = _integrity(alias)
            row.integrity = "FAILED" if problem else "ok"
            if problem:
                row.problems.append(f"integrity check: {problem}")
            applied = _applied_fingerprint(alias)
            row.schema = applied
            if applied != current_fingerprint():
                row.schema += "*"
                row.problems.append(f"schema {applied} is not the code's {current_fingerprint()}")
            elif hospital.schema_fingerprint != applied:
                row.problems.append(f"the registry records schema {hospital.schema_fingerprint or '-'}")
            check = chain_hooks().chain_check()
            row.chain = f"intact ({check.events})" if check.intact else "BROKEN"
            if not check.intact:
                row.problems.append(f"audit chain broken {check.reason}")
    except (DatabaseLayerError, TenancyError) as exc:
        if row.reachable == "-":
            row.reachable = "NO"
        row.problems.append(failure_detail(exc))
    except Exception as exc:  # noqa: BLE001 - one hospital's failure must not hide the others'
        row.problems.append(failure_detail(exc))
    finally:
        tenant_connections.forget(alias)  # a fleet check keeps no connection open per hospital
    row.seconds = time.perf_counter() - started
    return row


def hospitals_check(
    *,
    codes: list[str] | None = None,
    jobs: int = 1,
    max_backup_age_hours: float = 26.0,
    on_row: Callable[[HealthRow], None] | None = None,
) -> list[HealthRow]:
    hospitals = Hospital.objects.filter(status__in=CHECKED).order_by("code")
    if codes is not None:
        hospitals = hospitals.filter(code__in=codes)
    now = datetime.datetime.now(datetime.UTC)
    current_fingerprint()

    def check(hospital: Hospital) -> HealthRow:
        try:
            return hospital_check(hospital, max_backup_age_hours=max_backup_age_hours, now=now)
        finally:
            if jobs > 1:
                connections.close_all()  # this worker thread's own connections

    rows: list[HealthRow] = []

    def land(row: HealthRow) -> None:
        rows.append(row)
        if on_row is not None:
            on_row(row)

    listed = list(hospitals)
    if jobs <= 1:
        for hospital in listed:
            land(check(hospital))
        return rows
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="check") as pool:
        for row in pool.map(check, listed):
            land(row)
    return rows
