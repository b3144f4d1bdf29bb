"""Shared helpers of the benchmarks: data folders full of hospitals, staff users, sessions, patients.

Used two ways:

* imported by the bench scripts (no Django in the importing process): `single_hospital()`
  and `fleet()` return cached data folders, `build()` makes a fresh one, plus small
  helpers for timing and printing tables;
* run as `python bench/fleetdata.py init|provision ...` by `build()` itself: the
  Django work happens in these child processes, each with its own Django set-up (a
  build can be split over several; see BUILD_WORKERS), and the bench process stays
  free of Django state.

Cached data folders live under the system temp dir, in `hms-bench-<fingerprint>/`,
where the fingerprint covers what the data depends on (migrations, models, the
tenancy engine, settings, the Django version, DATA_FORMAT below). A build publishes its
folder atomically; readers hold a shared lock so that a later build with another
fingerprint can remove stale folders that nobody is using. Nothing is ever written
under the repository's var/.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import random
import re
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
CACHE_PREFIX = "hms-bench-cache-"
_CACHE_NAME = re.compile(r"hms-bench-cache-[0-9a-f]{12}")
_DATASET_NAME = re.compile(r"(single|fleet|demo)-[a-z0-9-]+(\.lock|\.building-\d+)?")

# Same key for every bench process: sessions are signed with it and the session
# auth hash is an HMAC keyed by it, so the builder and the servers must agree.
SECRET_KEY = "bench-only-not-a-secret-6f1c0e9a3b7d4e2f8a5c1b9d0e7f3a2c"  # noqa: S105 - benchmarks only
PRODUCTION_SETTINGS = "config.settings.production"
SESSION_COOKIE = "sessionid"
PATIENTS_PER_HOSPITAL = 30
# Part of the cache fingerprint: bump it when what build() makes changes.
DATA_FORMAT = 4
# The demo hospital whose seeded database (`manage.py seed_demo`: 300 patients, a month of
# clinic history, two weeks of bookings) is copied into every demo-sized bench hospital.
DEMO_SOURCE = "TH001"
DEMO_SEED_SETTINGS = "config.settings.local"  # seed_demo refuses production settings
# The roles staff_sessions() gives a hospital's staff users, in turn: every 4th is a doctor.
STAFF_ROLES = ("DOCTOR", "NURSE", "RECEPTIONIST", "ADMIN")
# A patient list page lists this many patients (hms.core.pages.PAGE_SIZE).
PATIENTS_SHOWN = 25
# Provisioning processes of a build. One: hospital_provision() holds the registry's
# write lock (SQLite, IMMEDIATE) while it copies and fsyncs the database, so
# provisioners serialise, and SQLite's busy-wait back-off made 2 processes slower
# than 1 here (1,000 hospitals: 9.8 s with 1, 11.4 s with 2, 12.1 s with 3).
BUILD_WORKERS = 1

# Variables of the caller's environment that would point a bench process elsewhere.
_DROPPED_ENV = (
    "DATABASE_URL",
    "HMS_DATA_DIR",
    "HMS_TEMPLATE_DIR",
    "HMS_MAX_TENANT_CONNECTIONS",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_STATIC_ROOT",
    "PYTHONPATH",
    "HMS_DATABASE_SERVERS",
    "HMS_DATABASE_PREFIX",
)

_held_locks: list[int] = []  # shared locks on the cached folders this process uses


# --------------------------------------------------------------------------- environment


def env_for(
    data_dir: Path,
    *,
    settings: str = PRODUCTION_SETTINGS,
    pythonpath: Sequence[Path] = (),
    **extra: str,
) -> dict[str, str]:
    """The environment of a Django process working on `data_dir`."""
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env.update(
        HMS_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE=settings,
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_DEBUG="false",
        DJANGO_LOG_LEVEL="WARNING",
        # Production settings, served over plain HTTP on loopback by the benchmarks: no TLS
        # redirect and no second factor to type; the audit key is a throwaway one.
        HMS_AUDIT_KEY="benchmark-audit-key-not-secret",
        DJANGO_SECURE_SSL_REDIRECT="false",
        HMS_MFA_REQUIRED_ROLES="",
        # Cached data folders keep their staff sessions between runs: no automatic logoff
        # (15 minutes idle, 12 hours at most by default) while a folder is in the cache.
        HMS_SESSION_IDLE_MINUTES="525600",
        HMS_SESSION_MAX_HOURS="8760",
        PYTHONPATH=os.pathsep.join([str(ROOT), *(str(p) for p in pythonpath)]),
    )
    env.update(extra)
    return env


def code_for(number: int) -> str:
    return f"H{number:05d}"


def hospital_path(code: str) -> str:
    """The clinical page the benchmarks request: the patient list, which reads a page of the
    hospital's patients and appends its audit row (patient.list) in one transaction."""
    return f"/h/{code}/patient-list/"


