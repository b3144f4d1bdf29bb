"""What a restore asks of the audit log (the tenancy engine reaches it through the setting
HMS_RESTORE_CHAIN_HOOKS, since the engine imports no clinical app).

A restored chain is older than the live one, so its checkpoint in the shared database is
ahead of it: `chain_check(allow_checkpoint_ahead=True)` accepts exactly that (every seal and
the head must still verify), and `chain_restored_accept` records the restore in the
platform's security log and moves the checkpoint back to the restored chain's last event
(ADR 0010).
"""

from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction

from hms.audit.models import AuditEvent
from hms.audit.services import audit_chain_verify
from hms.security.checkpoints import checkpoint_advance, checkpoint_forget, checkpoint_read, checkpoint_start
from hms.security.log import security_record
from hms.security.models import SecurityEvent
from hms.tenancy.context import current_tenant


@dataclass(frozen=True)
class ChainCheck:
    intact: bool
    events: int
    reason: str = ""
    last_id: int = 0
    last_hash: str = ""
    checkpoint_ahead: bool = False


def _last_event() -> tuple[int, str]:
    row = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    return (row[0], row[1]) if row else (0, "")


def chain_check(*, allow_checkpoint_ahead: bool = False) -> ChainCheck:
    """Verify the current hospital's audit chain; with `allow_checkpoint_ahead`, a checkpoint
    past the chain's end (what restoring an older copy leaves) is not a fault."""
    report = audit_chain_verify()
    last_id, last_hash = _last_event()
    if report.intact:
        return ChainCheck(True, report.events_checked, report.note, last_id, last_hash)
    mark = checkpoint_read(current_tenant().code)
    ahead = (
        mark is not None
        and not mark.problem
        and mark.event_id > last_id
        and report.first_broken_id is None
        and report.reason == f"events up to {mark.event_id} (the checkpoint) are missing from the end"
    )
    if allow_checkpoint_ahead and ahead:
        assert mark is not None
        note = f"the checkpoint (event {mark.event_id}) is ahead of this copy (event {last_id})"
        return ChainCheck(True, report.events_checked, note, last_id, last_hash, checkpoint_ahead=True)
    return ChainCheck(False, report.events_checked, report.fault, last_id, last_hash)


def chain_restored_accept(*, detail: dict[str, Any]) -> None:
    """Record the restore of the current hospital and set its checkpoint to its chain's last event."""
    code = current_tenant().code
    last_id, last_hash = _last_event()
    previous = checkpoint_read(code)
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        security_record(
            SecurityEvent.Kind.ADMIN_ACTION,
            hospital_code=code,
            detail={
                "action": "hospital_restored",
                **detail,
                "checkpoint_was": previous.event_id if previous else None,
                "checkpoint_now": last_id,
            },
        )
        checkpoint_forget(code)
        if last_id:
            checkpoint_advance(code, last_id, last_hash)
        else:
            checkpoint_start(code)
