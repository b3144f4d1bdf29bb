"""Restoring a hospital from a backup, and the restore drill.

A restore never touches the hospital's database: it checks the backup's checksum, decrypts
it into a NEW database, checks that copy (integrity, rows per table against the manifest,
the audit chain), and only then switches the registry to it. While it runs the hospital is
read-only (the same mechanism as a move: writes answer 503, reads are served from the
current database and their audit events are spooled, then appended to the restored log).
The replaced database is renamed and kept until the operator removes it.

A restore that fails leaves the hospital as it was; one that is killed leaves it served,
read-only, from its old database: run the same restore again to finish (it first removes
what the interrupted one left).
"""

import datetime
import hashlib
import importlib
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from psycopg import sql

from hms.hospitals.models import Hospital
from hms.tenancy import connections as tenant_connections
from hms.tenancy.backends import StorageBackend, storage_for
from hms.tenancy.backends.postgresql import django_conninfo, pg_restore, pg_row_counts
from hms.tenancy.backends.sqlite import sqlite_integrity, sqlite_row_counts
from hms.tenancy.backups import catalog
from hms.tenancy.backups.crypto import decrypted_chunks
from hms.tenancy.backups.keys import SHARED, key_load
from hms.tenancy.codes import validate_hospital_code
from hms.tenancy.context import Tenant, get_hospital, tenant_database
from hms.tenancy.exceptions import TenancyError
from hms.tenancy.management.fleet_report import failure_detail
from hms.tenancy.moving import run_before_switch

logger = logging.getLogger(__name__)
RESTORABLE = (Hospital.Status.ACTIVE, Hospital.Status.SUSPENDED)
RESTORE_ALIAS_PREFIX = "hospital_restore_"
DRILL_ALIAS_PREFIX = "hospital_drill_"
READ_SIZE = 1 << 20


class RestoreError(TenancyError):
    code = "restore_failed"


@dataclass
class RestoreReport:
    code: str
    stamp: str
    taken_at: str
    database_name: str = ""
    replaced: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    chain: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def chain_hooks() -> ModuleType:
    """The audit app's restore checks (named by HMS_RESTORE_CHAIN_HOOKS: the engine imports no app)."""
    return importlib.import_module(settings.HMS_RESTORE_CHAIN_HOOKS)


def backup_verify(manifest: catalog.Manifest) -> None:
    """The backup file is there, whole, and the very file the manifest describes."""
    path = manifest.file
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(READ_SIZE):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise RestoreError(f"The backup file {path} cannot be read: {exc}") from exc
    if size != manifest.size or digest.hexdigest() != manifest.sha256:
        raise RestoreError(
            f"The backup {path} does not match its manifest (checksum or size differs): it is "
            "damaged or was altered. Choose another backup with --from or --at."
        )


def _plaintext(manifest: catalog.Manifest, key: bytes) -> Iterator[bytes]:
    with open(manifest.file, "rb") as handle:
        yield from decrypted_chunks(handle, key)


def _compare_rows(expected: dict[str, int], restored: dict[str, int]) -> None:
    differences = [
        f"{table}: {expected.get(table)} in the manifest, {restored.get(table)} restored"
        for table in sorted(set(expected) | set(restored))
        if expected.get(table) != restored.get(table)
    ]
    if differences:
        raise RestoreError("Row counts differ from the manifest: " + "; ".join(differences[:10]))


def _restore_into(
    storage: StorageBackend, name: str, manifest: catalog.Manifest, key: bytes
) -> dict[str, int]:
    rows = storage.restore(name, _plaintext(manifest, key))
    try:
        _compare_rows(manifest.rows, rows)
    except BaseException:
        storage.drop(name)
        raise
    return rows


