"""Archiving a hospital: first read-only for good, later (by the operator's choice) without its database.

`hospital_archive` makes the hospital ARCHIVED (its users may read, the middleware refuses
every write), waits for requests in flight, and takes a final backup, which is the
hospital's last state since nothing writes after it. If that backup fails the hospital goes
back to what it was. Run again on an archived hospital, it takes the final backup if none
was taken since it was archived.

`hospital_database_remove` then removes the database of an ARCHIVED hospital that has such a
final backup; the registry row stays (ARCHIVED, with the time the database was removed),
and its backups and backup key are not touched, so it can still be restored elsewhere.

Each step is sent as `hospital_operation_done` (code, action, actor, detail): the security
log listens (hms.platform.receivers), as it listens to the middleware's signals.
"""

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal

from hms.core.exceptions import ApplicationError
from hms.hospitals.models import Hospital
from hms.hospitals.services import hospital_archive_undo, hospital_database_removed_mark, hospital_set_status
from hms.hospitals.snapshots import snapshot_backup_record
from hms.tenancy import connections as tenant_connections
from hms.tenancy.backends import storage_for
from hms.tenancy.backups import catalog
from hms.tenancy.backups.backup import backup_take, hospital_target
from hms.tenancy.context import get_hospital
from hms.tenancy.exceptions import TenancyError

ARCHIVABLE = (Hospital.Status.ACTIVE, Hospital.Status.SUSPENDED)

# Sent with `code`, `action` ("hospital_archived", "hospital_final_backup_taken",
# "hospital_database_removed"), `actor` (the signed-in operator, or None from the command
# line) and `detail` (a dict, no patient data).
hospital_operation_done = Signal()


class ArchiveError(TenancyError):
    code = "archive_failed"


@dataclass
class ArchiveReport:
    code: str
    archived_at: datetime.datetime | None = None
    backup_stamp: str = ""
    already: bool = False  # archived, with a final backup, before this run


def final_backup(hospital: Hospital) -> catalog.Manifest | None:
    """The newest backup taken since the hospital was archived, if any."""
    newest = catalog.latest(hospital.code)
    if newest is None or hospital.archived_at is None or newest.taken < hospital.archived_at:
        return None
    return newest


def hospital_archive(
    *,
    code: str,
    grace_seconds: float = 10.0,
    actor: Any = None,
    progress: Callable[[str], None] | None = None,
) -> ArchiveReport:
    """Make `code` ARCHIVED (read-only for good) and take its final backup; see the module docstring."""
    say = progress or (lambda message: None)
    hospital = get_hospital(code)
    report = ArchiveReport(code=hospital.code)
    if hospital.is_archived and hospital.database_removed_at is not None:
        raise ArchiveError(
            f"{hospital.code} is archived and its database was removed on "
            f"{hospital.database_removed_at:%Y-%m-%d %H:%M} UTC."
        )
    previous = hospital.status
    if not hospital.is_archived:
        if previous not in ARCHIVABLE:
            raise ArchiveError(
                f"{hospital.code} is {previous}; only an ACTIVE or SUSPENDED hospital is archived."
            )
        try:
            hospital = hospital_set_status(hospital=hospital, status=Hospital.Status.ARCHIVED)
        except ApplicationError as exc:
            raise ArchiveError(exc.message) from exc
        say(f"{hospital.code} is archived: its users may read, nothing is saved.")
    report.archived_at = hospital.archived_at
    if (done := final_backup(hospital)) is not None:
        report.already = previous == Hospital.Status.ARCHIVED
        report.backup_stamp = done.stamp
        return report
    # Requests that began before the archiving may still be writing: the final backup waits
    # until `grace_seconds` have passed since it (the console archives, then starts this).
    assert hospital.archived_at is not None  # noqa: S101 - set with the ARCHIVED status
    since = (datetime.datetime.now(datetime.UTC) - hospital.archived_at).total_seconds()
    if (wait := grace_seconds - since) > 0:
        say(f"Waiting {wait:.0f}s for writers in flight.")
        time.sleep(wait)
    say(f"Taking the final backup of {hospital.code}.")
    outcome = backup_take(hospital_target(hospital))
    snapshot_backup_record(code=hospital.code, stamp=outcome.stamp, error=outcome.error)
    if outcome.failed:
        if previous != Hospital.Status.ARCHIVED:
            hospital_archive_undo(hospital=hospital, status=previous)
            raise ArchiveError(
                f"The final backup of {hospital.code} failed, so it was not archived "
                f"(it is {previous} again): {outcome.error}"
            )
        raise ArchiveError(
            f"The final backup of {hospital.code} failed: {outcome.error}. Fix the cause and rerun."
        )
    report.backup_stamp = outcome.stamp
    hospital_operation_done.send(
        sender=ArchiveReport,
        code=hospital.code,
        # Archived by this run, or earlier (the console archives at once and starts this for the backup).
        action="hospital_archived" if previous != Hospital.Status.ARCHIVED else "hospital_final_backup_taken",
        actor=actor,
        detail={"previous_status": previous, "final_backup": outcome.stamp},
    )
    return report


def hospital_database_remove(*, code: str, actor: Any = None) -> Hospital:
    """Remove the database of an ARCHIVED hospital that has its final backup; keep its row and backups."""
    hospital = get_hospital(code)
    if not hospital.is_archived:
        raise ArchiveError(
            f"{hospital.code} is {hospital.status}: archive it first (archive_hospital {hospital.code})."
        )
    if hospital.database_removed_at is not None:
        raise ArchiveError(
            f"The database of {hospital.code} was already removed on "
            f"{hospital.database_removed_at:%Y-%m-%d %H:%M} UTC."
        )
    backup = final_backup(hospital)
    if backup is None:
        raise ArchiveError(
            f"{hospital.code} has no backup taken since it was archived, so its records would be lost: "
            f"run archive_hospital {hospital.code} (without --remove-database) to take it."
        )
    tenant_connections.forget(tenant_connections.hospital_alias(hospital.code))
    storage_for(hospital.server).drop(hospital.database_name)
    try:
        hospital = hospital_database_removed_mark(hospital=hospital)
    except ApplicationError as exc:
        raise ArchiveError(exc.message) from exc
    hospital_operation_done.send(
        sender=ArchiveReport,
        code=hospital.code,
        action="hospital_database_removed",
        actor=actor,
        detail={"server": hospital.server, "database": hospital.database_name, "final_backup": backup.stamp},
    )
    return hospital
