"""What the platform operator does from the console: each action checks the operator, does one
thing through the engine's or the registry's own service, and is recorded in the security log.

Long work (a backup, an archive's final backup) runs as a detached `manage.py` command, so
that the request answers at once; the command records its outcome in the hospital's snapshot,
which the console shows (docs/adr/0012-hospital-snapshots-for-the-platform-console.md).
"""

import datetime
import os
import subprocess  # noqa: S404 - our own manage.py commands, with fixed arguments
import sys
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from hms.accounts.models import User
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.hospitals.models import Hospital
from hms.hospitals.services import hospital_archive_undo, hospital_set_status
from hms.hospitals.snapshots import snapshot_backup_record, snapshot_backup_requested
from hms.security.actor import acting
from hms.security.log import Kind, security_record
from hms.tenancy.archiving import ARCHIVABLE, hospital_database_remove
from hms.tenancy.backups.health import HealthRow
from hms.tenancy.codes import is_valid_hospital_code
from hms.tenancy.exceptions import TenancyError
from hms.tenancy.first_admin import first_admin_create
from hms.tenancy.provisioning import hospital_provision
from hms.tenancy.snapshots import hospital_snapshot_refresh

# A backup started from the console that has not reported after this long is taken to have died.
BACKUP_REPORT_WAIT = datetime.timedelta(minutes=30)


def operator_check(user: Any) -> None:
    if not getattr(user, "is_superadmin", False):
        raise NotAllowed("Only the platform operator uses the platform console.")


def console_hospital(*, acting_user: User, code: str) -> Hospital:
    """The hospital named `code`, for the operator; NotFound for anything else."""
    operator_check(acting_user)
    code = (code or "").strip().upper()
    hospital = Hospital.objects.filter(code=code).first() if is_valid_hospital_code(code) else None
    if hospital is None:
        raise NotFound("There is no hospital with that code.")
    return hospital


def _record(acting_user: User, hospital: Hospital, action: str, **detail: Any) -> None:
    _, request = acting()
    security_record(
        Kind.ADMIN_ACTION,
        user=acting_user,
        request=request,
        hospital_code=hospital.code,
        detail={"action": action, "via": "platform console", **detail},
    )


@dataclass(frozen=True)
class HospitalCreated:
    hospital: Hospital
    admin_username: str = ""
    set_password_path: str = ""
    admin_problem: str = ""


def hospital_create(
    *,
    acting_user: User,
    code: str,
    name: str,
    time_zone: str,
    admin_username: str,
    admin_email: str,
    admin_first_name: str = "",
    admin_last_name: str = "",
) -> HospitalCreated:
    """A new hospital (its database cloned from the template) and its first administrator."""
    operator_check(acting_user)
    if User.objects.filter(username__iexact=admin_username).exists():
        raise ApplicationError(
            "That username is taken.", details={"admin_username": ["That username is taken."]}
        )
    try:
        hospital = hospital_provision(code=code, name=name, time_zone=time_zone)
    except TenancyError as exc:
        raise ApplicationError(exc.message) from exc
    _record(acting_user, hospital, "hospital_created", name=hospital.name, server=hospital.server)
    try:
        made = first_admin_create(
            hospital=hospital,
            username=admin_username,
            email=admin_email,
            first_name=admin_first_name,
            last_name=admin_last_name,
            acting_user=acting_user,
        )
    except (ApplicationError, TenancyError) as exc:
        details = getattr(exc, "details", {}) or {}
        problems = " ".join(str(m) for messages in details.values() for m in messages)
        return HospitalCreated(hospital, admin_problem=f"{exc.message} {problems}".strip())
    return HospitalCreated(hospital, admin_username, made.set_password_path)


def hospital_suspend(*, acting_user: User, hospital: Hospital) -> Hospital:
    return _status_change(acting_user, hospital, Hospital.Status.SUSPENDED, "hospital_suspended")


def hospital_reactivate(*, acting_user: User, hospital: Hospital) -> Hospital:
    return _status_change(acting_user, hospital, Hospital.Status.ACTIVE, "hospital_reactivated")


def _status_change(acting_user: User, hospital: Hospital, status: str, action: str) -> Hospital:
    operator_check(acting_user)
    if hospital.status == status:
        raise ApplicationError(f"{hospital.name} is already {hospital.get_status_display().lower()}.")
    previous = hospital.status
    hospital = hospital_set_status(hospital=hospital, status=status)
    _record(acting_user, hospital, action, previous_status=previous)
    return hospital


