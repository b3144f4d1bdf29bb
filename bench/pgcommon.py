"""Helpers of the PostgreSQL benchmarks: a run's own databases, environments, gunicorn and wrk.

Every PostgreSQL bench run picks a prefix of its own, `hmsbench_<6 random>_`, and
names everything it creates with it: the shared database `<prefix>shared`, the
hospitals' databases `<prefix><code>` and the schema template (made by the product
code from HMS_DATABASE_PREFIX), and any database of a baseline. `PgRun` drops every
database starting with that prefix on the servers it used when the run ends, on
failure, Ctrl-C or SIGTERM too. Databases of other runs, tests or deployments are
never touched: names are matched with starts_with() on the run's own prefix, which
is checked to be unused before anything is created.

Only the bench process imports this module; Django runs in child processes (or,
for pg_provisioning, is set up in the bench process after the run's databases
exist).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from bench import fleetdata  # noqa: E402

HOST = "127.0.0.1"
USER = "postgres"
MAIN_PORT = 5432
SECOND_PORT = 5433
PREFIX_ROOT = "hmsbench_"


def code_version() -> str:
    """The commit the bench measures (with -dirty when the work tree has changes)."""
    try:
        result = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=fleetdata.ROOT, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    return result.stdout.strip() or "unknown"


def server_url(port: int, **params: object) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"postgres://{USER}@{HOST}:{port}/postgres" + (f"?{query}" if query else "")


def database_url(port: int, name: str) -> str:
    return f"postgres://{USER}@{HOST}:{port}/{name}"


@contextlib.contextmanager
def admin(port: int, dbname: str = "postgres") -> Iterator[psycopg.Connection[Any]]:
    connection = psycopg.connect(
        host=HOST, port=port, user=USER, dbname=dbname, autocommit=True, connect_timeout=10
    )
    try:
        yield connection
    finally:
        connection.close()


def one(cursor: psycopg.Cursor[Any]) -> Any:
    """The row of a query that always returns exactly one (a count, a function's value)."""
    row = cursor.fetchone()
    assert row is not None, "the query returned no row"
    return row


def scalar(port: int, query: str, params: Iterable[object] = ()) -> Any:
    with admin(port) as connection:
        row = connection.execute(query, list(params)).fetchone()
    return None if row is None else row[0]


def server_version(port: int) -> str:
    return str(scalar(port, "SHOW server_version"))


def databases_with_prefix(port: int, prefix: str) -> list[str]:
    with admin(port) as connection:
        rows = connection.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s) ORDER BY datname", [prefix]
        ).fetchall()
    return [row[0] for row in rows]


def drop_database(connection: psycopg.Connection[Any], name: str) -> None:
    """Drop one database (a template too), closing any session still connected to it."""
    ident = sql.Identifier(name)
    with contextlib.suppress(psycopg.errors.InvalidCatalogName):
        connection.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(ident))
    connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


def drop_databases(port: int, names: list[str], *, parallel: int = 4) -> None:
    """Drop `names` on the server at `port` over `parallel` admin connections."""
    if not names:
        return
    chunks = [names[i::parallel] for i in range(parallel)]

    def drop_chunk(chunk: list[str]) -> None:
        if not chunk:
            return
        with admin(port) as connection:
            for name in chunk:
                drop_database(connection, name)

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(drop_chunk, chunks))


