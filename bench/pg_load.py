"""One hospital against requests rotating over 1,000 on one PostgreSQL server, pooled and direct.

    .venv/bin/python bench/pg_load.py --port PORT [--hospitals 1000] [--rounds 3] [--duration 20]
                                      [--connections 8] [--workers 2] [--modes pooled,direct]

PORT is a PostgreSQL server of the run's own (127.0.0.1, user postgres, trust): it holds the
shared database and the hospitals. For the pooled configuration its max_connections must
leave a backend for every hospital (docs/operations/postgresql.md: 1,100 for 1,000); for the
default configuration's reproduction give it PostgreSQL's default of 100 and `--modes direct`.

Data: --hospitals hospitals provisioned on server `east` (bench/fleetdata.py's builder, 30
patients, a staff user and the platform operator's session). The page is the operator's view
of a hospital's home page (GET /h/<CODE>/, the light page of bench/throughput.py), for one
hospital and rotating over all of them.

Modes, one after the other (one gunicorn each, --workers sync workers, HMS_APP_PROCESSES set to
match; both at once would share the server's connections), each with --rounds rounds of the
two cases in alternating order:

* pooled: `east=postgres://...?pgbouncer=127.0.0.1:<port>`, a throwaway PgBouncer started here
  with the documented settings (transaction pooling, a wildcard database entry, one warm
  server connection per hospital: pgcommon.PGBOUNCER_SETTINGS).
* direct: `east=postgres://...` without options: the default configuration, each process's
  allowance read from the server.

Each mode first warms up over the rotation in 10-second runs until its workers open fewer than
0.02 hospital connections per request (the steady state: every worker holds the hospitals it
can), or for --warmup seconds at most; the output says which. Reported per mode
and case: requests/s of each round, the median and the spread, the ratio of medians, non-2xx
responses, 503s (hms_hospital_unavailable_total), hospital connections the application opened
per request (hms_tenant_connections_opened_total), the peak number of backends on the
run's databases, and the share of the hospitals' blocks PostgreSQL had to read from outside
shared_buffers during each case (pg_stat_database): near 0 when `shared_buffers` holds what
the rotation uses (docs/operations/postgresql.md sizes it).
PASS: pooled ratio >= 0.9 with zero non-2xx and zero 503 in every mode.

Every database of the run has a unique prefix and is dropped at the end (bench/pgcommon.py).
"""

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fleetdata, pgcommon, throughput  # noqa: E402

RATIO_TARGET = 0.9
MIB_PER_HOSPITAL = 8.0  # a clone of the 7.6 MiB template, plus 30 patients
BUILD_TENANT_CONNECTIONS = "4"  # per build process


