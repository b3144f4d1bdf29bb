"""Moving a hospital to another database server while it keeps serving reads.

1. The hospital is marked read-only; after a grace period (longer than any request)
   no writer that saw it writable is left.
2. A new database is cloned from the template on the target server and every tenant
   table is copied into it in one transaction, then row counts are compared.
3. Hooks registered with `before_switch` run against the new database (the audit
   app appends events spooled while the hospital was read-only).
4. The registry is switched to the new server and the hospital is writable again;
   only then is the old database dropped.

An interruption before step 4 leaves the hospital served, read-only, from the old
server: run the move again to finish it, or `move_hospital CODE --abort`.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

from hms.hospitals.models import Hospital
from hms.tenancy import connections as tenant_connections
from hms.tenancy.backends import storage_for
from hms.tenancy.codes import validate_hospital_code
from hms.tenancy.context import Tenant, get_hospital, tenant_database, tenant_for
from hms.tenancy.exceptions import TenancyError
from hms.tenancy.provisioning import template_ensure
from hms.tenancy.schema import current_fingerprint, tenant_app_labels
from hms.tenancy.servers import get_server

logger = logging.getLogger(__name__)

_before_switch: list[Callable[[str], object]] = []
COPY_BATCH = 2000
MOVE_ALIAS_PREFIX = "hospital_move_"


class MoveError(TenancyError):
    code = "move_failed"


def before_switch(hook: Callable[[str], object]) -> Callable[[str], object]:
    """Register `hook(hospital_code)`, run inside the new database's context before the switch."""
    if hook not in _before_switch:
        _before_switch.append(hook)
    return hook


def run_before_switch(code: str) -> None:
    """Run the `before_switch` hooks in the current (new) database's context (moves and restores)."""
    for hook in _before_switch:
        hook(code)


