"""Prometheus metrics: request counts and latency per view, and figures read at scrape time.

The instruments live in hms.core.metrics (any layer counts into them); this module adds
the request middleware, the figures a scrape reads from the registry and from the
backup manifests, and the /metrics view, which answers only the addresses
HMS_METRICS_ALLOWED names (loopback by default), as hms.core.http.client_address sees
them (so behind a trusted proxy, the address that proxy vouches for).

Under gunicorn set PROMETHEUS_MULTIPROC_DIR (an empty folder, emptied at every start;
deploy/gunicorn.conf.py does it) before the workers import anything: each worker writes
its values there and a scrape of any worker reports the sum over all of them.
"""

import datetime
import functools
import ipaddress
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import DatabaseError, InterfaceError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from hms.core.http import client_address
from hms.core.metrics import EXCEPTIONS, REQUEST_SECONDS, REQUESTS
from hms.hospitals.models import Hospital
from hms.ops.labels import view_label
from hms.tenancy.schema import current_fingerprint

logger = logging.getLogger(__name__)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Hospitals whose backups matter: in service, or suspended (their data is still theirs).
IN_SERVICE = (Hospital.Status.ACTIVE, Hospital.Status.SUSPENDED)
SHARED_BACKUPS = "_shared"


# --- requests -------------------------------------------------------------------------------


class RequestMetricsMiddleware:
    """Counts every response by view, method and status class (2xx...5xx) and times it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_label(request)
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(view, method, f"{response.status_code // 100}xx").inc()
        REQUEST_SECONDS.labels(view).observe(time.perf_counter() - started)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # Called only if no middleware below answered it; these four become 4xx answers.
        if not isinstance(exception, (Http404, PermissionDenied, BadRequest, SuspiciousOperation)):
            EXCEPTIONS.labels(view_label(request)).inc()


# --- who may scrape ---------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=4)
def allowed_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """HMS_METRICS_ALLOWED as networks; a malformed entry is reported by check ops.E001."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue
    return tuple(networks)


def may_scrape(request: HttpRequest) -> bool:
    address = client_address(request)
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in allowed_networks(tuple(settings.HMS_METRICS_ALLOWED)))


# --- figures read at scrape time -------------------------------------------------------------


