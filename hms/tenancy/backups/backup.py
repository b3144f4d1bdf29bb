"""Taking backups: the shared database and each hospital's, online, a few at a time.

The registry is read once, in the calling thread; workers (threads) get plain values and
never touch Django's connections, so `--jobs` costs one database session per worker. Each
backup is written under a temporary name and renamed when complete; any failure (a full
disk among them) removes the partial file and says so.
"""

import datetime
import errno
import os
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections

from hms.hospitals.models import Hospital
from hms.tenancy.backends import storage_for
from hms.tenancy.backends.base import Sink
from hms.tenancy.backups import catalog
from hms.tenancy.backups.crypto import EncryptingWriter
from hms.tenancy.backups.keys import SHARED, key_ensure, key_id
from hms.tenancy.management.fleet_report import failure_detail
from hms.tenancy.schema import current_fingerprint

BACKED_UP = (Hospital.Status.ACTIVE, Hospital.Status.SUSPENDED)
DISK_FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


@dataclass(frozen=True)
class BackupTarget:
    code: str  # a hospital code, or SHARED
    vendor: str
    server: str
    database_name: str
    fingerprint: str
    produce: Callable[[Sink, Path], tuple[dict[str, int], bool]]
    size: Callable[[], int | None]


@dataclass(frozen=True)
class BackupOutcome:
    code: str
    status: str  # "ok" or "failed"
    stamp: str = ""
    size: int = 0
    rows: int = 0
    seconds: float = 0.0
    pruned: int = 0
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass(frozen=True)
class Retention:
    daily: int = 0
    weekly: int = 0
    monthly: int = 0

    @property
    def active(self) -> bool:
        return bool(self.daily or self.weekly or self.monthly)


def hospital_target(hospital: Hospital) -> BackupTarget:
    storage = storage_for(hospital.server)
    name = hospital.database_name
    return BackupTarget(
        code=hospital.code,
        vendor=storage.vendor,
        server=hospital.server,
        database_name=name,
        fingerprint=hospital.schema_fingerprint,
        produce=lambda write, work: storage.backup(name, write, work),
        size=lambda: storage.size(name),
    )


def shared_target() -> BackupTarget:
    """The shared database (registry, users, security log) as Django is configured to reach it."""
    settings_dict = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    if vendor == "sqlite":
        from hms.tenancy.backends.sqlite import sqlite_backup

        path = Path(str(settings_dict["NAME"]))

        def produce(write: Sink, work: Path) -> tuple[dict[str, int], bool]:
            return sqlite_backup(path, write, work), False

        return BackupTarget(
            SHARED,
            vendor,
            "default",
            str(path),
            "",
            produce,
            lambda: path.stat().st_size if path.exists() else None,
        )
    from hms.tenancy.backends.postgresql import django_conninfo, pg_backup

    conninfo = django_conninfo(settings_dict)

    def produce_pg(write: Sink, work: Path) -> tuple[dict[str, int], bool]:
        return pg_backup(conninfo, write), True

    return BackupTarget(SHARED, vendor, "default", str(settings_dict["NAME"]), "", produce_pg, lambda: None)


def backup_plan(*, codes: list[str] | None = None, shared: bool = True) -> list[BackupTarget]:
    hospitals = Hospital.objects.filter(status__in=BACKED_UP).order_by("code")
    if codes is not None:
        hospitals = hospitals.filter(code__in=codes)
    targets = [shared_target()] if shared else []
    current_fingerprint()  # read once here, not in the workers
    return targets + [hospital_target(hospital) for hospital in hospitals]


def backup_take(target: BackupTarget, *, retention: Retention | None = None) -> BackupOutcome:
    """One backup of `target` into its folder; never raises (the outcome says what failed)."""
    started = time.perf_counter()
    folder = catalog.backup_dir(target.code)
    final = folder / "pending"
    partial = final
    try:
        folder.mkdir(parents=True, exist_ok=True)
        catalog.remove_stale_partials(folder)
        catalog.remove_stale_partials(catalog.work_dir())
        key = key_ensure(target.code)
        taken = datetime.datetime.now(datetime.UTC)
        stamp = catalog.new_stamp(taken)
        final = folder / f"{stamp}{catalog.SUFFIX}"
        partial = catalog.partial_name(final)
        compress = target.vendor == "sqlite"  # pg_dump's custom format is compressed already
        with open(partial, "xb") as handle:
            writer = EncryptingWriter(handle, key, compress=compress)
            rows, _ = target.produce(writer.write, catalog.work_dir())
            writer.close()
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, final)
        catalog.write_manifest(
            catalog.Manifest(
                hospital=target.code,
                taken_at=taken.isoformat(),
                stamp=stamp,
                vendor=target.vendor,
                server=target.server,
                database_name=target.database_name,
                schema_fingerprint=target.fingerprint,
                database_size=target.size(),
                size=writer.size,
                sha256=writer.sha256.hexdigest(),
                key_id=key_id(key),
                compression="zlib" if compress else "pg_dump custom format",
                rows=rows,
            )
        )
    except Exception as exc:  # noqa: BLE001 - reported per hospital; the others go on
        removed = _remove(partial)
        if final.exists() and not final.with_suffix(".json").exists():
            removed = _remove(final) or removed
        return BackupOutcome(
            target.code, "failed", seconds=time.perf_counter() - started, error=_explain(exc, folder, removed)
        )
    pruned = 0
    if retention is not None and retention.active:
        pruned = len(
            catalog.retention_apply(
                target.code, daily=retention.daily, weekly=retention.weekly, monthly=retention.monthly
            )
        )
    return BackupOutcome(
        target.code,
        "ok",
        stamp=stamp,
        size=writer.size,
        rows=sum(rows.values()),
        seconds=time.perf_counter() - started,
        pruned=pruned,
    )


def backup_fleet(
    targets: list[BackupTarget],
    *,
    jobs: int = 1,
    retention: Retention | None = None,
    on_outcome: Callable[[BackupOutcome], None] | None = None,
) -> list[BackupOutcome]:
    outcomes: list[BackupOutcome] = []

    def land(outcome: BackupOutcome) -> None:
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    if jobs <= 1 or len(targets) <= 1:
        for target in targets:
            land(backup_take(target, retention=retention))
        return outcomes
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="backup") as pool:
        futures = [pool.submit(backup_take, target, retention=retention) for target in targets]
        for future in as_completed(futures):
            land(future.result())
    return outcomes


def _remove(path: Path) -> str:
    if path.name == "pending" or not path.exists():
        return ""
    try:
        path.unlink()
    except OSError as exc:
        return f"could not remove the partial file {path}: {exc}"
    return f"removed the partial file {path}"


def _disk_full(exc: BaseException) -> str:
    """What the operating system (or SQLite) said, if `exc` comes from a full disk; else ''."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno in DISK_FULL:
            return cause.strerror or str(cause)
        if isinstance(cause, sqlite3.Error) and getattr(cause, "sqlite_errorname", "").startswith(
            ("SQLITE_FULL", "SQLITE_IOERR")
        ):
            return f"SQLite: {cause}"
        cause = cause.__cause__ or cause.__context__
    return ""


def _explain(exc: BaseException, folder: Path, removed: str) -> str:
    if full := _disk_full(exc):
        message = f"the disk holding {folder.parent} is full (or a file-size limit was reached): {full}"
    else:
        message = failure_detail(exc)
    return f"{message}; {removed}" if removed else message
