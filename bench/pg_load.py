"""A bounded loopback load test: 1,000 hospitals on one PostgreSQL server with max_connections=100.

    .venv/bin/python bench/pg_load.py [--hospitals 1000] [--duration 30] [--connections 16]
                                      [--build-workers 3] [--max-connections 40]

Needs wrk and the two local PostgreSQL servers: 127.0.0.1:5433 (the second
cluster, `hms_second`; SHOW max_connections must be 100) holds the hospitals,
127.0.0.1:5432 the shared database (so that only hospital connections count
against the second server's 100).

Data: 1,000 hospitals provisioned with hospital_provision() on server `east`
(HMS_DATABASE_SERVERS=east=postgres://postgres@127.0.0.1:5433/postgres?max_connections=40),
each with 30 patients and one staff user with a session (bench/fleetdata.py's
builder, split over --build-workers processes, each keeping at most 4 hospital
connections). About 8 MiB of disk per hospital: free disk is checked first.

Load: gunicorn config.wsgi, production settings, 2 sync workers (2 x 40 = 80
connections at most to the second server, under its 100); wrk -t1 -c16 for 30 s on
loopback, rotating over the 1,000 hospitals' (page, session) pairs, so a worker
keeps reconnecting as it passes its 40-connection allowance. Reported: requests/s,
latency percentiles, non-2xx and socket errors, and the peak number of sessions on
the second server (sampled every 0.5 s). PASS only with zero non-2xx responses
(and zero responses other than 200) and zero socket errors.

Every database of the run has a unique prefix and is dropped at the end, on
failure too (bench/pgcommon.py); dropping 1,000 databases takes a minute or two
(PostgreSQL 15 checkpoints on each DROP DATABASE).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fleetdata, pgcommon, throughput  # noqa: E402

SHARED_PORT = pgcommon.MAIN_PORT
HOSPITAL_PORT = pgcommon.SECOND_PORT
EXPECTED_MAX_CONNECTIONS = 100
MIB_PER_HOSPITAL = 8.0  # a clone of the 7.6 MiB template, plus 30 patients
DISK_MARGIN_GIB = 4.0
BUILD_TENANT_CONNECTIONS = "4"  # per build process: 3 builders x 4 stay far below the server's 100


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hospitals", type=int, default=1000, help="Hospitals (1,000).")
    parser.add_argument("--duration", type=float, default=30, help="Seconds of load (30).")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16).")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2).")
    parser.add_argument(
        "--max-connections", type=int, default=40, help="Per-process limit to the server (40)."
    )
    parser.add_argument(
        "--build-workers", type=int, default=3, help="Processes provisioning the hospitals (3)."
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get update && apt-get install -y wrk", file=sys.stderr)
        return 2

    # Preconditions: the server's connection limit, who else is connected, free disk.
    version = pgcommon.server_version(HOSPITAL_PORT)
    max_connections = int(pgcommon.scalar(HOSPITAL_PORT, "SHOW max_connections"))
    reserved = int(pgcommon.scalar(HOSPITAL_PORT, "SHOW superuser_reserved_connections"))
    others = int(
        pgcommon.scalar(
            HOSPITAL_PORT, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
        )
    )
    data_directory = pgcommon.scalar(HOSPITAL_PORT, "SHOW data_directory")
    free_gib = shutil.disk_usage(data_directory).free / 2**30
    need_gib = args.hospitals * MIB_PER_HOSPITAL / 1024 + DISK_MARGIN_GIB
    print(
        f"server 127.0.0.1:{HOSPITAL_PORT}: PostgreSQL {version}, SHOW max_connections = {max_connections} "
        f"(superuser_reserved_connections {reserved}), {others} client session(s) connected now\n"
        f"free disk for {data_directory}: {free_gib:.1f} GiB (need about {need_gib:.1f} GiB); "
        f"load average at start {os.getloadavg()[0]:.2f}; code {pgcommon.code_version()}",
        flush=True,
    )
    if max_connections != EXPECTED_MAX_CONNECTIONS:
        print(f"SHOW max_connections is {max_connections}, not {EXPECTED_MAX_CONNECTIONS}.", file=sys.stderr)
        return 2
    if args.workers * args.max_connections >= max_connections - reserved - others:
        print(
            f"{args.workers} workers x {args.max_connections} connections do not fit under the server's "
            f"{max_connections} (minus {reserved} reserved and {others} in use).",
            file=sys.stderr,
        )
        return 2
    if free_gib < need_gib:
        print(f"Not enough free disk: {free_gib:.1f} GiB < {need_gib:.1f} GiB.", file=sys.stderr)
        return 2

    servers_setting = "east=" + pgcommon.server_url(HOSPITAL_PORT, max_connections=args.max_connections)
    with (
        pgcommon.PgRun(ports=(SHARED_PORT, HOSPITAL_PORT)) as run,
        tempfile.TemporaryDirectory(prefix="hms-bench-pgload-") as tmp_name,
    ):
        tmp = Path(tmp_name)
        print(
            f"database prefix of this run: {run.prefix}; HMS_DATABASE_SERVERS={servers_setting}", flush=True
        )
        server = None
        try:
            run.create_database(SHARED_PORT, run.shared_name)
            data_dir = tmp / "data"
            env = pgcommon.django_env(run, data_dir, shared_port=SHARED_PORT, servers=servers_setting)
            build_env = {**env, "HMS_MAX_TENANT_CONNECTIONS": BUILD_TENANT_CONNECTIONS}
            print(
                f"provisioning {args.hospitals:,} hospitals (30 patients and a staff session each) "
                f"with {args.build_workers} processes ...",
                flush=True,
            )
            dataset = fleetdata.build(
                data_dir,
                hospitals=args.hospitals,
                used_every=1,
                users=1,
                patients=fleetdata.PATIENTS_PER_HOSPITAL,
                env=build_env,
                workers=args.build_workers,
            )
            build_seconds = dataset.build_seconds or 0.0
            on_server = len(
                [n for n in pgcommon.databases_with_prefix(HOSPITAL_PORT, run.prefix) if "template_" not in n]
            )
            print(
                f"built in {build_seconds:.0f} s ({args.hospitals / build_seconds:.1f} hospitals/s); "
                f"{on_server:,} hospital databases on 127.0.0.1:{HOSPITAL_PORT}; "
                f"free disk now {shutil.disk_usage(data_directory).free / 2**30:.1f} GiB",
                flush=True,
            )
            if on_server != args.hospitals or len(dataset.pairs) != args.hospitals:
                raise SystemExit(
                    f"Expected {args.hospitals} hospitals and sessions, got {on_server}/{len(dataset.pairs)}"
                )

            script = tmp / "rotate.lua"
            throughput.write_lua(script, dataset.pairs)
            server = pgcommon.Server("load", env, workers=args.workers)
            server.start(tmp)
            server.wait_ready(dataset.pairs, samples=10)
            print(
                f"load: wrk -t1 -c{args.connections} for {args.duration:.0f} s "
                f"over {args.hospitals:,} hospitals ...",
                flush=True,
            )
            sessions_before = sessions_opened(run.prefix)
            with pgcommon.ConnectionSampler(HOSPITAL_PORT, run.prefix) as sampler:
                result = pgcommon.run_wrk(
                    server.port, script, seconds=args.duration, connections=args.connections
                )
            log = server.log_tail(10**7)
        finally:
            if server is not None:
                server.stop()
        # Counted once gunicorn's sessions have ended: a backend reports its statistics on exit at the latest.
        time.sleep(1)
        opened = sessions_opened(run.prefix) - sessions_before

    unavailable = log.count("unavailable:")
    errors = result.socket_errors
    print(
        f"\nLoad test: {args.hospitals:,} hospitals on one PostgreSQL {version.split()[0]} server "
        f"(max_connections {max_connections}); gunicorn {args.workers} sync workers, max_connections="
        f"{args.max_connections} per process; wrk -t1 -c{args.connections}, {args.duration:.0f} s\n"
    )
    fleetdata.print_table(
        ["figure", "value"],
        [
            ["requests", f"{result.requests:,}"],
            ["requests/s", f"{result.rps:.1f}"],
            *[[f"latency p{pct} (ms)", f"{value:.1f}"] for pct, value in result.latency_ms.items()],
            ["non-2xx/3xx responses (wrk)", result.non2xx],
            ["responses other than 200 (script)", f"{result.non200} {result.statuses}".strip()],
            [
                "socket errors (connect/read/write/timeout)",
                f"{errors['connect']}/{errors['read']}/{errors['write']}/{errors['timeout']}",
            ],
            ["'unavailable' (503) warnings in the log", unavailable],
            [
                "peak sessions on our databases (sampled)",
                f"{sampler.peak} (limit {args.workers * args.max_connections})",
            ],
            ["peak client sessions on the server (all)", f"{sampler.peak_total} of {max_connections}"],
            [
                "hospital connections opened during the load",
                f"{opened:,} ({opened / max(1, result.requests):.2f} per request)",
            ],
            ["hospitals provisioned (build time)", f"{args.hospitals:,} ({build_seconds:.0f} s)"],
        ],
    )
    ok = result.non2xx == 0 and result.non200 == 0 and result.errors == 0
    print()
    fleetdata.print_table(
        ["target", "measured", "result"],
        [
            [
                "zero non-2xx and zero socket errors",
                f"{result.non2xx} non-2xx, {result.non200} non-200, {result.errors} socket errors",
                fleetdata.verdict(ok),
            ]
        ],
    )
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    return 0 if ok else 1


def sessions_opened(prefix: str) -> int:
    """Sessions ever established to this run's databases on the hospital server (pg_stat_database)."""
    return int(
        pgcommon.scalar(
            HOSPITAL_PORT,
            "SELECT coalesce(sum(sessions), 0) FROM pg_stat_database WHERE starts_with(datname, %s)",
            [prefix],
        )
    )


if __name__ == "__main__":
    sys.exit(main())
