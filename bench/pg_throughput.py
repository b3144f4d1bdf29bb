"""Requests/s of the patient list on PostgreSQL: tenant-routed vs the same page untenanted.

    .venv/bin/python bench/pg_throughput.py [--duration 10] [--rounds 5] [--warmup 10]
                                            [--connections 8] [--users 200] [--conn-max-age 600]

Needs wrk and the PostgreSQL server on 127.0.0.1:5432 (trust, user postgres).

Every server: gunicorn config.wsgi, 2 sync workers, on 127.0.0.1; wrk -t1 -c8 on
loopback with a Lua script rotating over 200 staff users' sessions of one
hospital with 30 patients; each GET /h/H00000/patient-list/ lists 25 patients and
writes one audit row. Every response must be 200 and list the patients.

  tenant-routed  production settings; shared database `<prefix>shared` (DATABASE_URL)
                 and the hospital in its own database `<prefix>h00000` on the
                 server of HMS_DATABASE_SERVERS=main=postgres://...:5432/postgres,
                 provisioned by hospital_provision() (bench/fleetdata.py's builder).
  untenanted     [baseline] bench.pg_untenanted_settings: the same apps with every
                 table in one database `<prefix>flat`, no router, no
                 HospitalMiddleware; bench/pg_untenanted_urls.py serves
                 /h/<CODE>/patient-list/ by calling the same view (see its docstring for the one shim).

The same data in both (hospital H00000, its 30 patients, 200 staff users and their
sessions). Each pair runs under two connection policies for DATABASE_URL:

  * as documented (docs/operations/postgresql.md: no conn_max_age): Django opens
    a new connection to DATABASE_URL's database for every request. The routed
    site's hospital connection is persistent (the tenancy engine's own), so only
    its shared-database queries pay that; the untenanted site pays it for all.
  * `?conn_max_age=600` on both: every connection persistent, so the difference
    is the routing itself (--conn-max-age 0 skips this pair).

All four servers run side by side; after a warm-up of each, the measured rounds
go through them in alternating order. The figure of a case is the median of its
rounds. Target, for each policy: tenant-routed >= 0.95x untenanted.

Every database of the run has a unique prefix and is dropped at the end, on
failure too (bench/pgcommon.py).
"""

import argparse
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fleetdata, pgcommon, throughput  # noqa: E402

RATIO_TARGET = 0.95
PORT = pgcommon.MAIN_PORT
UNTENANTED_SETTINGS = "bench.pg_untenanted_settings"


# --------------------------------------------------------------------------- child: the untenanted data


def build_untenanted(users: int, patients: int, out: Path) -> None:
    """Run with the untenanted settings: one database with the registry row, patients, staff sessions.

    The same rows as bench/fleetdata.py makes for hospital number 0 (code, name, patient
    generator and seed, users and roles), all in the default database.
    """
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from hms.hospitals.models import Hospital
    from hms.patients.models import Patient
    from hms.tenancy.schema import current_fingerprint

    call_command("migrate", interactive=False, verbosity=0)
    code = fleetdata.code_for(0)
    hospital = Hospital.objects.create(
        code=code,
        name="Bench Hospital 0",
        server="untenanted",
        database_name="(the default database)",
        status=Hospital.Status.ACTIVE,
        schema_fingerprint=current_fingerprint(),
    )
    given = ["Amina", "Rahim", "Sofia", "Karim", "Lena", "Omar", "Nadia", "Tariq", "Maya", "Jonas"]
    family = ["Ahmed", "Khan", "Silva", "Novak", "Okafor", "Haddad", "Larsen", "Mendes", "Sato", "Weber"]
    rng = random.Random(hospital.code)  # noqa: S311 - made-up data, as fleetdata.add_patients
    with transaction.atomic():
        Patient.objects.bulk_create(
            Patient(
                mrn=f"{hospital.code}-{n:05d}",
                given_name=rng.choice(given),
                family_name=rng.choice(family),
                birth_date=datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(30000)),
                sex=rng.choice([Patient.Sex.FEMALE, Patient.Sex.MALE]),
            )
            for n in range(patients)
        )
    keys = fleetdata.staff_sessions(hospital, users)
    out.write_text(json.dumps([(fleetdata.hospital_path(code), key) for key in keys]))


# --------------------------------------------------------------------------- bench