@dataclass
class Figures:
    rps: list[float] = field(default_factory=list)
    requests: int = 0
    non2xx: int = 0
    unavailable: float = 0.0
    opened: float = 0.0
    blocks_hit: int = 0
    blocks_read: int = 0  # not in shared_buffers: read from the OS (its page cache or the disk)

    @property
    def read_share(self) -> float:
        return self.blocks_read / max(1, self.blocks_hit + self.blocks_read)

    @property
    def median(self) -> float:
        return statistics.median(self.rps) if self.rps else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="The run's PostgreSQL server.")
    parser.add_argument("--hospitals", type=int, default=1000, help="Hospitals (1,000).")
    parser.add_argument("--rounds", type=int, default=3, help="Alternating rounds (3).")
    parser.add_argument("--duration", type=float, default=20, help="Seconds of each measurement (20).")
    parser.add_argument("--warmup", type=float, default=300, help="Most seconds of warm-up per mode (300).")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8).")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2).")
    parser.add_argument("--modes", default="pooled,direct", help="pooled, direct or both (both).")
    parser.add_argument("--build-workers", type=int, default=3, help="Processes provisioning (3).")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if shutil.which("wrk") is None or not set(modes) <= {"pooled", "direct"}:
        print("Needs wrk (apt-get install wrk); --modes is pooled, direct or both.", file=sys.stderr)
        return 2
    port = args.port
    max_connections = int(pgcommon.scalar(port, "SHOW max_connections"))
    shared_buffers = pgcommon.scalar(port, "SHOW shared_buffers")
    version = pgcommon.server_version(port)
    data_directory = pgcommon.scalar(port, "SHOW data_directory")
    free_gib = shutil.disk_usage(data_directory).free / 2**30
    print(
        f"server 127.0.0.1:{port}: PostgreSQL {version}, max_connections {max_connections}, "
        f"shared_buffers {shared_buffers}; "
        f"free disk {free_gib:.1f} GiB; load average {os.getloadavg()[0]:.2f}; "
        f"code {pgcommon.code_version()}",
        flush=True,
    )
    if free_gib < args.hospitals * MIB_PER_HOSPITAL / 1024 + 2:
        print("Not enough free disk.", file=sys.stderr)
        return 2

    results: dict[tuple[str, str], Figures] = {}
    peaks: dict[str, int] = {}
    with (
        pgcommon.PgRun(ports=(port,)) as run,
        tempfile.TemporaryDirectory(prefix="hms-bench-pgload-") as tmp_name,
    ):
        tmp = Path(tmp_name)
        direct = "east=" + pgcommon.server_url(port)
        run.create_database(port, run.shared_name)
        data_dir = tmp / "data"
        base_env = pgcommon.django_env(
            run, data_dir, shared_port=port, servers=direct, HMS_APP_PROCESSES=str(args.workers)
        )
        print(f"provisioning {args.hospitals:,} hospitals (prefix {run.prefix}) ...", flush=True)
        dataset = fleetdata.build(
            data_dir,
            hospitals=args.hospitals,
            used_every=1,
            users=1,
            patients=fleetdata.PATIENTS_PER_HOSPITAL,
            env={**base_env, "HMS_MAX_TENANT_CONNECTIONS": BUILD_TENANT_CONNECTIONS},
            workers=args.build_workers,
            operator=True,
        )
        print(f"built in {dataset.build_seconds or 0:.0f} s", flush=True)
        fleet_pairs = throughput.page_pairs(dataset, "light")
        scripts = {"one": tmp / "one.lua", "fleet": tmp / "fleet.lua"}
        throughput.write_lua(scripts["one"], fleet_pairs[:1])
        throughput.write_lua(scripts["fleet"], fleet_pairs)
        for mode in modes:
            # PgBouncer only for its mode: its warm backends would take the direct mode's room.
            with contextlib.ExitStack() as stack:
                servers = direct
                if mode == "pooled":
                    pooler = stack.enter_context(
                        pgcommon.PgBouncer(port, tmp, max_client_conn=args.workers * args.hospitals + 100)
                    )
                    servers = f"{direct}?pgbouncer=127.0.0.1:{pooler.port}"
                env = {**base_env, "HMS_DATABASE_SERVERS": servers}
                peaks[mode] = measure_mode(mode, env, tmp, args, scripts, run, results)

    print(
        f"\nThe operator's hospital page, one hospital vs requests rotating over {args.hospitals:,} "
        "hospitals "
        f"on one PostgreSQL {version.split()[0]} server (max_connections {max_connections}); gunicorn "
        f"{args.workers} sync workers; wrk -t1 -c{args.connections}, {args.rounds} alternating rounds of "
        f"{args.duration:.0f} s\n"
    )
    rows, ok = [], True
    for mode in modes:
        one, fleet = results[(mode, "one")], results[(mode, "fleet")]
        ratio = fleet.median / one.median if one.median else 0.0
        for case, figures in (("one hospital", one), (f"{args.hospitals:,} in rotation", fleet)):
            rows.append(
                [
                    mode,
                    case,
                    " / ".join(f"{r:.0f}" for r in figures.rps),
                    f"{figures.median:.1f}",
                    f"{min(figures.rps):.0f}-{max(figures.rps):.0f}",
                    f"{figures.non2xx}",
                    f"{figures.unavailable:.0f}",
                    f"{figures.opened / max(1, figures.requests):.3f}",
                    f"{figures.read_share:.1%}",
                ]
            )
        rows.append(
            [mode, "ratio (medians)", "", f"{ratio:.2f}x", "", "", "", f"peak backends {peaks[mode]}", ""]
        )
        ok = ok and all(f.non2xx == 0 and f.unavailable == 0 for f in (one, fleet))
        if mode == "pooled":
            ok = ok and ratio >= RATIO_TARGET
    fleetdata.print_table(
        [
            "mode",
            "case",
            "req/s per round",
            "median",
            "spread",
            "non-2xx",
            "503",
            "opened/request",
            "blocks read",
        ],
        rows,
    )
    print(f"\nresult: {fleetdata.verdict(ok)}; load average at end {os.getloadavg()[0]:.2f}")
    return 0 if ok else 1