class _ThisProcess(Collector):
    """The default registry's metrics (this process only: no PROMETHEUS_MULTIPROC_DIR)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class HospitalRegistryCollector(Collector):
    """Hospitals by status and by what needs the operator: counts from one query, no labels per hospital."""

    def collect(self) -> Iterator[Metric]:
        try:
            by_status = dict(
                Hospital.objects.order_by()
                .values_list("status")
                .annotate(n=Count("pk"))
                .values_list("status", "n")
            )
            in_service = Hospital.objects.filter(status__in=IN_SERVICE)
            behind = in_service.exclude(schema_fingerprint=current_fingerprint()).count()
            failed_migration = in_service.exclude(migration_error="").count()
            read_only = in_service.filter(read_only=True).count()
        except (DatabaseError, InterfaceError) as exc:
            logger.warning("Metrics: the hospital registry could not be read: %s", exc)
            yield GaugeMetricFamily(
                "hms_registry_up", "Whether the hospital registry could be read.", value=0
            )
            return
        yield GaugeMetricFamily("hms_registry_up", "Whether the hospital registry could be read.", value=1)
        statuses = GaugeMetricFamily(
            "hms_hospitals",
            "Hospitals in the registry by status (PROVISIONING for long, or FAILED: provisioning "
            "that needs the operator).",
            labels=["status"],
        )
        for status in Hospital.Status.values:
            statuses.add_metric([status], by_status.get(status, 0))
        yield statuses
        yield GaugeMetricFamily(
            "hms_hospitals_schema_behind",
            "Hospitals in service whose database is not at this code's schema (they answer 503 "
            "until migrate_hospitals brings them up).",
            value=behind,
        )
        yield GaugeMetricFamily(
            "hms_hospitals_migration_failed",
            "Hospitals in service whose last fleet migration failed.",
            value=failed_migration,
        )
        yield GaugeMetricFamily(
            "hms_hospitals_read_only",
            "Hospitals read-only (being moved, or a move interrupted).",
            value=read_only,
        )


_backup_cache_lock = threading.Lock()
_backup_cache: dict[str, Any] = {}


def newest_backups(backup_dir: Path) -> dict[str, datetime.datetime]:
    """When the newest backup of each hospital (and `_shared`) was taken.

    The backup folder holds a folder per hospital code (`_shared` for the shared database),
    each backup a file beside its manifest `<stamp>.json`, the stamp being the UTC time it
    was taken (YYYYmmddHHMMSSffffff); a backup exists once its manifest does
    (hms/tenancy/backups/catalog.py). Only the newest manifest's name is read per folder,
    its `taken_at` when it can be read.
    """
    newest: dict[str, datetime.datetime] = {}
    try:
        folders = [
            entry for entry in os.scandir(backup_dir) if entry.is_dir() and not entry.name.startswith(".")
        ]
    except OSError:
        return newest
    for folder in folders:
        try:
            stamps = [name[:-5] for name in os.listdir(folder.path) if _MANIFEST_NAME.match(name)]
        except OSError:
            continue
        if not stamps:
            continue
        stamp = max(stamps)
        taken = _taken_at(Path(folder.path) / f"{stamp}.json") or _stamp_time(stamp)
        if taken is not None:
            newest[folder.name] = taken
    return newest


_MANIFEST_NAME = re.compile(r"^\d{20}\.json$")


def _taken_at(manifest: Path) -> datetime.datetime | None:
    try:
        value = json.loads(manifest.read_text(encoding="utf-8")).get("taken_at")
        parsed = datetime.datetime.fromisoformat(str(value))
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _stamp_time(stamp: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.strptime(stamp, "%Y%m%d%H%M%S%f").replace(tzinfo=datetime.UTC)
    except ValueError:
        return None


class BackupAgeCollector(Collector):
    """How old the oldest "last backup" of a hospital in service is, and how many have none.

    A scan reads one folder listing and one manifest per hospital; with thousands of
    hospitals that is too much for every scrape, so it is kept for
    HMS_METRICS_BACKUP_SCAN_SECONDS. Reported only where HMS_BACKUP_DIR is set; NaN while no
    hospital in service has a backup.
    """

    def collect(self) -> Iterator[Metric]:
        backup_dir = getattr(settings, "HMS_BACKUP_DIR", None)
        if not backup_dir:
            return
        scanned = self._scan(Path(backup_dir))
        if scanned is None:
            return
        oldest, without, shared = scanned
        yield GaugeMetricFamily(
            "hms_backup_oldest_last_age_seconds",
            "Age of the oldest among the last backups of the hospitals in service (NaN: none has one).",
            value=_age(oldest),
        )
        yield GaugeMetricFamily(
            "hms_backup_shared_last_age_seconds",
            "Age of the last backup of the shared database (NaN: none).",
            value=_age(shared),
        )
        yield GaugeMetricFamily(
            "hms_backup_hospitals_without_backup",
            "Hospitals in service with no backup at all.",
            value=without,
        )

    def _scan(
        self, backup_dir: Path
    ) -> tuple[datetime.datetime | None, int, datetime.datetime | None] | None:
        ttl = float(getattr(settings, "HMS_METRICS_BACKUP_SCAN_SECONDS", 300))
        with _backup_cache_lock:
            cached = _backup_cache.get(str(backup_dir))
            if cached is not None and time.monotonic() - cached[0] < ttl:
                return cached[1]
            try:
                codes = set(Hospital.objects.filter(status__in=IN_SERVICE).values_list("code", flat=True))
            except (DatabaseError, InterfaceError) as exc:
                logger.warning("Metrics: the hospital registry could not be read: %s", exc)
                return None
            newest = newest_backups(backup_dir) if backup_dir.is_dir() else {}
            last = [newest[code] for code in codes if code in newest]
            result = (min(last) if last else None, len(codes - newest.keys()), newest.get(SHARED_BACKUPS))
            _backup_cache[str(backup_dir)] = (time.monotonic(), result)
            return result


def _age(moment: datetime.datetime | None) -> float:
    return float("nan") if moment is None else max(0.0, time.time() - moment.timestamp())


def scrape() -> bytes:
    """Every metric of every worker (PROMETHEUS_MULTIPROC_DIR) or of this process, as text."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(HospitalRegistryCollector())
    registry.register(BackupAgeCollector())
    return generate_latest(registry)


def metrics(request: HttpRequest) -> HttpResponse:
    if not may_scrape(request):
        response = HttpResponse("Forbidden\n", status=403, content_type="text/plain; charset=utf-8")
    else:
        response = HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
