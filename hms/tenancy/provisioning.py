"""Creating a hospital: registry row, database cloned from the schema template, then ACTIVE.

All-or-nothing to the user: the hospital becomes ACTIVE only once its database is
complete. A handled failure (invalid input, full disk) removes what was made and
leaves no trace; a crash leaves the row PROVISIONING, and running the same
provisioning again finishes it.
"""

import logging
import threading
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db import connections as db_connections

from hms.hospitals.models import Hospital
from hms.hospitals.validators import validate_time_zone
from hms.tenancy import connections as tenant_connections
from hms.tenancy.backends import StorageBackend, storage_for
from hms.tenancy.codes import validate_hospital_code
from hms.tenancy.exceptions import DatabaseExists, ProvisioningError, StorageError, TenancyError
from hms.tenancy.placement import server_choose
from hms.tenancy.schema import current_fingerprint, migrate_database
from hms.tenancy.upgrades import schema_record_current

logger = logging.getLogger(__name__)

RESUMABLE = (Hospital.Status.PROVISIONING, Hospital.Status.FAILED)


def hospital_provision(*, code: str, name: str, time_zone: str = "UTC") -> Hospital:
    """Create hospital `code` with its own database, or finish one a crash left half-made."""
    code = validate_hospital_code(code)
    name = (name or "").strip()
    if not name:
        raise ProvisioningError("A hospital needs a name.")
    longest = Hospital._meta.get_field("name").max_length
    if longest is not None and len(name) > longest:
        raise ProvisioningError("The hospital name is too long (200 characters at most).")
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        raise ProvisioningError(exc.messages[0]) from exc

    hospital, created = _claim(code=code, name=name, time_zone=time_zone)
    storage = storage_for(hospital.server)
    fingerprint = current_fingerprint()
    try:
        schema_record_current()  # before any hospital has this schema (hms.tenancy.upgrades)
        template_ensure(storage, fingerprint)
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            # Locks the row (PostgreSQL) or the registry (SQLite IMMEDIATE) so two
            # provisioners of the same code cannot interleave.
            hospital = Hospital.objects.select_for_update().get(pk=hospital.pk)
            if hospital.status not in RESUMABLE:
                raise ProvisioningError(f"Hospital {code} already exists.")
            if not created:
                # Whatever an attempt that never became ACTIVE left (a database, partial
                # copies of one) holds no data: start clean.
                storage.drop(hospital.database_name)
            _create_database(storage, hospital.database_name, fingerprint)
            hospital.status = Hospital.Status.ACTIVE
            hospital.schema_fingerprint = fingerprint
            hospital.status_detail = ""
            hospital.save(update_fields=["status", "schema_fingerprint", "status_detail", "updated_at"])
    except ProvisioningError:
        raise
    except DatabaseExists as exc:
        # Not ours: a database no hospital row owns may still hold someone's data.
        _undo(hospital, storage, created=created, error=exc, drop=False)
        raise ProvisioningError(
            f"Could not create hospital {code}: {exc} No hospital owns it; an operator must "
            "check and remove it (or restore its hospital's registry row) first."
        ) from exc
    except Exception as exc:
        _undo(hospital, storage, created=created, error=exc)
        raise ProvisioningError(f"Could not create hospital {code}: {exc}") from exc
    logger.info("Provisioned hospital %s on %s", code, hospital.server)
    _replenish_spares_later(storage, fingerprint)
    return hospital


_replenishing: list[threading.Thread] = []


def _replenish_spares_later(storage: StorageBackend, fingerprint: str) -> None:
    """Refill the server's spare clones after the caller has its hospital (see `spares`)."""
    if not getattr(getattr(storage, "server", None), "spares", 0):
        return

    def replenish() -> None:
        try:
            storage.spares_replenish(fingerprint)
        except Exception:  # noqa: BLE001 - provisioning falls back to cloning when none is ready
            logger.exception("Could not replenish spare databases")
        finally:
            db_connections.close_all()  # this thread's own (the registry was read)

    thread = threading.Thread(target=replenish, name="hms-spares", daemon=True)
    thread.start()
    _replenishing.append(thread)