def measure_mode(
    mode: str,
    env: dict[str, str],
    tmp: Path,
    args: argparse.Namespace,
    scripts: dict[str, Path],
    run: pgcommon.PgRun,
    results: dict[tuple[str, str], Figures],
) -> int:
    """Start gunicorn in `mode`, warm it over the rotation, measure both cases; the peak backends."""
    metrics_dir = tmp / f"metrics-{mode}"
    metrics_dir.mkdir()
    env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    server = pgcommon.Server(mode, env, workers=args.workers)
    server.start(tmp)
    try:
        server.wait_ready([])
        sent = {"one": 0, "fleet": warm_up(mode, server, args, scripts["fleet"])}
        with pgcommon.ConnectionSampler(args.port, run.prefix) as sampler:
            for round_number in range(args.rounds):
                for case in ("one", "fleet") if round_number % 2 == 0 else ("fleet", "one"):
                    before = {name: pgcommon.metric(server.port, name) for name in METRICS}
                    blocks_before = pgcommon.block_counts(args.port, run.prefix)
                    result = pgcommon.run_wrk(
                        server.port,
                        scripts[case],
                        seconds=args.duration,
                        connections=args.connections,
                        start=sent[case],
                    )
                    sent[case] += result.requests
                    after = {name: pgcommon.metric(server.port, name) for name in METRICS}
                    blocks_after = pgcommon.block_counts(args.port, run.prefix)
                    figures = results.setdefault((mode, case), Figures())
                    figures.rps.append(result.rps)
                    figures.requests += result.requests
                    figures.non2xx += result.non2xx + result.errors
                    figures.unavailable += after[UNAVAILABLE] - before[UNAVAILABLE]
                    figures.opened += after[OPENED] - before[OPENED]
                    figures.blocks_hit += blocks_after[0] - blocks_before[0]
                    figures.blocks_read += blocks_after[1] - blocks_before[1]
                print(
                    f"{mode} round {round_number + 1}: "
                    + ", ".join(f"{c} {results[(mode, c)].rps[-1]:.1f} req/s" for c in ("one", "fleet")),
                    flush=True,
                )
        if sampler.refused:
            print(f"{mode}: the server refused the sampler's connection {sampler.refused} times", flush=True)
        return sampler.peak
    finally:
        server.stop()


def warm_up(mode: str, server: pgcommon.Server, args: argparse.Namespace, script: Path) -> int:
    """Run the rotation until the workers open (almost) no connections, or --warmup seconds;
    the requests sent (where the rotation goes on from)."""
    started = time.monotonic()
    per_request, sent = 1.0, 0
    while per_request >= WARM and time.monotonic() - started < args.warmup:
        before = pgcommon.metric(server.port, OPENED)
        result = pgcommon.run_wrk(server.port, script, seconds=10, connections=args.connections, start=sent)
        sent += result.requests
        per_request = (pgcommon.metric(server.port, OPENED) - before) / max(1, result.requests)
    state = "steady" if per_request < WARM else "not steady"
    print(
        f"{mode}: warmed up for {time.monotonic() - started:.0f} s ({state}: "
        f"{per_request:.3f} connections opened per request in the last 10 s)",
        flush=True,
    )
    return sent


OPENED = "hms_tenant_connections_opened_total"
UNAVAILABLE = "hms_hospital_unavailable_total"
METRICS = (OPENED, UNAVAILABLE)
WARM = 0.02


if __name__ == "__main__":
    sys.exit(main())