def code_of(path: str) -> str:
    """The hospital code in a /h/<CODE>/... path."""
    return path.split("/")[2]


def patients_listed(body: bytes, code: str) -> int:
    """How many patients a patient list page links to."""
    return len(set(re.findall(rf'href="/h/{re.escape(code)}/patients/(\d+)/"'.encode(), body)))


# --------------------------------------------------------------------------- data sets


@dataclass(frozen=True)
class Dataset:
    """A data folder and the (path, session key) pairs of the staff sessions made in it."""

    data_dir: Path
    hospitals: int
    pairs: list[tuple[str, str]]
    build_seconds: float | None  # None when it came from the cache
    operator_key: str = ""  # the session of the platform's operator (a SUPERADMIN), if made

    def describe(self) -> str:
        origin = "cached" if self.build_seconds is None else f"built in {self.build_seconds:.0f} s"
        return f"{self.hospitals:,} hospital(s), {len(self.pairs):,} session(s), {origin}: {self.data_dir}"


class BuildParams(TypedDict):
    """What `build` is called with; a cached data folder is reused only for the same."""

    hospitals: int
    used_every: int
    users: int
    patients: int
    demo: bool
    operator: bool


def demo_fleet(*, hospitals: int, demo: int, users: int = 1, fresh: bool = False) -> Dataset:
    """`hospitals` hospitals; `demo` of them, spread evenly, are demo-sized (a copy of the seeded
    demo hospital's database) and have `users` staff users, each with a logged-in session; the
    platform's operator (a SUPERADMIN) has a session too."""
    return _cached(
        f"demo-h{hospitals}-d{demo}-u{users}",
        BuildParams(
            hospitals=hospitals,
            used_every=max(1, hospitals // demo),
            users=users,
            patients=0,
            demo=True,
            operator=True,
        ),
        fresh=fresh,
    )


def demo_seed_database(work_dir: Path, *, env: dict[str, str] | None = None) -> Path:
    """Seed the demo hospitals in a scratch data folder and return a compact copy of DEMO_SOURCE's
    database (`work_dir/demo.sqlite3`, in WAL mode like every hospital database).

    `env` (default: local settings) must give hospital databases the schema of the deployment
    they are copied into; its HMS_DATA_DIR is replaced by the scratch folder.
    """
    data_dir = work_dir / "seed"
    env = {**(env or env_for(data_dir, settings=DEMO_SEED_SETTINGS)), "HMS_DATA_DIR": str(data_dir)}
    for args in (["migrate", "--verbosity=0"], ["seed_demo"]):
        subprocess.run(
            [PYTHON, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )
    target = work_dir / "demo.sqlite3"
    target.unlink(missing_ok=True)
    source = data_dir / "hospitals" / DEMO_SOURCE / "db.sqlite3"
    with contextlib.closing(sqlite3.connect(source)) as db:
        db.execute("VACUUM INTO ?", (str(target),))
    with contextlib.closing(sqlite3.connect(target)) as db:
        db.execute("PRAGMA journal_mode=WAL")
    shutil.rmtree(data_dir)
    return target


def build(
    data_dir: Path,
    *,
    hospitals: int,
    used_every: int = 0,
    users: int = 0,
    patients: int = 0,
    demo: bool | Path = False,
    env: dict[str, str] | None = None,
    workers: int = BUILD_WORKERS,
    operator: bool = False,
) -> Dataset:
    """Make a data folder: shared database, template, hospitals (and users, sessions, patients).

    Hospital number i gets `patients` patients and `users` staff users with sessions when
    `used_every` divides i; with `demo` (True: seeded here; or the path of a database made by
    `demo_seed_database`), such a hospital's database is replaced by a copy of the seeded demo
    hospital's instead. The hospitals are provisioned by `workers` processes. With `operator`, a
    SUPERADMIN user is made too, with a logged-in session (Dataset.operator_key).
    """
    started = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = env if env is not None else env_for(data_dir)
    script = str(Path(__file__).resolve())
    subprocess.run([PYTHON, script, "init"], env=env, cwd=ROOT, check=True)
    demo_args = []
    if demo is True:
        demo = demo_seed_database(data_dir / ".demo-seed")
    if demo:
        demo_args = [f"--demo-db={demo}"]
    workers = max(1, min(workers, hospitals))
    bounds = [hospitals * w // workers for w in range(workers + 1)]
    parts = [data_dir / f".pairs-{w}.json" for w in range(workers)]
    procs = [
        subprocess.Popen(
            [
                PYTHON,
                script,
                "provision",
                f"--start={bounds[w]}",
                f"--stop={bounds[w + 1]}",
                f"--used-every={used_every}",
                f"--users={users}",
                f"--patients={patients}",
                f"--out={parts[w]}",
                *demo_args,
            ],
            env=env,
            cwd=ROOT,
        )
        for w in range(workers)
    ]
    codes = [proc.wait() for proc in procs]
    if any(codes):
        raise SystemExit(f"FAILED: building {data_dir} (worker exit codes {codes}).")
    pairs: list[tuple[str, str]] = []
    for part in parts:
        pairs.extend((path, key) for path, key in json.loads(part.read_text()))
        part.unlink()
    shutil.rmtree(data_dir / ".demo-seed", ignore_errors=True)
    operator_key = ""
    if operator:
        made = subprocess.run(
            [PYTHON, script, "operator"], env=env, cwd=ROOT, check=True, capture_output=True, text=True
        )
        operator_key = made.stdout.strip()
    return Dataset(data_dir, hospitals, pairs, time.perf_counter() - started, operator_key)


def source_fingerprint() -> str:
    """A hash of everything the cached data depends on."""
    import django

    files: set[Path] = set()
    for pattern in (
        "hms/**/migrations/*.py",
        "hms/**/models.py",
        "hms/tenancy/**/*.py",
        "config/settings/*.py",
        "hms/demo/**/*.py",
    ):
        files.update(p for p in ROOT.glob(pattern) if "tests" not in p.relative_to(ROOT).parts)
    digest = hashlib.sha256(f"django {django.get_version()}\ndata format {DATA_FORMAT}\n".encode())
    for path in sorted(files):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def cache_root() -> Path:
    base = Path(os.environ.get("HMS_BENCH_CACHE", tempfile.gettempdir()))
    return base / f"{CACHE_PREFIX}{source_fingerprint()}"


def _cached(name: str, params: BuildParams, *, fresh: bool) -> Dataset:
    """The cached data folder `name`, built first if missing (or if `fresh`).

    Users hold a shared lock on `<name>.lock` for as long as the process lives;
    building (and removing) needs the exclusive lock, so it waits for them.
    """
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    final = root / name
    fd = os.open(root / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not fresh:
            fcntl.flock(fd, fcntl.LOCK_SH)
            if (dataset := _load(final, params)) is not None:
                _held_locks.append(fd)
                return dataset
        fcntl.flock(fd, fcntl.LOCK_EX)
        if not fresh and (dataset := _load(final, params)) is not None:  # built meanwhile
            fcntl.flock(fd, fcntl.LOCK_SH)
            _held_locks.append(fd)
            return dataset
        if final.exists():
            shutil.rmtree(final)
        _prune_stale_caches(root)
        for leftover in root.glob(f"{name}.building-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        building = root / f"{name}.building-{os.getpid()}"
        print(f"Building bench data {name} in {building} (cached for later runs) ...", flush=True)
        dataset = build(building, **params)
        manifest = {"params": params, "pairs": dataset.pairs, "operator_key": dataset.operator_key}
        (building / "bench-manifest.json").write_text(json.dumps({**manifest, "built_at": time.time()}))
        os.rename(building, final)
        fcntl.flock(fd, fcntl.LOCK_SH)
        _held_locks.append(fd)
        return Dataset(final, dataset.hospitals, dataset.pairs, dataset.build_seconds, dataset.operator_key)
    except BaseException:
        os.close(fd)
        raise


def _load(final: Path, params: BuildParams) -> Dataset | None:
    manifest = final / "bench-manifest.json"
    if not manifest.exists():
        return None
    data = json.loads(manifest.read_text())
    if data.get("params") != params:
        return None
    pairs = [(path, key) for path, key in data["pairs"]]
    return Dataset(final, params["hospitals"], pairs, None, data.get("operator_key", ""))


def _prune_stale_caches(current: Path) -> None:
    """Remove other fingerprints' cache folders that no bench process is using now.

    Only folders made by `_cached()`: named hms-bench-cache-<12 hex digits> and holding
    nothing but its data folders and their lock files.
    """
    for other in current.parent.glob(f"{CACHE_PREFIX}*"):
        if (
            other == current
            or not other.is_dir()
            or other.is_symlink()
            or not _CACHE_NAME.fullmatch(other.name)
        ):
            continue
        entries = list(other.iterdir())
        if not entries or not all(_DATASET_NAME.fullmatch(entry.name) for entry in entries):
            continue
        fds = []
        try:
            for lock in other.glob("*.lock"):
                fd = os.open(lock, os.O_RDWR)
                fds.append(fd)
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while a bench uses it
            print(f"Removing stale bench data {other}", flush=True)
            shutil.rmtree(other, ignore_errors=True)
        except OSError:
            continue
        finally:
            for fd in fds:
                os.close(fd)


# --------------------------------------------------------------------------- small helpers


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def load_text(load: tuple[float, float, float]) -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` shows them."""
    return " ".join(f"{value:.2f}" for value in load)


def spread(values: Sequence[float], digits: int = 1) -> str:
    """median (min-max) of repeats."""
    return f"{median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def timed_run(
    args: Sequence[str], env: dict[str, str]
) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run a process to its end from the repository root: its wall time, its CPU time (user +
    system, its threads and children included) and its result (output captured as text)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(list(args), env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, result


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raise_open_files_limit() -> int:
    """Raise this process's (and so its children's) open-files limit to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --------------------------------------------------------------------------- child side (Django)


def _django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _cmd_init(_: argparse.Namespace) -> None:
    """Create the shared database and the tenant template."""
    _django_setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    try:
        from hms.tenancy.backends import EMBEDDED_SERVER, storage_for
        from hms.tenancy.provisioning import template_ensure
        from hms.tenancy.schema import current_fingerprint
    except ImportError:
        return  # the first provisioning builds it (concurrent builds are harmless)
    template_ensure(storage_for(EMBEDDED_SERVER), current_fingerprint())


def _cmd_provision(args: argparse.Namespace) -> None:
    """Provision hospitals start..stop-1; give every used one patients and logged-in staff."""
    _django_setup()
    from hms.tenancy.provisioning import hospital_provision

    pairs: list[tuple[str, str]] = []
    started = time.perf_counter()
    for number in range(args.start, args.stop):
        code = code_for(number)
        hospital = hospital_provision(code=code, name=f"Bench Hospital {number}")
        if args.used_every and number % args.used_every == 0:
            if args.demo_db:
                demo_copy(hospital, Path(args.demo_db))
            if args.patients:
                add_patients(hospital, args.patients)
            for key in staff_sessions(hospital, args.users):
                pairs.append((hospital_path(code), key))
        done = number - args.start + 1
        if done % 1000 == 0:
            rate = done / (time.perf_counter() - started)
            print(
                f"  [{args.start}..{args.stop}) {done:,} hospitals, {rate:.0f}/s", file=sys.stderr, flush=True
            )
    Path(args.out).write_text(json.dumps(pairs))


def demo_copy(hospital: Any, demo: Path) -> None:
    """Replace a just-provisioned hospital's database by a copy of the seeded demo database.

    The copy keeps the demo's audit chain (its seals do not name the hospital), so the
    hospital's checkpoint in the shared database is moved to the chain's last event, as
    appending those events would have done. Tenant rows that name shared users (actors,
    practitioners) keep the seed's user ids: the pages and commands measured here read
    patients and whole databases, not those names.
    """
    from hms.security.checkpoints import checkpoint_advance
    from hms.tenancy import connections as tenant_connections
    from hms.tenancy.backends import storage_for
    from hms.tenancy.backends.sqlite import SqliteStorage

    tenant_connections.forget(tenant_connections.hospital_alias(hospital.code))
    storage = storage_for(hospital.server)
    assert isinstance(storage, SqliteStorage), "demo-sized bench data is made on SQLite"
    target = storage.path(hospital.database_name)
    for side in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        side.unlink(missing_ok=True)
    shutil.copyfile(demo, target)
    with contextlib.closing(sqlite3.connect(f"file:{demo}?mode=ro", uri=True)) as db:
        last = db.execute("SELECT id, hash FROM audit_auditevent ORDER BY id DESC LIMIT 1").fetchone()
    if last is not None:
        checkpoint_advance(hospital.code, last[0], last[1])


def add_patients(hospital: Any, count: int) -> None:
    """`count` patients with made-up names in the hospital's own database."""
    import datetime

    from django.db import transaction

    from hms.patients.models import Patient
    from hms.tenancy.context import hospital_context

    given = ["Amina", "Rahim", "Sofia", "Karim", "Lena", "Omar", "Nadia", "Tariq", "Maya", "Jonas"]
    family = ["Ahmed", "Khan", "Silva", "Novak", "Okafor", "Haddad", "Larsen", "Mendes", "Sato", "Weber"]
    rng = random.Random(hospital.code)  # noqa: S311 - made-up data
    with hospital_context(hospital) as tenant, transaction.atomic(using=tenant.alias):
        Patient.objects.bulk_create(
            Patient(
                mrn=f"{hospital.code}-{n:05d}",
                given_name=rng.choice(given),
                family_name=rng.choice(family),
                birth_date=datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(30000)),
                sex=rng.choice([Patient.Sex.FEMALE, Patient.Sex.MALE]),
            )
            for n in range(count)
        )


def staff_sessions(hospital: Any, count: int) -> list[str]:
    """Create `count` staff users of the hospital, each with a logged-in session; return the keys."""
    from django.db import transaction

    from hms.accounts.models import Role, User

    if not count:
        return []
    roles = [Role(role) for role in STAFF_ROLES]
    keys = []
    with transaction.atomic():
        users = []
        for n in range(count):
            user = User(username=f"{hospital.code.lower()}_staff{n}", role=roles[n % 4], hospital=hospital)
            user.set_unusable_password()  # no slow password hashing; sessions are made directly
            users.append(user)
        User.objects.bulk_create(users)
        for user in User.objects.filter(hospital=hospital).order_by("id"):
            keys.append(logged_in_session(user))
    return keys


def logged_in_session(user: Any) -> str:
    """The key of a new session in which `user` is logged in (no login request, no password hashing)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return str(session.session_key)


def _cmd_operator(_: argparse.Namespace) -> None:
    """Make the platform's operator (a SUPERADMIN, no hospital) and print a logged-in session's key."""
    _django_setup()
    from hms.accounts.models import User

    operator = User.objects.create_superuser("bench_operator", password=None)
    print(logged_in_session(operator))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="Create the shared database and the tenant template.")
    sub.add_parser("operator", help="Make a SUPERADMIN and print a logged-in session's key.")
    provision = sub.add_parser("provision", help="Provision a range of hospitals.")
    provision.add_argument("--start", type=int, required=True)
    provision.add_argument("--stop", type=int, required=True)
    provision.add_argument("--used-every", type=int, default=0)
    provision.add_argument("--users", type=int, default=0)
    provision.add_argument("--patients", type=int, default=0)
    provision.add_argument("--out", required=True)
    provision.add_argument("--demo-db", default="")
    args = parser.parse_args(argv)
    {"init": _cmd_init, "provision": _cmd_provision, "operator": _cmd_operator}[args.command](args)


if __name__ == "__main__":
    main()
