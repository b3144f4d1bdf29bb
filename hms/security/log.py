"""Writing and verifying the platform's security log (shared database)."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from hms.core.http import client_address
from hms.core.text import storable
from hms.security.chain import GENESIS, seal_new, seal_problem
from hms.security.models import SecurityChainHead, SecurityEvent

Kind = SecurityEvent.Kind


# What each row's seal covers, after its time.
SEALED_FIELDS = (
    "kind",
    "user_id",
    "username",
    "actor_id",
    "actor_username",
    "hospital_code",
    "client_address",
    "detail",
)


class LogRow(Protocol):
    """A row of a hash-chained log, as far as its seal needs: it has a time."""

    occurred_at: datetime.datetime


def sealed_payload(event: LogRow, fields: Sequence[str]) -> dict[str, Any]:
    """What the seal of a hash-chained log's row covers (this log's, and each hospital's audit
    log's): its time as ISO text and its `fields` as stored."""
    return {"occurred_at": event.occurred_at.isoformat(), **{name: getattr(event, name) for name in fields}}


def _payload(event: SecurityEvent) -> dict[str, Any]:
    return sealed_payload(event, SEALED_FIELDS)


def _hospital_code(user: Any) -> str:
    hospital = getattr(user, "hospital", None) if user is not None else None
    return getattr(hospital, "code", "") or ""


def security_record(
    kind: str,
    *,
    user: Any = None,
    username: str = "",
    actor: Any = None,
    request: HttpRequest | None = None,
    hospital_code: str = "",
    detail: dict[str, Any] | None = None,
) -> SecurityEvent:
    """Append one event to the security log.

    `user` is the account concerned (or `username` alone, for a sign-in with a name that
    may not exist); `actor` whoever did it when that is someone else; `request` gives the
    client address. The hospital is the account's unless given. Never pass a password,
    a token or patient data in `detail`.
    """
    fields: dict[str, Any] = {
        "occurred_at": timezone.now(),
        "kind": kind,
        "user_id": getattr(user, "pk", None),
        "username": storable((user.get_username() if user is not None else username)[:150]),
        "actor_id": getattr(actor, "pk", None),
        "actor_username": actor.get_username()[:150] if actor is not None else "",
        "hospital_code": hospital_code or _hospital_code(user) or _hospital_code(actor),
        "client_address": client_address(request) if request is not None else None,
        "detail": storable(detail or {}),
    }
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        head = _head_locked()
        event = SecurityEvent(**fields, previous_hash=head.last_hash)
        event.key_id, event.hash = seal_new(head.last_hash, _payload(event))
        event.save(force_insert=True)
        kid, head_seal = seal_new(GENESIS, _head_payload(event.pk, event.hash))
        SecurityChainHead.objects.filter(pk=1).update(
            last_hash=event.hash, last_event_id=event.pk, key_id=kid, seal=head_seal
        )
    return event


def _head_locked() -> SecurityChainHead:
    """The head row, locked; made at the genesis if the table was emptied (a flush, an archive)."""
    head = SecurityChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        try:
            with transaction.atomic(using=DEFAULT_DB_ALIAS):
                SecurityChainHead.objects.create(pk=1, last_hash=GENESIS)
        except IntegrityError:
            pass  # another writer made it first
        head = SecurityChainHead.objects.select_for_update().get(pk=1)
    return head


def _head_payload(event_id: int, event_hash: str) -> dict[str, Any]:
    return {"head_of": "security_log", "event_id": event_id, "hash": event_hash}


@dataclass(frozen=True)
class ChainReport:
    """What checking a hash-chained log found (this log, and each hospital's audit log)."""

    events_checked: int
    intact: bool
    first_broken_id: int | None = None
    reason: str = ""
    note: str = ""

    @property
    def fault(self) -> str:
        """Where and why a broken chain first fails, as operators read it ("at event 12: ...")."""
        where = self.first_broken_id if self.first_broken_id is not None else "end"
        return f"at event {where}: {self.reason}"


def security_log_verify() -> ChainReport:
    """Check every seal in order, and that the head names the last event.

    The head row is updated in the transaction of each append, so an event missing
    from the end (deleted, with the head rewritten to an earlier seal) shows as a head
    whose event id is past the last event, or a seal that no event carries.
    """
    previous = GENESIS
    checked = 0
    last_id = 0
    for event in SecurityEvent.objects.order_by("id").iterator(chunk_size=2000):
        checked += 1
        if event.previous_hash != previous:
            return ChainReport(checked, False, event.pk, "previous seal does not match the event before")
        problem = seal_problem(previous, _payload(event), event.key_id, event.hash)
        if problem:
            return ChainReport(checked, False, event.pk, problem)
        previous = event.hash
        last_id = event.pk
    head = SecurityChainHead.objects.filter(pk=1).first()
    if head is None or not head.seal:
        if checked:
            return ChainReport(checked, False, None, "the log's head row is missing or unsealed")
        return ChainReport(checked, True)
    if seal_problem(GENESIS, _head_payload(head.last_event_id, head.last_hash), head.key_id, head.seal):
        return ChainReport(checked, False, None, "the log's head row was rewritten")
    if head.last_hash != previous or head.last_event_id != last_id:
        return ChainReport(checked, False, None, "events after the last one checked are missing")
    return ChainReport(checked, True)
