"""The application's Prometheus instruments, defined once so any layer may count.

Label values come from short fixed lists (a view's URL name, a status class, a cause):
never a hospital code, a path or a user, so the number of series stays the same for ten
hospitals or ten thousand. Under gunicorn every worker writes its values to files in
PROMETHEUS_MULTIPROC_DIR (set before the workers start) and /metrics adds them up
(docs/operations/monitoring.md); without it, each process exposes its own.
"""

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# No `_created` twin of every counter: it doubles the series and no alert reads it.
disable_created_metrics()

REQUESTS = Counter(
    "hms_http_requests",
    "HTTP requests answered, by view (URL name), method and status class.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "hms_http_request_duration_seconds",
    "Time from the request reaching the application to its response, by view (URL name).",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
EXCEPTIONS = Counter(
    "hms_http_exceptions",
    "Requests whose view raised an exception that became a 500, by view (URL name).",
    ["view"],
)
HOSPITAL_REFUSALS = Counter(
    "hms_hospital_unavailable",
    "Hospital requests refused before or during the page, by cause: schema (being upgraded), "
    "busy (locked, or no connection free), unavailable (database missing, damaged or "
    "unreachable), suspended (403), read_only (a write while the hospital is being moved or "
    "restored), archived (a write to an archived hospital, or any request once its database is removed).",
    ["cause"],
)
HOSPITAL_REFUSAL_CAUSES = ("schema", "busy", "unavailable", "suspended", "read_only", "archived")

TENANT_CONNECTIONS_OPEN = Gauge(
    "hms_tenant_connections_open",
    "Hospital database connections open (summed over live workers).",
    multiprocess_mode="livesum",
)
TENANT_CONNECTION_BUDGET = Gauge(
    "hms_tenant_connection_budget",
    "Hospital connections each worker thread keeps open before closing the least recently used "
    "(HMS_MAX_TENANT_CONNECTIONS, or what the open-files limit and memory allow); the largest "
    "over live workers.",
    multiprocess_mode="livemax",
)
TENANT_CONNECTIONS_OPENED = Counter(
    "hms_tenant_connections_opened",
    "Hospital database connections opened (each a new SQLite file handle or PostgreSQL session); "
    "divided by hms_http_requests_total, the connections a request opens: near 0 when every "
    "worker's budget covers the hospitals it serves.",
)
TENANT_CONNECTION_EVICTIONS = Counter(
    "hms_tenant_connection_evictions",
    "Idle hospital connections closed to make room: budget (HMS_MAX_TENANT_CONNECTIONS per "
    "thread) or server (a server's max_connections per process).",
    ["reason"],
)

# Every cause and reason is exposed from the start (at 0), so rate() and alerts see them
# before the first refusal rather than an absent series.
for _cause in HOSPITAL_REFUSAL_CAUSES:
    HOSPITAL_REFUSALS.labels(_cause)
for _reason in ("budget", "server"):
    TENANT_CONNECTION_EVICTIONS.labels(_reason)
