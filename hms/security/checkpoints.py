"""Checkpoints of each hospital's audit chain, kept in the shared database.

After each transaction that appended audit events commits, the hospital's checkpoint
moves to the newest event (never back). `verify_audit_chain` then requires the chain
to still hold that event with that seal: deleting the newest events, even with the
hospital's head row rewritten to match, is reported.
"""

import logging
import threading
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from hms.security.chain import GENESIS, seal_new, seal_problem
from hms.security.models import AuditCheckpoint

logger = logging.getLogger(__name__)
_pending = threading.local()


def _payload(code: str, event_id: int, event_hash: str) -> dict[str, object]:
    return {"checkpoint_of": code, "event_id": event_id, "hash": event_hash}


def checkpoint_advance(code: str, event_id: int, event_hash: str) -> None:
    """Move the hospital's checkpoint to this event, unless it already names a later one."""
    kid, seal = seal_new(GENESIS, _payload(code, event_id, event_hash))
    values = {"event_id": event_id, "event_hash": event_hash, "key_id": kid, "seal": seal}
    if AuditCheckpoint.objects.filter(hospital_code=code, event_id__lt=event_id).update(**values):
        return
    if AuditCheckpoint.objects.filter(hospital_code=code).exists():
        return  # a later event's commit got there first
    try:
        with transaction.atomic():
            AuditCheckpoint.objects.create(hospital_code=code, **values)
    except IntegrityError:  # created concurrently: advance that row instead
        AuditCheckpoint.objects.filter(hospital_code=code, event_id__lt=event_id).update(**values)


def checkpoint_advance_on_commit(code: str, alias: str, event_id: int, event_hash: str) -> None:
    """Advance the checkpoint once the hospital's transaction commits.

    The newest event of the transaction wins: the first callback to run writes it and
    the others find nothing left to do. (What a rolled-back transaction left waiting is
    replaced by the next event before any callback can run.) A failure to write never
    undoes the committed work: the checkpoint lags, which verification accepts (the
    chain may be longer than its checkpoint, never shorter).
    """
    pending: dict[str, tuple[str, int, str]] = _pending.__dict__.setdefault("by_alias", {})
    pending[alias] = (code, event_id, event_hash)
    transaction.on_commit(lambda: _flush(alias), using=alias, robust=True)


def _flush(alias: str) -> None:
    pending: dict[str, tuple[str, int, str]] = _pending.__dict__.setdefault("by_alias", {})
    entry = pending.pop(alias, None)
    if entry is not None:
        checkpoint_advance(*entry)


@dataclass(frozen=True)
class Mark:
    event_id: int
    event_hash: str
    problem: str = ""


def checkpoint_read(code: str) -> Mark | None:
    row = AuditCheckpoint.objects.filter(hospital_code=code).first()
    if row is None:
        return None
    problem = seal_problem(GENESIS, _payload(code, row.event_id, row.event_hash), row.key_id, row.seal)
    return Mark(row.event_id, row.event_hash, f"the checkpoint was rewritten ({problem})" if problem else "")


def checkpoint_forget(code: str) -> None:
    """A hospital deleted: its checkpoint no longer applies."""
    AuditCheckpoint.objects.filter(hospital_code=code).delete()


def checkpoint_start(code: str) -> None:
    """A new hospital's chain starts empty (a code used again starts a new chain).

    Made with the hospital, so that each audited transaction later costs one UPDATE.
    """
    kid, seal = seal_new(GENESIS, _payload(code, 0, GENESIS))
    AuditCheckpoint.objects.update_or_create(
        hospital_code=code, defaults={"event_id": 0, "event_hash": GENESIS, "key_id": kid, "seal": seal}
    )
