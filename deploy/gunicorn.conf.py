"""gunicorn settings for HMS: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

Read by the gunicorn master before it starts any worker (docs/operations/install.md).

* No preload: each worker imports the application after it is forked, so a worker that
  restarts (a reload, or a worker restarting itself onto a new release during
  `migrate_hospitals`, ADR 0008) runs the code now on disk.
* Sync workers, one thread each: the tenant connection budget (HMS_MAX_TENANT_CONNECTIONS)
  is per thread, and a page holds its hospital's connection for its whole length.
* No gunicorn access log: the application writes one JSON access line per request, with its
  request id, hospital, user, view and duration (hms/ops/logs.py), through Django's logging,
  which also drops query strings. gunicorn's own messages go to standard error as JSON too.
* Metrics from every worker: PROMETHEUS_MULTIPROC_DIR is emptied when the master starts
  and a dead worker's live gauges are dropped (docs/operations/monitoring.md).
"""

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

bind = os.environ.get("HMS_BIND", "127.0.0.1:8000")  # ignored under systemd socket activation
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "sync"
threads = 1
preload_app = False
# A page that takes longer than this is killed (and logged); nginx's proxy_read_timeout is longer.
timeout = int(os.environ.get("HMS_WORKER_TIMEOUT", "60"))
graceful_timeout = 30  # a reload lets requests in flight finish for this long
keepalive = 5  # behind nginx, which keeps connections to us open
# Restart each worker now and then (jittered, so not all at once): a slow leak never grows.
max_requests = 2000
max_requests_jitter = 200
pidfile = os.environ.get("HMS_PIDFILE") or None
accesslog = None
errorlog = "-"
loglevel = "info"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# Every worker writes its metrics here; /metrics in any worker reports the sum. Set it to a
# folder of its own (systemd: /run/hms/prometheus); unset, a new temporary folder per master.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="hms-prometheus-")


def on_starting(server: Any) -> None:
    """Start from an empty metrics folder: files of a previous run would be added in.

    Also tell the workers how many they are (HMS_APP_PROCESSES, unless set: with several
    application servers on one database server, set it to the total), so that each takes its
    share of a PostgreSQL server's connections (docs/operations/postgresql.md).
    """
    os.environ.setdefault("HMS_APP_PROCESSES", str(server.cfg.workers))
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if folder.exists():
        for entry in folder.iterdir():
            if entry.is_file():
                entry.unlink()
            else:
                shutil.rmtree(entry)
    folder.mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """A worker that exits no longer counts in the gauges summed over live workers."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