@dataclass
class MoveReport:
    code: str
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def hospital_move(
    *, code: str, to_server: str, grace_seconds: float = 10.0, progress: Callable[[str], None] | None = None
) -> MoveReport:
    """Move hospital `code` to server `to_server`; see the module docstring for the steps."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    hospital = _check_movable(code, to_server)
    report = MoveReport(code=code, source=hospital.server, target=to_server)
    old_server, old_name = hospital.server, hospital.database_name
    target_storage = storage_for(to_server)
    target_name = target_storage.database_name_for(code)
    Hospital.objects.filter(pk=hospital.pk).update(read_only=True)
    say(f"{code} is read-only; waiting {grace_seconds:g}s for writers in flight.")
    time.sleep(grace_seconds)
    hospital.refresh_from_db()
    source = tenant_for(hospital)
    target = Tenant(
        code=code,
        alias=f"{MOVE_ALIAS_PREFIX}{code}",
        database=target_storage.connection_settings(target_name),
    )
    try:
        fingerprint = current_fingerprint()
        target_storage.drop(target_name)  # left by an interrupted move: the registry never pointed there
        template_ensure(target_storage, fingerprint)
        target_storage.create_from_template(target_name, fingerprint)
        say(f"Copying {code} from {hospital.server} to {to_server}.")
        with tenant_database(source), tenant_database(target):
            report.rows = _copy_tables(source.alias, target.alias)
        with tenant_database(target):
            run_before_switch(code)
        _switch(hospital, to_server, target_name)
    except BaseException as exc:
        tenant_connections.forget(target.alias)
        if isinstance(exc, Exception):
            # A handled failure: leave the hospital as it was, on its old server and writable.
            _cleanup_failed_target(target_storage, target_name)
            Hospital.objects.filter(pk=hospital.pk).update(read_only=False)
            raise MoveError(
                f"Moving {code} to {to_server} failed; it stays on {hospital.server}: {exc}"
            ) from exc
        raise
    tenant_connections.forget(target.alias)
    tenant_connections.forget(source.alias)
    say(f"{code} now lives on {to_server}; waiting {grace_seconds:g}s before dropping the old copy.")
    time.sleep(grace_seconds)
    hospital.refresh_from_db()
    with tenant_database(tenant_for(hospital)):
        run_before_switch(code)  # events spooled by requests that began before the switch
    storage_for(old_server).drop(old_name)
    report.seconds = time.perf_counter() - started
    return report


def hospital_move_abort(*, code: str) -> Hospital:
    """Undo an interrupted move: drop any partial copy and make the hospital writable again."""
    hospital = get_hospital(validate_hospital_code(code))
    for name in _servers_other_than(hospital.server):
        storage = storage_for(name)
        leftover = storage.database_name_for(code)
        if storage.exists(leftover):
            storage.drop(leftover)
    Hospital.objects.filter(pk=hospital.pk).update(read_only=False)
    hospital.refresh_from_db()
    return hospital


def _check_movable(code: str, to_server: str) -> Hospital:
    hospital = get_hospital(validate_hospital_code(code))
    server = get_server(to_server)  # raises StorageError for an unknown server
    if hospital.server == to_server:
        raise MoveError(f"{code} already lives on {to_server}.")
    if hospital.status not in (Hospital.Status.ACTIVE, Hospital.Status.SUSPENDED):
        raise MoveError(f"{code} is {hospital.status}; only ACTIVE or SUSPENDED hospitals can be moved.")
    if hospital.schema_fingerprint != current_fingerprint():
        raise MoveError(f"{code} is behind the current schema; run migrate_hospitals first.")
    if server.max_hospitals is not None:
        placed = Hospital.objects.filter(server=to_server).exclude(status=Hospital.Status.ARCHIVED).count()
        if placed >= server.max_hospitals:
            raise MoveError(f"{to_server} is full ({placed} of {server.max_hospitals} hospitals).")
    return hospital


def _tenant_models() -> list[type[models.Model]]:
    """Tenant models, each after the models it has foreign keys to."""
    labels = tenant_app_labels()
    pending = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in labels and model._meta.managed and not model._meta.proxy
    ]
    ordered: list[type[models.Model]] = []
    while pending:
        ready = [
            model
            for model in pending
            if all(
                dep in ordered or dep is model or dep not in pending
                for dep in (f.related_model for f in model._meta.concrete_fields if f.is_relation)
            )
        ]
        if not ready:  # a cycle: keep the remaining order, the copy is in one transaction anyway
            ready = pending[:1]
        ordered.extend(ready)
        pending = [model for model in pending if model not in ready]
    return ordered


def _insert_as_is(model: type[models.Model], target: str, rows: list[models.Model]) -> None:
    """Insert rows with every value exactly as read, like loaddata does (raw).

    bulk_create() would run each field's pre_save(): auto_now and auto_now_add
    fields would be stamped with the time of the move, losing when records were made.
    """
    fields = model._meta.concrete_fields
    size = max(connections[target].ops.bulk_batch_size(fields, rows), 1)
    queryset = model._base_manager.using(target)
    for start in range(0, len(rows), size):
        # QuerySet._insert is what Model.save_base(raw=True) runs, for many rows at once.
        queryset._insert(  # type: ignore[attr-defined]
            rows[start : start + size], fields=fields, raw=True, using=target
        )


def _copy_tables(source: str, target: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    copied = _tenant_models()
    with transaction.atomic(using=target):
        for model in copied:
            manager = model._base_manager
            if manager.using(target).exists():
                manager.using(target).all().delete()  # rows the template starts with
            batch: list[models.Model] = []
            for row in manager.using(source).order_by("pk").iterator(chunk_size=COPY_BATCH):
                batch.append(row)
                if len(batch) >= COPY_BATCH:
                    _insert_as_is(model, target, batch)
                    batch = []
            if batch:
                _insert_as_is(model, target, batch)
        statements = connections[target].ops.sequence_reset_sql(no_style(), copied)
        with connections[target].cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        for model in copied:
            label = model._meta.label
            source_rows = model._base_manager.using(source).count()
            target_rows = model._base_manager.using(target).count()
            if source_rows != target_rows:
                raise MoveError(f"{label}: {source_rows} rows on the old server but {target_rows} copied.")
            counts[label] = target_rows
    return counts


def _switch(hospital: Hospital, to_server: str, target_name: str) -> None:
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        updated = Hospital.objects.filter(pk=hospital.pk, server=hospital.server).update(
            server=to_server, database_name=target_name, read_only=False
        )
    if not updated:
        raise MoveError(f"{hospital.code} changed server while it was being moved.")


def _cleanup_failed_target(storage: object, name: str) -> None:
    try:
        storage.drop(name)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - the move's own error is the one to report
        logger.exception("Could not drop the partial copy %s", name)


def _servers_other_than(server: str) -> list[str]:
    from hms.tenancy.servers import EMBEDDED_SERVER, configured_servers

    return [name for name in [EMBEDDED_SERVER, *configured_servers()] if name != server]