@dataclass
class Case:
    key: str
    label: str
    server: pgcommon.Server
    pairs: list[tuple[str, str]]
    script: Path | None = None
    rounds: list[pgcommon.WrkResult] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return fleetdata.median(r.rps for r in self.rounds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="Seconds per measured round (10).")
    parser.add_argument("--rounds", type=int, default=5, help="Measured rounds per case (5).")
    parser.add_argument("--warmup", type=float, default=10, help="Seconds of warm-up load per case (10).")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8).")
    parser.add_argument("--users", type=int, default=200, help="Staff users (sessions) rotated over (200).")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=600,
        help="conn_max_age of the second pair of servers (600); 0: run only the documented default.",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get update && apt-get install -y wrk", file=sys.stderr)
        return 2
    version = pgcommon.server_version(PORT)
    print(
        f"PostgreSQL {version} on {pgcommon.HOST}:{PORT}; load average at start {os.getloadavg()[0]:.2f}; "
        f"code {pgcommon.code_version()}"
    )
    policies = {"": "DATABASE_URL as documented (a connection per request)"}
    if args.conn_max_age:
        policies[f"?conn_max_age={args.conn_max_age}"] = f"DATABASE_URL ...?conn_max_age={args.conn_max_age}"

    cases: list[Case] = []
    with (
        pgcommon.PgRun(ports=(PORT,)) as run,
        tempfile.TemporaryDirectory(prefix="hms-bench-pgthroughput-") as tmp_name,
    ):
        tmp = Path(tmp_name)
        print(f"database prefix of this run: {run.prefix}", flush=True)
        try:
            # Tenant-routed data: shared database + one provisioned hospital on the server.
            run.create_database(PORT, run.shared_name)
            routed_env = pgcommon.django_env(run, tmp / "routed", servers=f"main={pgcommon.server_url(PORT)}")
            started = time.perf_counter()
            routed = fleetdata.build(
                tmp / "routed",
                hospitals=1,
                used_every=1,
                users=args.users,
                patients=fleetdata.PATIENTS_PER_HOSPITAL,
                env=routed_env,
            )
            print(f"tenant-routed data built in {time.perf_counter() - started:.1f} s", flush=True)

            # Untenanted data: everything in one database.
            flat = run.create_database(PORT, run.name("flat"))
            flat_env = pgcommon.django_env(run, tmp / "flat", shared_name=flat, settings=UNTENANTED_SETTINGS)
            out = tmp / "flat-pairs.json"
            started = time.perf_counter()
            subprocess.run(
                [
                    fleetdata.PYTHON,
                    str(Path(__file__).resolve()),
                    "build-untenanted",
                    str(args.users),
                    str(fleetdata.PATIENTS_PER_HOSPITAL),
                    str(out),
                ],
                env=flat_env,
                cwd=fleetdata.ROOT,
                check=True,
            )
            flat_pairs = [(p, k) for p, k in json.loads(out.read_text())]
            print(f"untenanted data built in {time.perf_counter() - started:.1f} s", flush=True)

            for number, (suffix, policy) in enumerate(policies.items()):
                for kind, env, pairs in (
                    ("routed", routed_env, routed.pairs),
                    ("untenanted", flat_env, flat_pairs),
                ):
                    env = {**env, "DATABASE_URL": env["DATABASE_URL"] + suffix}
                    label = "tenant-routed" if kind == "routed" else "untenanted [baseline]"
                    key = f"{kind}{number}"
                    cases.append(Case(key, f"{label}; {policy}", pgcommon.Server(key, env), pairs))
            for case in cases:
                case.script = tmp / f"rotate-{case.key}.lua"
                throughput.write_lua(case.script, case.pairs)
                case.server.start(tmp)
            for case in cases:
                case.server.wait_ready(case.pairs)
                print(f"warming up {case.key} for {args.warmup:.0f} s ...", flush=True)
                check(case.server, measure(case, args.warmup, args.connections))
            for number in range(args.rounds):
                for case in cases if number % 2 == 0 else cases[::-1]:
                    result = measure(case, args.duration, args.connections)
                    check(case.server, result)
                    case.rounds.append(result)
                    print(f"  round {number + 1} {case.key:>11}: {result.rps:7.1f} req/s", flush=True)
        finally:
            for case in cases:
                case.server.stop()

    print(
        f"\nThroughput of GET /h/H00000/patient-list/ on PostgreSQL {version.split()[0]} "
        "(gunicorn, 2 sync workers; "
        f"wrk -t1 -c{args.connections}, {args.rounds} x {args.duration:.0f} s rounds each; "
        f"1 hospital, {fleetdata.PATIENTS_PER_HOSPITAL} patients, {args.users} sessions)\n"
    )
    fleetdata.print_table(
        ["case", "req/s (median)", "rounds", "p50 ms", "p99 ms", "requests"],
        [
            [
                case.label,
                f"{case.rps:.1f}",
                " ".join(f"{r.rps:.0f}" for r in case.rounds),
                f"{fleetdata.median(r.latency_ms['50'] for r in case.rounds):.1f}",
                f"{fleetdata.median(r.latency_ms['99'] for r in case.rounds):.1f}",
                f"{sum(r.requests for r in case.rounds):,}",
            ]
            for case in cases
        ],
    )
    rows, ok = [], True
    for number, policy in enumerate(policies.values()):
        routed_case = next(c for c in cases if c.key == f"routed{number}")
        flat_case = next(c for c in cases if c.key == f"untenanted{number}")
        ratio = routed_case.rps / flat_case.rps
        ok = ok and ratio >= RATIO_TARGET
        rows.append(
            [
                f"tenant-routed / untenanted >= {RATIO_TARGET}, {policy}",
                f"{routed_case.rps:.1f} / {flat_case.rps:.1f} = {ratio:.3f}x",
                fleetdata.verdict(ratio >= RATIO_TARGET),
            ]
        )
    print()
    fleetdata.print_table(["target", "measured", "result"], rows)
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    return 0 if ok else 1


def measure(case: Case, seconds: float, connections: int) -> pgcommon.WrkResult:
    assert case.script is not None
    return pgcommon.run_wrk(case.server.port, case.script, seconds=seconds, connections=connections)


def check(server: pgcommon.Server, result: pgcommon.WrkResult) -> None:
    """Every response 200, no socket errors: otherwise the figure is not of the page."""
    if result.non200 or result.non2xx or result.errors:
        server.fail(
            f"{result.non200} non-200 responses (first:{result.statuses or ' -'}), "
            f"socket errors {result.socket_errors}:\n{result.output}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "build-untenanted":
        build_untenanted(int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
    else:
        sys.exit(main())
