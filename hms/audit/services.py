"""Writing and verifying the hash-chained audit log of the current hospital."""

import datetime
import hashlib
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from hms.accounts.models import User
from hms.audit.models import AuditChainHead, AuditEvent
from hms.core.exceptions import ApplicationError, Refusal
from hms.core.text import storable
from hms.security.chain import GENESIS, canonical, seal_new, seal_problem
from hms.security.checkpoints import checkpoint_advance, checkpoint_advance_on_commit, checkpoint_read
from hms.security.log import ChainReport, sealed_payload
from hms.tenancy.context import current_tenant, current_tenant_or_none
from hms.tenancy.models import SpooledAuditEvent

GENESIS_HASH = GENESIS


# What each row's seal covers, after its time.
SEALED_FIELDS = (
    "actor_id",
    "actor_username",
    "actor_role",
    "action",
    "resource",
    "patient_id",
    "outcome",
    "client_address",
    "detail",
)


def _payload(event: AuditEvent) -> dict[str, Any]:
    return sealed_payload(event, SEALED_FIELDS)


def _unkeyed_hash(previous_hash: str, event: AuditEvent) -> str:
    """How rows were hashed before the chain had a key (they verify only before the first sealed row)."""
    return hashlib.sha256(f"{previous_hash}{canonical(_payload(event))}".encode()).hexdigest()


# (acting user, patient id) -> what to add to the detail of an event about that patient.
DetailSource = Callable[[Any, int], dict[str, Any]]
_detail_sources: list[DetailSource] = []


def audit_detail_source_add(source: DetailSource) -> None:
    """Register something every event about a patient should say (an app's ready(), once).

    The care app marks events made under break-the-glass this way, so no service has to.
    """
    if source not in _detail_sources:
        _detail_sources.append(source)


