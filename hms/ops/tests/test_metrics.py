"""/metrics: who may read it, what it counts, and series that do not grow with the fleet."""

import datetime
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.http import HttpResponse
from django.urls import include, path
from prometheus_client.parser import text_string_to_metric_families

from hms.accounts.models import Role
from hms.hospitals.models import Hospital
from hms.ops import metrics as ops_metrics
from hms.patients.models import Patient
from hms.tenancy import connections as tenant_connections
from hms.tenancy import middleware
from hms.tenancy.context import current_tenant
from hms.tenancy.schema import current_fingerprint
from hms.tenancy.tests.registry import registry_row

ROOT = Path(__file__).resolve().parents[3]


def _patients_view(request, hospital_code):
    return HttpResponse(f"{current_tenant().code}:{Patient.objects.count()}")


urlpatterns = [
    path("h/<str:hospital_code>/probe/", _patients_view, name="probe"),
    path("", include("config.urls")),
]


@pytest.fixture
def probe_urls(settings):
    settings.ROOT_URLCONF = __name__
    middleware._fault_logged.clear()
    ops_metrics._backup_cache.clear()
    yield
    middleware._fault_logged.clear()
    ops_metrics._backup_cache.clear()


def _samples(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def _value(samples, name, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


# --- who may scrape -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_answer_loopback_only_by_default(client):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    refused = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 403
    assert b"hms_" not in refused.content
    assert refused["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_metrics_allowed_addresses_are_seen_through_trusted_proxies_only(client, settings):
    settings.HMS_METRICS_ALLOWED = ["10.20.0.0/16"]
    settings.HMS_TRUSTED_PROXIES = ["10.0.0.5"]
    assert client.get("/metrics").status_code == 403  # loopback is no longer listed
    assert client.get("/metrics", REMOTE_ADDR="10.20.1.2").status_code == 200
    via_proxy = client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="10.20.1.2")
    assert via_proxy.status_code == 200
    outsider_via_proxy = client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert outsider_via_proxy.status_code == 403
    forged = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.20.1.2")
    assert forged.status_code == 403  # not a trusted proxy: its header is not believed


def test_a_malformed_allowed_address_is_a_configuration_error(settings):
    settings.HMS_METRICS_ALLOWED = ["127.0.0.1", "prometheus.internal"]
    settings.HMS_LOG_FORMAT = "xml"
    ids = {message.id for message in run_checks()}
    assert {"ops.E001", "ops.E002"} <= ids


# --- what is counted ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_are_counted_by_view_name_and_status_class(client):
    before = _samples(client)
    client.get("/login/")
    client.get("/login/")
    client.get("/no/such/page/")
    after = _samples(client)
    key = {"view": "login", "method": "GET", "status": "2xx"}
    assert (
        _value(after, "hms_http_requests_total", **key) - _value(before, "hms_http_requests_total", **key)
        == 2
    )
    unresolved = {"view": "unresolved", "method": "GET", "status": "4xx"}
    assert _value(after, "hms_http_requests_total", **unresolved) >= 1
    assert _value(after, "hms_http_request_duration_seconds_count", view="login") >= 2
    assert not any("/login/" in str(labels) for _, labels in after)


def grew_since(before, client, name):
    return _value(_samples(client), name) - _value(before, name)


@pytest.mark.django_db
def test_refusals_by_cause_and_connection_figures(client, settings, probe_urls, make_hospital, make_user):
    settings.HMS_MAX_TENANT_CONNECTIONS = 1
    client.force_login(make_user("root", role=Role.SUPERADMIN))
    for code in ("MA01", "MA02"):
        make_hospital(code)
    registry_row("GONE01")  # in the registry, its database never made: missing
    before = _samples(client)
    assert client.get("/h/GONE01/probe/").status_code == 503
    assert client.get("/h/MA01/probe/").status_code == 200
    assert client.get("/h/MA02/probe/").status_code == 200  # over the budget of 1: MA01's is closed
    Hospital.objects.filter(code="MA02").update(status=Hospital.Status.SUSPENDED)
    assert client.get("/h/MA02/probe/").status_code == 403
    after = _samples(client)

    def grew(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("hms_hospital_unavailable_total", cause="unavailable") == 1
    assert grew("hms_hospital_unavailable_total", cause="suspended") == 1
    assert grew("hms_tenant_connection_evictions_total", reason="budget") >= 1
    # MA01, MA02 (MA01's closed for it), MA01 again (MA02's closed): an opening per request;
    # MA01 once more reuses its connection.
    assert client.get("/h/MA01/probe/").status_code == 200
    assert grew_since(before, client, "hms_tenant_connections_opened_total") == 3
    assert client.get("/h/MA01/probe/").status_code == 200
    assert grew_since(before, client, "hms_tenant_connections_opened_total") == 3
    assert _value(after, "hms_tenant_connection_budget") == 1  # set as the middleware loads
    assert ("hms_hospital_unavailable_total", frozenset({("cause", "read_only")})) in after  # 0, not absent
    assert _value(after, "hms_tenant_connections_open") >= 1
    assert grew("hms_http_requests_total", view="probe", method="GET", status="5xx") == 1
    assert _value(after, "hms_hospitals", status="ACTIVE") == 2
    assert _value(after, "hms_hospitals", status="SUSPENDED") == 1
    assert _value(after, "hms_registry_up") == 1
    tenant_connections.forget_all()


@pytest.mark.django_db
def test_the_number_of_series_does_not_grow_with_the_number_of_hospitals(
    client, probe_urls, make_hospital, make_user
):
    """Ten hospitals, then a thousand: the same series, only their values change.

    Ten real hospitals are asked for; the other 990 are registry rows without a database
    (honest for what they exercise: the registry figures read every row, and asking for one
    of them goes through the middleware's fault path, once per hospital, as a fleet with
    broken databases would).
    """
    client.force_login(make_user("root", role=Role.SUPERADMIN))
    real = [f"REAL{n:02d}" for n in range(9)]
    for code in real:
        make_hospital(code)
    registry_row("ROW0000")

    def scrape_after_asking(codes):
        for code in codes:
            assert client.get(f"/h/{code}/probe/").status_code in (200, 503)
        return _samples(client)

    small = scrape_after_asking([*real, "ROW0000"])
    assert Hospital.objects.count() == 10
    Hospital.objects.bulk_create(
        [
            Hospital(
                code=f"ROW{n:04d}",
                name=f"Hospital {n}",
                status=[Hospital.Status.ACTIVE, Hospital.Status.SUSPENDED, Hospital.Status.FAILED][n % 3],
                database_name=f"hospitals/ROW{n:04d}/db.sqlite3",
                schema_fingerprint="" if n % 7 == 0 else current_fingerprint(),  # some behind
            )
            for n in range(1, 991)
        ]
    )
    assert Hospital.objects.count() == 1000
    rows = [f"ROW{n:04d}" for n in range(1, 991) if n % 3 == 0 and n % 7][:190]  # ACTIVE, current: 503 each
    large = scrape_after_asking([*real, *rows])

    assert set(large) == set(small)
    assert len(large) == len(small)
    label_names = {name for _, labels in large for name, _ in labels}
    assert not label_names & {"hospital", "code", "path", "user"}, label_names
    assert _value(large, "hms_hospitals", status="FAILED") == 330
    assert _value(large, "hms_hospital_unavailable_total", cause="unavailable") >= len(rows)
    tenant_connections.forget_all()


# --- backups ------------------------------------------------------------------------------------


def _manifest(folder: Path, taken: datetime.datetime) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = taken.strftime("%Y%m%d%H%M%S%f")
    (folder / f"{stamp}.json").write_text(
        json.dumps({"hospital": folder.name, "taken_at": taken.isoformat()})
    )


@pytest.mark.django_db
def test_backup_age_is_the_oldest_of_the_hospitals_last_backups(client, settings, tmp_path, probe_urls):
    settings.HMS_BACKUP_DIR = tmp_path / "backups"
    for code in ("BK01", "BK02", "BK03"):
        registry_row(code)
    registry_row("OLD01", status=Hospital.Status.ARCHIVED)
    now = datetime.datetime.now(datetime.UTC)
    _manifest(settings.HMS_BACKUP_DIR / "BK01", now - datetime.timedelta(hours=30))
    _manifest(settings.HMS_BACKUP_DIR / "BK01", now - datetime.timedelta(hours=2))  # its last one
    _manifest(settings.HMS_BACKUP_DIR / "BK02", now - datetime.timedelta(hours=5))
    _manifest(settings.HMS_BACKUP_DIR / "OLD01", now - datetime.timedelta(days=400))  # archived: ignored
    _manifest(settings.HMS_BACKUP_DIR / "_shared", now - datetime.timedelta(hours=1))
    samples = _samples(client)
    assert _value(samples, "hms_backup_oldest_last_age_seconds") == pytest.approx(5 * 3600, abs=60)
    assert _value(samples, "hms_backup_hospitals_without_backup") == 1  # BK03
    assert _value(samples, "hms_backup_shared_last_age_seconds") == pytest.approx(3600, abs=60)


@pytest.mark.django_db
def test_backup_age_is_nan_without_backups_and_absent_without_a_backup_folder(
    client, settings, tmp_path, probe_urls
):
    registry_row("BK01")
    settings.HMS_BACKUP_DIR = tmp_path / "none-yet"
    assert math.isnan(_value(_samples(client), "hms_backup_oldest_last_age_seconds"))
    ops_metrics._backup_cache.clear()
    del settings.HMS_BACKUP_DIR
    assert not any(name.startswith("hms_backup_") for name, _ in _samples(client))


# --- several gunicorn workers -------------------------------------------------------------------

_WORKER = textwrap.dedent(
    """
    import os, sys
    import django
    django.setup()
    from hms.core import metrics
    metrics.REQUESTS.labels("login", "GET", "2xx").inc(int(sys.argv[1]))
    metrics.TENANT_CONNECTIONS_OPEN.inc(int(sys.argv[1]))
    if sys.argv[2] == "scrape":
        from hms.ops.metrics import scrape
        sys.stdout.write(scrape().decode())
    """
)


def test_workers_write_to_the_multiprocess_folder_and_a_scrape_adds_them_up(tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "HMS_DATA_DIR": str(tmp_path / "data"),
    }

    def worker(count, action):
        return subprocess.run(
            [sys.executable, "-c", _WORKER, str(count), action],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout

    worker(2, "count")
    worker(3, "count")
    text = worker(4, "scrape")
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert (
        samples[
            (
                "hms_http_requests_total",
                frozenset({"view": "login", "method": "GET", "status": "2xx"}.items()),
            )
        ]
        == 9
    )
    assert any(name.endswith(".db") for name in os.listdir(folder))
    # Without a shared database to read, the registry figures say so instead of failing the scrape.
    assert samples[("hms_registry_up", frozenset())] == 0
