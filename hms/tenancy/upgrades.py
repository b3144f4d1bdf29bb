"""Upgrading the code while every hospital keeps being served (ADR 0008).

The sequence is: install the new release, `migrate` (shared database),
`migrate_hospitals`, reload the application server. While the fleet migration runs,
the workers still run the old release, and each hospital's schema is either the old
code's (not migrated yet) or the new one's (migrated). So that no hospital is refused
longer than its own migration:

* a hospital **behind** the code is refused with 503 "being upgraded" (invariant 7);
* a hospital **ahead** of the code is served by the old code if every migration the
  old code lacks is compatible with it (only adds what it never reads); otherwise it
  answers 503 "upgraded to a newer version" until the worker runs the new release;
* a worker that has met a hospital ahead of its code restarts itself (a graceful
  SIGTERM under gunicorn, which starts a fresh worker with the code on disk) once
  no hospital still needs the old code, so a forgotten reload does not leave the
  fleet on the old release.

The relation between a hospital's schema and the code is read from `SchemaVersion`,
which each release writes before any hospital reaches its schema.
"""

import enum
import logging
import os
import signal
import threading
import time

from django.conf import settings
from django.http import HttpRequest

from hms.hospitals.models import Hospital
from hms.tenancy.models import SchemaVersion
from hms.tenancy.schema import code_migration_names, current_fingerprint, disk_fingerprint, tenant_migrations

logger = logging.getLogger(__name__)

RECHECK_SECONDS = 2.0  # how often a worker asks the registry whether the old code is still needed


class Relation(enum.Enum):
    CURRENT = "current"
    BEHIND = "behind"  # the code has migrations the database lacks
    AHEAD_COMPATIBLE = "ahead, compatible"  # the database has more, all of which the code runs on
    AHEAD = "ahead"  # the database has migrations the code cannot run on
    DIVERGED = "diverged"  # each has migrations the other lacks


_recorded: set[str] = set()
_relations: dict[str, Relation] = {}
_lock = threading.Lock()


def schema_record_current() -> None:
    """Record this release's tenant schema (once per process); before any hospital reaches it."""
    fingerprint = current_fingerprint()
    if fingerprint in _recorded:
        return
    SchemaVersion.objects.get_or_create(
        fingerprint=fingerprint, defaults={"migrations": [list(item) for item in tenant_migrations()]}
    )
    _recorded.add(fingerprint)


def relation_to_code(fingerprint: str) -> Relation:
    """How a hospital's recorded schema relates to the code this process runs (cached)."""
    if fingerprint == current_fingerprint():
        return Relation.CURRENT
    known = _relations.get(fingerprint)
    if known is not None:
        return known
    record = SchemaVersion.objects.filter(fingerprint=fingerprint).first() if fingerprint else None
    if record is None:
        # Every release that migrates a hospital records its schema first: an unrecorded
        # one is older than this mechanism, hence older than this code.
        relation = Relation.BEHIND
    else:
        theirs = {name: bool(compatible) for name, compatible in record.migrations}
        ours = code_migration_names()
        extra = theirs.keys() - ours
        if ours - theirs.keys():
            relation = Relation.DIVERGED if extra else Relation.BEHIND
        elif all(theirs[name] for name in extra):
            relation = Relation.AHEAD_COMPATIBLE
        else:
            relation = Relation.AHEAD
    _relations[fingerprint] = relation
    return relation


class _Worker:
    """Since when this process has run, and when it last asked the registry."""

    started = time.monotonic()
    last_check = 0.0
    warned = 0.0


_worker = _Worker()


def _forked() -> None:
    # A gunicorn worker is forked from its master: its life starts at the fork.
    _worker.started, _worker.last_check, _worker.warned = time.monotonic(), 0.0, 0.0


os.register_at_fork(after_in_child=_forked)


def newer_release_seen(request: HttpRequest) -> None:
    """This process met a hospital ahead of its code: restart it once nothing needs the old code."""
    if not settings.HMS_RESTART_WORKERS_ON_UPGRADE:
        return
    now = time.monotonic()
    with _lock:
        if now - _worker.last_check < RECHECK_SECONDS:
            return
        _worker.last_check = now
    still_needed = Hospital.objects.filter(
        status__in=(Hospital.Status.ACTIVE, Hospital.Status.SUSPENDED),
        schema_fingerprint=current_fingerprint(),
        migration_error="",
    ).exists()
    if still_needed:
        return  # the fleet migration is still under way: this code serves the hospitals it has not reached
    if disk_fingerprint() == current_fingerprint():
        _warn_once(
            now,
            "Hospitals run a newer schema than this worker's code, and the code on disk is the same "
            "old release: reload the application server from the new release.",
        )
        return
    if not request.META.get("SERVER_SOFTWARE", "").startswith("gunicorn/"):
        _warn_once(now, "A newer release is installed: reload the application server to run it.")
        return
    if now - _worker.started < settings.HMS_WORKER_MIN_LIFETIME:
        return
    logger.warning("A newer release is installed and every hospital is migrated: restarting this worker.")
    # Gunicorn's graceful stop: the worker finishes this request, exits, and the master
    # starts a fresh one, which imports the code now on disk.
    os.kill(os.getpid(), signal.SIGTERM)


def _warn_once(now: float, message: str) -> None:
    if now - _worker.warned >= 60:
        _worker.warned = now
        logger.error(message)