def audit_record(
    *,
    acting_user: User,
    action: str,
    resource: str,
    patient_id: int | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    client_address: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the current hospital's audit log.

    Call it inside the transaction of the read or write it records, so both land or
    neither. While the hospital is read-only (being moved) the event is spooled in
    the shared database and appended to the log before the move completes.
    """
    tenant = current_tenant()
    occurred_at = timezone.now()
    if patient_id is not None:
        for source in _detail_sources:
            if extra := source(acting_user, patient_id):
                detail = {**(detail or {}), **extra}
    fields: dict[str, Any] = {
        "occurred_at": occurred_at,
        "actor_id": acting_user.pk,
        "actor_username": acting_user.get_username(),
        "actor_role": getattr(acting_user, "role", ""),
        "action": action,
        "resource": resource,
        "patient_id": patient_id,
        "outcome": outcome,
        "client_address": client_address or None,
        "detail": detail or {},
    }
    if tenant.read_only:
        payload = {**fields, "occurred_at": occurred_at.isoformat()}
        SpooledAuditEvent.objects.create(hospital_code=tenant.code, payload=payload)
        return AuditEvent(**fields)
    return _append(tenant.alias, fields)


def audit_refusal(request: Any, refusal: Refusal) -> None:
    """Record a refused request (403/404 from a service) in the current hospital's log.

    Outside a hospital, or for an anonymous user, there is nothing to record it in.
    """
    tenant = current_tenant_or_none()
    user = getattr(request, "user", None)
    if tenant is None or user is None or not user.is_authenticated:
        return
    with transaction.atomic(using=tenant.alias):
        audit_record(
            acting_user=user,
            action=f"{refusal.resource}.{refusal.action}" if refusal.resource else "access",
            resource=refusal.resource or "page",
            patient_id=refusal.patient_id,
            outcome=AuditEvent.Outcome.DENIED,
            client_address=request.META.get("REMOTE_ADDR") or None,
            detail=storable({"path": request.path[:500], "method": request.method, "refusal": refusal.code}),
        )


def _append(alias: str, fields: dict[str, Any]) -> AuditEvent:
    # No savepoint: if the audit row cannot be written, the caller's work must not land either.
    with transaction.atomic(using=alias, savepoint=False):
        previous = (
            AuditChainHead.objects.select_for_update()
            .filter(pk=1)
            .values_list("last_hash", flat=True)
            .first()
        )
        if previous is None:
            raise ApplicationError("This hospital's audit log has no head row; run migrate_hospitals.")
        event = AuditEvent(**fields, previous_hash=previous)
        event.key_id, event.hash = seal_new(previous, _payload(event))
        event.save(using=alias, force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(last_hash=event.hash)
        checkpoint_advance_on_commit(current_tenant().code, alias, event.pk, event.hash)
    return event


def audit_spool_drain(hospital_code: str) -> int:
    """Append the hospital's spooled events to the current hospital's log; return how many.

    Idempotent: each appended event names its spool row, so a rerun after a crash
    between the append and the clean-up appends nothing twice.
    """
    alias = current_tenant().alias
    spooled = list(SpooledAuditEvent.objects.filter(hospital_code=hospital_code).order_by("id"))
    if not spooled:
        return 0
    done = set(
        AuditEvent.objects.filter(detail__spool_id__in=[row.pk for row in spooled]).values_list(
            "detail__spool_id", flat=True
        )
    )
    appended = 0
    with transaction.atomic(using=alias):
        for row in spooled:
            if row.pk in done:
                continue
            fields = dict(row.payload)
            fields["occurred_at"] = datetime.datetime.fromisoformat(fields["occurred_at"])
            fields["detail"] = {**fields.get("detail", {}), "spool_id": row.pk}
            _append(alias, fields)
            appended += 1
    SpooledAuditEvent.objects.filter(pk__in=[row.pk for row in spooled]).delete()
    return appended


def audit_chain_verify() -> ChainReport:
    """Check every seal in order, the head row, and the checkpoint kept outside the hospital.

    A row must carry a seal made with a known key (rows hashed before the chain had a key
    are accepted only before the first sealed one). The checkpoint in the shared database
    names the newest event known to have been written: a chain that no longer holds it
    (the newest events deleted, the head rewritten to match) is broken. A chain with no
    checkpoint yet (written before checkpoints) gets one at its last event.
    """
    code = current_tenant().code
    mark = checkpoint_read(code)
    if mark is not None and mark.problem:
        return ChainReport(0, False, None, mark.problem)
    previous = GENESIS_HASH
    checked = 0
    sealed_seen = False
    mark_found = mark is not None and mark.event_id == 0 and mark.event_hash == GENESIS
    last_id = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        checked += 1
        if event.previous_hash != previous:
            return ChainReport(checked, False, event.pk, "previous_hash does not match the event before")
        if event.key_id:
            sealed_seen = True
            problem = seal_problem(previous, _payload(event), event.key_id, event.hash)
        elif sealed_seen:
            problem = "an unsealed row after sealed ones (written without the key)"
        elif _unkeyed_hash(previous, event) != event.hash:
            problem = "contents do not match the recorded hash"
        else:
            problem = ""
        if problem:
            return ChainReport(checked, False, event.pk, problem)
        if mark is not None and event.pk == mark.event_id:
            if event.hash != mark.event_hash:
                return ChainReport(checked, False, event.pk, "differs from the checkpoint kept for it")
            mark_found = True
        previous = event.hash
        last_id = event.pk
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or head.last_hash != previous:
        return ChainReport(checked, False, None, "events after the last one checked are missing")
    if mark is not None and not mark_found:
        return ChainReport(
            checked, False, None, f"events up to {mark.event_id} (the checkpoint) are missing from the end"
        )
    if mark is None and checked:
        checkpoint_advance(code, last_id, previous)
        return ChainReport(checked, True, note="no checkpoint yet: one was made at the last event")
    return ChainReport(checked, True)