def spares_wait(timeout: float | None = None) -> None:
    """Wait for spare databases being prepared (a command calls this before it exits)."""
    while _replenishing:
        _replenishing.pop().join(timeout)


_known_templates: set[tuple[str, str]] = set()


def _template_key(storage: StorageBackend, fingerprint: str) -> tuple[str, str]:
    return (storage.template_location(fingerprint), fingerprint)


def template_ensure(storage: StorageBackend, fingerprint: str) -> None:
    """Build the template database for `fingerprint` unless it exists; once per schema.

    A template seen once is remembered for the life of the process; if it disappears,
    `_create_database` rebuilds it.
    """
    key = _template_key(storage, fingerprint)
    if key in _known_templates:
        return
    if storage.template_exists(fingerprint):
        _known_templates.add(key)
        return
    alias = f"{tenant_connections.TEMPLATE_ALIAS_PREFIX}{fingerprint}"

    def migrate(database: dict[str, Any]) -> None:
        tenant_connections.register(alias, database)
        try:
            migrate_database(alias)
        finally:
            tenant_connections.forget(alias)

    storage.build_template(fingerprint, migrate)
    _known_templates.add(key)
    logger.info("Built tenant template %s", fingerprint)


def _create_database(storage: StorageBackend, database_name: str, fingerprint: str) -> None:
    try:
        storage.create_from_template(database_name, fingerprint)
    except DatabaseExists:
        raise
    except StorageError:
        if storage.template_exists(fingerprint):
            raise
        # The remembered template was removed behind our back: rebuild it once.
        _known_templates.discard(_template_key(storage, fingerprint))
        template_ensure(storage, fingerprint)
        storage.create_from_template(database_name, fingerprint)


def _claim(*, code: str, name: str, time_zone: str) -> tuple[Hospital, bool]:
    """The registry row to provision: a new PROVISIONING row, or one left by a crash."""
    try:
        server = server_choose()
        database_name = storage_for(server).database_name_for(code)
    except (ProvisioningError, StorageError) as exc:
        # Every server full, say: a hospital a crash left half-made still has its place.
        return _resumable(code, exc), False
    try:
        # Committed at once, before any database is made: a crash leaves PROVISIONING.
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            hospital = Hospital.objects.create(
                code=code,
                name=name,
                time_zone=time_zone,
                server=server,
                database_name=database_name,
                status=Hospital.Status.PROVISIONING,
            )
    except IntegrityError as exc:
        return _resumable(code, exc), False
    return hospital, True


def _resumable(code: str, cause: Exception) -> Hospital:
    existing = Hospital.objects.filter(code=code).first()
    if existing is not None and existing.status in RESUMABLE:
        return existing
    if existing is not None:
        raise ProvisioningError(f"Hospital {code} already exists.") from cause
    if isinstance(cause, TenancyError):  # no server has room, say: its message is for the operator
        raise ProvisioningError(cause.message) from cause
    raise ProvisioningError(f"Could not register hospital {code}: {cause}") from cause


def _undo(
    hospital: Hospital, storage: StorageBackend, *, created: bool, error: Exception, drop: bool = True
) -> None:
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        # Under the same lock as provisioning: another provisioner of this code may have
        # finished it meanwhile, and an ACTIVE hospital's database is not ours to drop.
        row = Hospital.objects.select_for_update().filter(pk=hospital.pk).first()
        if row is None or row.status not in RESUMABLE:
            return
        try:
            if drop:
                storage.drop(row.database_name)
        except Exception:  # noqa: BLE001 - the original error is the one to report
            logger.exception("Could not remove the database of failed hospital %s", row.code)
        if created and row.status == Hospital.Status.PROVISIONING:
            row.delete()
        else:
            Hospital.objects.filter(pk=row.pk).update(
                status=Hospital.Status.FAILED, status_detail=str(error)[:2000]
            )