def _in_service_check(hospital: Hospital, done: str) -> None:
    if hospital.status not in ARCHIVABLE:
        raise ApplicationError(
            f"{hospital.name} is {hospital.get_status_display().lower()}: only active or suspended "
            f"hospitals are {done}."
        )


def command_start(*arguments: str) -> int:
    """Start `manage.py <arguments>` detached from this request and its worker; its process id.

    A new session, so that a worker restarted by gunicorn (or a request timeout) does not take
    the command with it; its output goes to the log (it records its outcome itself).
    """
    command = [sys.executable, "-m", "django", *arguments, "--no-color"]
    # The settings this process runs with (settings.SETTINGS_MODULE is unset under overrides).
    module = os.environ.get("DJANGO_SETTINGS_MODULE") or getattr(settings, "SETTINGS_MODULE", None)
    environment = {**os.environ, **({"DJANGO_SETTINGS_MODULE": module} if module else {})}
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
        command,
        cwd=settings.BASE_DIR,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=None,  # the worker's own error stream: the operator's log
        start_new_session=True,
        close_fds=True,
    )
    return process.pid


def hospital_backup_start(*, acting_user: User, hospital: Hospital) -> int:
    """Start a backup of one hospital (backup_hospitals --hospital CODE); its process id."""
    operator_check(acting_user)
    _in_service_check(hospital, "backed up")
    snapshot = getattr(hospital, "snapshot", None)
    if (
        snapshot is not None
        and snapshot.backup_pending
        and snapshot.backup_requested_at is not None
        and timezone.now() - snapshot.backup_requested_at < BACKUP_REPORT_WAIT
    ):
        started = timezone.localtime(snapshot.backup_requested_at)
        raise ApplicationError(
            f"A backup of {hospital.name} was started at {started:%H:%M} and has not finished yet: "
            "its outcome will show in the last-backup column."
        )
    pid = _start(hospital, ["backup_hospitals", "--hospital", hospital.code, "--no-progress"])
    _record(acting_user, hospital, "hospital_backup_started", process=pid)
    return pid


def hospital_check_now(*, acting_user: User, hospital: Hospital) -> HealthRow:
    """Check one hospital as check_hospitals does, now, and record what was found."""
    operator_check(acting_user)
    if hospital.status not in ARCHIVABLE + (Hospital.Status.ARCHIVED,) or hospital.database_removed_at:
        raise ApplicationError(f"{hospital.name} has no database in service to check.")
    row = hospital_snapshot_refresh(hospital)
    _record(acting_user, hospital, "hospital_checked", healthy=row.healthy)
    return row


def hospital_archive_start(*, acting_user: User, hospital: Hospital) -> int:
    """Archive now (read-only for good) and start its final backup (archive_hospital CODE)."""
    operator_check(acting_user)
    _in_service_check(hospital, "archived")
    previous = hospital.status
    hospital = hospital_set_status(hospital=hospital, status=Hospital.Status.ARCHIVED)
    try:
        pid = _start(hospital, ["archive_hospital", hospital.code])
    except ApplicationError as error:
        hospital_archive_undo(hospital=hospital, status=previous)  # no final backup: not archived
        raise ApplicationError(f"{error.message} {hospital.name} was not archived.") from error
    _record(acting_user, hospital, "hospital_archived", previous_status=previous, process=pid)
    return pid


def hospital_database_remove_now(*, acting_user: User, hospital: Hospital, confirm_code: str) -> Hospital:
    """Remove an archived hospital's database (the operator typed its code to confirm)."""
    operator_check(acting_user)
    if confirm_code.strip().upper() != hospital.code:
        raise ApplicationError(
            f"Type the hospital's code, {hospital.code}, to confirm.",
            details={"confirm_code": [f"Type {hospital.code} to confirm."]},
        )
    try:
        return hospital_database_remove(code=hospital.code, actor=acting_user)
    except TenancyError as exc:
        raise ApplicationError(exc.message) from exc


def _start(hospital: Hospital, arguments: list[str]) -> int:
    """Start a command that ends with a backup of `hospital`: the console shows it under way
    (marked before it starts, so that a quick one's outcome is never older than the mark)."""
    snapshot_backup_requested(hospital=hospital)
    try:
        return command_start(*arguments)
    except OSError as exc:
        error = f"the {arguments[0]} command could not be started: {exc}"
        snapshot_backup_record(code=hospital.code, error=error)
        raise ApplicationError(error[0].upper() + error[1:]) from exc