@dataclass
class PgRun:
    """The databases of one bench run: unique prefix, creation, and removal at the end."""

    ports: tuple[int, ...] = (MAIN_PORT,)
    prefix: str = ""
    created_any: bool = False
    _previous_handlers: dict[int, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        alphabet = string.ascii_lowercase + string.digits
        for _ in range(10):
            prefix = PREFIX_ROOT + "".join(secrets.choice(alphabet) for _ in range(6)) + "_"
            if not any(databases_with_prefix(port, prefix) for port in self.ports):
                self.prefix = prefix
                break
        else:
            raise SystemExit("Could not find an unused database prefix.")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,19}", self.prefix):  # tenancy.E009
            raise SystemExit(f"Bad prefix {self.prefix!r}")

    @property
    def shared_name(self) -> str:
        return f"{self.prefix}shared"

    def name(self, suffix: str) -> str:
        return f"{self.prefix}{suffix}"

    def create_database(self, port: int, name: str) -> str:
        if not name.startswith(self.prefix) or port not in self.ports:
            raise ValueError(f"{name} on {port} is not this run's to create")
        self.created_any = True
        with admin(port) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def leftovers(self) -> dict[int, list[str]]:
        return {port: databases_with_prefix(port, self.prefix) for port in self.ports}

    def cleanup(self) -> None:
        """Drop every database of this run on every server it used; report what is left."""
        started = time.perf_counter()
        count = 0
        left = self.leftovers()
        # A few passes: a child process stopped along with the bench may still create one meanwhile.
        for attempt in range(3):
            for port, names in left.items():
                count += len(names)
                drop_databases(port, names)
            if attempt:
                time.sleep(1)
            left = {port: names for port, names in self.leftovers().items() if names}
            if not left:
                break
        seconds = time.perf_counter() - started
        if left:
            print(f"WARNING: databases of this run still exist: {left}", file=sys.stderr)
        else:
            print(f"cleanup: dropped {count:,} database(s) of prefix {self.prefix} in {seconds:.1f} s")

    def __enter__(self) -> PgRun:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            self._previous_handlers[signum] = signal.signal(signum, _exit_on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.cleanup()
        finally:
            for signum, handler in self._previous_handlers.items():
                signal.signal(signum, handler)


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(f"stopped by signal {signum}")  # unwinds through every finally: clean-up runs


def django_env(
    run: PgRun,
    data_dir: Path,
    *,
    shared_port: int = MAIN_PORT,
    servers: str = "",
    shared_name: str | None = None,
    settings: str = fleetdata.PRODUCTION_SETTINGS,
    **extra: str,
) -> dict[str, str]:
    """The environment of a Django process of this run (production settings unless overridden)."""
    env = fleetdata.env_for(
        data_dir,
        settings=settings,
        DATABASE_URL=database_url(shared_port, shared_name or run.shared_name),
        HMS_DATABASE_SERVERS=servers,
        HMS_DATABASE_PREFIX=run.prefix,
    )
    env.update(extra)
    return env


# --------------------------------------------------------------------------- gunicorn


@dataclass
class Server:
    """A gunicorn of the bench, started in its own process group."""

    name: str
    env: dict[str, str]
    workers: int = 2
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start(self, tmp: Path) -> None:
        gunicorn = Path(fleetdata.PYTHON).parent / "gunicorn"
        self.port = fleetdata.free_port()
        self.log = tmp / f"gunicorn-{self.name}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    str(gunicorn),
                    "config.wsgi:application",
                    f"--workers={self.workers}",
                    "--worker-class=sync",
                    f"--bind={HOST}:{self.port}",
                    "--log-level=warning",
                    "--backlog=2048",
                    "--no-control-socket",
                ],
                env=self.env,
                cwd=fleetdata.ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # gunicorn's master stops its workers
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group started for it above
            process.wait()

    def log_tail(self, chars: int = 3000) -> str:
        if self.log and self.log.exists():
            return self.log.read_text(errors="replace")[-chars:]
        return ""

    def fail(self, message: str) -> None:
        raise SystemExit(f"FAILED ({self.name}): {message}\n--- gunicorn log (tail) ---\n{self.log_tail()}")

    def wait_ready(self, pairs: list[tuple[str, str]], *, samples: int = 5, timeout: float = 60) -> None:
        """Wait for /login/ to answer, then check a few pages of the rotation list their patients."""
        from bench.throughput import PATIENTS_SHOWN, get

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                self.fail(f"gunicorn exited with {self.process.returncode}")
            with contextlib.suppress(OSError):
                if get(self.port, "/login/")[0] == 200:
                    break
            time.sleep(0.2)
        else:
            self.fail("gunicorn did not answer within a minute")
        for path, key in pairs[:: max(1, len(pairs) // samples)]:
            status, body = get(self.port, path, f"{fleetdata.SESSION_COOKIE}={key}")
            listed = fleetdata.patients_listed(body, fleetdata.code_of(path))
            if status != 200 or listed < PATIENTS_SHOWN:
                self.fail(f"GET {path} answered {status} with {listed} patients listed")


# --------------------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    rps: float
    requests: int
    non2xx: int  # wrk's own count of non-2xx/3xx responses
    non200: int  # the Lua script's count of responses other than 200
    statuses: str  # the first few of those
    socket_errors: dict[str, int]
    latency_ms: dict[str, float]  # 50/75/90/99 percentiles
    output: str

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values())


def run_wrk(
    port: int,
    script: Path,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    timeout: str = "10s",
    start: int = 0,
) -> WrkResult:
    """One wrk run against 127.0.0.1:`port`; counts failures instead of stopping at the first.

    `start`: where bench/throughput.py's rotation script begins (the requests sent so far), so
    that successive short runs walk the whole rotation instead of its first pages again.
    """
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{round(seconds)}s",
            "--timeout",
            timeout,
            "--latency",
            f"-s{script}",
            f"http://{HOST}:{port}",
            "--",
            str(start),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    out = result.stdout
    if result.returncode != 0:
        raise SystemExit(f"wrk failed ({result.returncode}):\n{out}\n{result.stderr}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    bad = re.search(r"bench non-200 responses: (\d+) \(first statuses:(.*)\)", out)
    if not (rps and total and bad):
        raise SystemExit(f"Could not read wrk's output:\n{out}\n{result.stderr}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = dict.fromkeys(("connect", "read", "write", "timeout"), 0)
    if socket:
        socket_errors = dict(zip(socket_errors, (int(g) for g in socket.groups()), strict=True))
    latency = {}
    for pct in ("50", "75", "90", "99"):
        found = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if found:
            latency[pct] = float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]
    return WrkResult(
        rps=float(rps.group(1)),
        requests=int(total.group(1)),
        non2xx=int(non2xx.group(1)) if non2xx else 0,
        non200=int(bad.group(1)),
        statuses=bad.group(2).strip(),
        socket_errors=socket_errors,
        latency_ms=latency,
        output=out,
    )


class ConnectionSampler:
    """Samples, in a thread, how many sessions are connected to a server's databases of a prefix."""

    def __init__(self, port: int, prefix: str, interval: float = 0.5) -> None:
        self.port, self.prefix, self.interval = port, prefix, interval
        self.samples: list[int] = []
        self.total_samples: list[int] = []
        self.refused = 0  # samples the server refused a connection for
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._sample()
            except psycopg.OperationalError:  # the server is full ("too many clients"): say so
                self.refused += 1
                self._stop.wait(self.interval)

    def _sample(self) -> None:
        with admin(self.port) as connection:
            while not self._stop.is_set():
                ours, total = one(
                    connection.execute(
                        "SELECT count(*) FILTER (WHERE starts_with(datname, %s)), count(*) "
                        "FROM pg_stat_activity WHERE backend_type = 'client backend'",
                        [self.prefix],
                    )
                )
                self.samples.append(int(ours))
                self.total_samples.append(int(total))
                self._stop.wait(self.interval)

    def __enter__(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    @property
    def peak(self) -> int:
        return max(self.samples, default=0)

    @property
    def peak_total(self) -> int:
        return max(self.total_samples, default=0)


def block_counts(port: int, prefix: str) -> tuple[int, int]:
    """Blocks the databases of a prefix found in shared_buffers and read from outside, so far."""
    with admin(port) as connection:
        hit, read = one(
            connection.execute(
                "SELECT coalesce(sum(blks_hit), 0), coalesce(sum(blks_read), 0) FROM pg_stat_database "
                "WHERE starts_with(datname, %s)",
                [prefix],
            )
        )
    return int(hit), int(read)


def metric(port: int, name: str) -> float:
    """A counter from a gunicorn's /metrics, summed over its workers and labels; 0 if absent."""
    from bench.throughput import get

    status, body = get(port, "/metrics")
    if status != 200:
        raise SystemExit(f"/metrics answered {status}")
    pattern = re.compile(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+-]+)$", re.MULTILINE)
    return sum(float(value) for value in pattern.findall(body.decode()))


# --------------------------------------------------------------------------- PgBouncer

# The pooled configuration of docs/operations/postgresql.md, for many small databases: one
# warm server connection per hospital (a second under a burst), kept an hour while idle,
# none opened ahead of use; the total bounded below the server's max_connections.
PGBOUNCER_SETTINGS = """\
pool_mode = transaction
default_pool_size = 1
min_pool_size = 0
reserve_pool_size = 0
max_db_connections = 2
server_idle_timeout = 3600
server_lifetime = 86400
query_wait_timeout = 10
"""


class PgBouncer:
    """A throwaway PgBouncer in front of 127.0.0.1:`server_port`, wildcard database entry."""

    def __init__(self, server_port: int, tmp: Path, *, max_client_conn: int) -> None:
        self.server_port, self.max_client_conn = server_port, max_client_conn
        self.folder = tmp / f"pgbouncer-{secrets.token_hex(3)}"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PgBouncer:
        max_connections = int(scalar(self.server_port, "SHOW max_connections"))
        reserved = int(scalar(self.server_port, "SHOW superuser_reserved_connections"))
        # The shared database and maintenance connections go straight to the server: room for them.
        backends = max_connections - reserved - 20
        self.folder.mkdir()
        self.folder.chmod(0o777)
        tmp = self.folder.parent
        tmp.chmod(tmp.stat().st_mode | 0o011)  # PgBouncer may run as the postgres user
        self.port = fleetdata.free_port()
        (self.folder / "userlist.txt").write_text(f'"{USER}" ""\n')
        (self.folder / "pgbouncer.ini").write_text(
            f"[databases]\n* = host={HOST} port={self.server_port}\n[pgbouncer]\n"
            f"listen_addr = {HOST}\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.folder}/userlist.txt\nadmin_users = {USER}\n"
            f"max_client_conn = {self.max_client_conn}\nmax_user_connections = {backends}\n"
            f"{PGBOUNCER_SETTINGS}logfile = {self.folder}/pgbouncer.log\n"
        )
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        # A socket per client and per server connection: the usual 1,024 open files would stop
        # PgBouncer accepting clients ("accept() failed: Too many open files") long before.
        files = self.max_client_conn + backends + 100
        ini = str(self.folder / "pgbouncer.ini")
        command = ["sh", "-c", f'ulimit -n {files} && exec "$0" "$@"', binary, ini]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                socket.create_connection((HOST, self.port), timeout=0.2).close()
                return self
            time.sleep(0.1)
        self.__exit__()
        raise SystemExit(f"PgBouncer did not start: {self.log_tail()}")

    def log_tail(self) -> str:
        log = self.folder / "pgbouncer.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