def hospital_restore(
    *,
    code: str,
    source: str | None = None,
    at: datetime.datetime | None = None,
    grace_seconds: float = 10.0,
    progress: Callable[[str], None] | None = None,
) -> RestoreReport:
    """Restore hospital `code` from a backup (see the module docstring for the steps)."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    hospital = get_hospital(validate_hospital_code(code))
    if hospital.status not in RESTORABLE:
        raise RestoreError(f"{code} is {hospital.status}; only ACTIVE or SUSPENDED hospitals are restored.")
    manifest = catalog.choose(code, source=source, at=at)
    say(f"Checking backup {manifest.stamp} of {code} (taken {manifest.taken_at}).")
    backup_verify(manifest)
    key = key_load(code)
    storage = storage_for(hospital.server)
    if manifest.vendor != storage.vendor:
        raise RestoreError(
            f"The backup is of a {manifest.vendor} database and {code} lives on {storage.vendor} "
            f"({hospital.server}); move the hospital first."
        )
    report = RestoreReport(code=code, stamp=manifest.stamp, taken_at=manifest.taken_at)
    for leftover in storage.restore_leftovers(code, {hospital.database_name}):
        report.notes.append(f"removed {leftover}, left by an interrupted restore")
    old_name = hospital.database_name
    Hospital.objects.filter(pk=hospital.pk).update(
        read_only=True,
        status_detail="This hospital is being restored from its backup of "
        f"{manifest.taken:%d %B %Y %H:%M} UTC.",
    )
    say(f"{code} is read-only; waiting {grace_seconds:g}s for writers in flight.")
    time.sleep(grace_seconds)
    # Seconds and a few random letters: two restores in one second never meet; short for PostgreSQL.
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)
    new_name = storage.restore_name(code, stamp)
    target = Tenant(
        code=code, alias=f"{RESTORE_ALIAS_PREFIX}{code}", database=storage.connection_settings(new_name)
    )
    hooks = chain_hooks()
    made = False
    try:
        say(f"Restoring into a new database {new_name}.")
        report.rows = _restore_into(storage, new_name, manifest, key)
        made = True
        with tenant_database(target):
            check = hooks.chain_check(allow_checkpoint_ahead=True)
            if not check.intact:
                raise RestoreError(f"The restored audit chain is broken {check.reason}.")
            report.chain = f"intact, {check.events} events" + (f" ({check.reason})" if check.reason else "")
            run_before_switch(code)  # events spooled while read-only join the restored log
            hooks.chain_restored_accept(
                detail={"backup": manifest.stamp, "taken_at": manifest.taken_at, "database": new_name}
            )
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            switched = Hospital.objects.filter(pk=hospital.pk, database_name=old_name).update(
                database_name=new_name,
                read_only=False,
                status_detail="",
                schema_fingerprint=manifest.schema_fingerprint or hospital.schema_fingerprint,
            )
        if not switched:
            raise RestoreError(f"{code} changed database while it was being restored.")
    except BaseException as exc:
        tenant_connections.forget(target.alias)
        if isinstance(exc, Exception):
            if made:
                _quietly(lambda: storage.drop(new_name))
            Hospital.objects.filter(pk=hospital.pk).update(read_only=False, status_detail="")
            message = exc.message if isinstance(exc, TenancyError) else failure_detail(exc)
            raise RestoreError(f"Restoring {code} failed; nothing was switched: {message}") from exc
        raise
    tenant_connections.forget(target.alias)
    tenant_connections.forget(tenant_connections.hospital_alias(code))
    report.database_name = new_name
    say(f"{code} now runs on the restored database; waiting {grace_seconds:g}s before renaming the old one.")
    time.sleep(grace_seconds)
    hospital.refresh_from_db()
    from hms.tenancy.context import tenant_for

    with tenant_database(tenant_for(hospital)):
        run_before_switch(code)  # events spooled by requests that began before the switch
    try:
        report.replaced = storage.keep_replaced(code, old_name, stamp)
    except Exception as exc:  # noqa: BLE001 - the restore is done; say what happened to the old copy
        report.notes.append(f"the replaced database {old_name} was not renamed: {failure_detail(exc)}")
    if manifest.schema_fingerprint and manifest.schema_fingerprint != hospital.schema_fingerprint:
        report.notes.append("the backup's schema is older: run migrate_hospitals")
    report.seconds = time.perf_counter() - started
    return report


def _quietly(action: Callable[[], Any]) -> None:
    try:
        action()
    except Exception:  # the restore's own error is the one to report
        logger.exception("Could not remove the restored copy after a failed restore")


@dataclass(frozen=True)
class DrillOutcome:
    code: str
    status: str  # "ok" or "FAILED"
    stamp: str = ""
    taken_at: str = ""
    rows: int = 0
    chain: str = ""
    seconds: float = 0.0
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.status != "ok"


@dataclass
class _Drilled:
    code: str
    manifest: catalog.Manifest | None
    storage: StorageBackend | None = None
    name: str = ""
    rows: int = 0
    error: str = ""
    started: float = field(default_factory=time.perf_counter)


def _drill_restore(
    hospital: Hospital, storage: StorageBackend, manifest: catalog.Manifest | None
) -> _Drilled:
    drilled = _Drilled(hospital.code, manifest, storage)
    if manifest is None:
        drilled.error = f"no backup in {catalog.backup_dir(hospital.code)}"
        return drilled
    try:
        backup_verify(manifest)
        key = key_load(hospital.code)
        name = storage.scratch_name(hospital.code, secrets.token_hex(6))
        drilled.rows = sum(_restore_into(storage, name, manifest, key).values())
        drilled.name = name
    except Exception as exc:  # noqa: BLE001 - reported per hospital; the drill goes on
        drilled.error = exc.message if isinstance(exc, TenancyError) else failure_detail(exc)
    return drilled


def restore_drill(
    *, codes: list[str] | None = None, jobs: int = 1, on_outcome: Callable[[DrillOutcome], None] | None = None
) -> list[DrillOutcome]:
    """Restore each hospital's newest backup into a scratch database, check it, drop it.

    Decrypting and restoring run `jobs` at a time (threads); the audit chain of each copy is
    then checked here, against the hospital's checkpoint (which may be ahead of the copy).
    """
    hospitals = Hospital.objects.filter(status__in=RESTORABLE).order_by("code")
    if codes is not None:
        hospitals = hospitals.filter(code__in=codes)
    plan = [(h, storage_for(h.server), catalog.latest(h.code)) for h in hospitals]
    hooks = chain_hooks()
    outcomes: list[DrillOutcome] = []

    def finish(drilled: _Drilled) -> None:
        manifest = drilled.manifest
        chain = ""
        if not drilled.error and drilled.storage is not None:
            target = Tenant(
                code=drilled.code,
                alias=f"{DRILL_ALIAS_PREFIX}{drilled.code}",
                database=drilled.storage.connection_settings(drilled.name),
            )
            try:
                with tenant_database(target):
                    check = hooks.chain_check(allow_checkpoint_ahead=True)
                chain = f"intact ({check.events})" if check.intact else "BROKEN"
                if not check.intact:
                    drilled.error = f"audit chain broken {check.reason}"
            except Exception as exc:  # noqa: BLE001
                drilled.error = failure_detail(exc)
            finally:
                tenant_connections.forget(target.alias)
        if drilled.name and drilled.storage is not None:
            try:
                drilled.storage.drop(drilled.name)
            except Exception as exc:  # noqa: BLE001
                drilled.error = (
                    drilled.error or f"scratch copy {drilled.name} not dropped: {failure_detail(exc)}"
                )
        outcome = DrillOutcome(
            drilled.code,
            "FAILED" if drilled.error else "ok",
            stamp=manifest.stamp if manifest else "",
            taken_at=manifest.taken_at if manifest else "",
            rows=drilled.rows,
            chain=chain,
            seconds=time.perf_counter() - drilled.started,
            error=drilled.error,
        )
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    if jobs <= 1 or len(plan) <= 1:
        for item in plan:
            finish(_drill_restore(*item))
        return outcomes
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="drill") as pool:
        for drilled in pool.map(lambda item: _drill_restore(*item), plan):
            finish(drilled)
    return outcomes


def shared_restore(
    *, output: str, source: str | None = None, at: datetime.datetime | None = None
) -> tuple[catalog.Manifest, dict[str, int]]:
    """Restore the shared database's backup to a NEW SQLite file (`output`, a path) or a NEW
    PostgreSQL database (`output`, a name on the shared database's server), verified like a
    hospital's (checksum, integrity, rows per table). Switching to it is the operator's step
    (docs/operations/backup.md): the running processes hold the shared database open."""
    manifest = catalog.choose(SHARED, source=source, at=at)
    backup_verify(manifest)
    key = key_load(SHARED)
    if manifest.vendor == "sqlite":
        target = Path(output)
        if target.exists():
            raise RestoreError(f"{target} exists; name a new file.")
        partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
        try:
            with open(partial, "xb") as handle:
                for chunk in _plaintext(manifest, key):
                    handle.write(chunk)
            if problem := sqlite_integrity(partial):
                raise RestoreError(f"The restored copy fails SQLite's integrity check: {problem}")
            rows = sqlite_row_counts(partial)
            _compare_rows(manifest.rows, rows)
            os.link(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return manifest, rows
    admin = django_conninfo(dict(connections[DEFAULT_DB_ALIAS].settings_dict))
    try:
        with psycopg.connect(**admin, autocommit=True) as connection:
            connection.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(output))
            )
    except psycopg.errors.DuplicateDatabase:
        raise RestoreError(f"Database {output} exists; name a new database.") from None
    conninfo = {**admin, "dbname": output}
    try:
        pg_restore(conninfo, _plaintext(manifest, key))
        rows = pg_row_counts(conninfo)
        _compare_rows(manifest.rows, rows)
    except BaseException:
        with psycopg.connect(**admin, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(output))
            )
        raise
    return manifest, rows
