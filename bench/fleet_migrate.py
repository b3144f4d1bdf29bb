"""`manage.py migrate_hospitals` over 1,000 demo-sized hospitals: nothing pending, then migrations
that change a table holding rows.

    .venv/bin/python bench/fleet_migrate.py [--quick] [--hospitals 1000] [--runs 5] [--migrations 3]
                                            [--jobs 2]

Runs with bench/settings.py: the local settings plus a bench-only tenant app
(bench/fleetapp) whose migrations the bench writes into a package in a temporary
folder put on PYTHONPATH (HMS_BENCH_FLEETAPP_MIGRATIONS names it). Steps:

1. write fleetapp 0001; seed the demo hospitals (`manage.py seed_demo`) in a scratch
   folder and keep TH001's database (300 patients, a month of clinic history: 2,330
   observations, 268 encounters, ...); provision 1,000 hospitals in a fresh data folder,
   each database replaced by a copy of that one (bench/fleetdata.py);
2. nothing pending: time `manage.py migrate_hospitals --no-progress` as a whole process,
   5 runs alternating with the baseline, the same command limited to one hospital
   (`--hospital H00000`); target: median < 2 s;
3. three times: write the next fleetapp migration, which changes the clinical table
   encounters_observation (adds a NOT NULL column, backfills every row with an UPDATE,
   indexes it), and time `migrate_hospitals --no-progress --jobs 2` on all 1,000; target:
   the median of the three < 60 s on 2 cores. Each run's baseline is the sum of the
   per-hospital migration times it reports, divided by the jobs: its wall time with no
   overhead at all;
4. verify that every hospital database has each new column and index, its observations
   all there, and each migration's row in django_migrations, and that every registry row
   has the current fingerprint.

--quick: 100 hospitals, 3 nothing-pending runs, 2 migrations.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fleetdata  # noqa: E402

IDLE_TARGET_S = 2.0
PENDING_TARGET_S = 60.0
PACKAGE = "hms_bench_fleetapp_migrations"
TABLE = "encounters_observation"

MIGRATION_0001 = """from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="BenchNote",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("text", models.CharField(max_length=40)),
            ],
        ),
    ]
"""

# Migration number `n` (2, 3, ...): a column on a clinical table, backfilled on every row, indexed.
MIGRATION_CHANGE = """from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("fleetapp", "{previous}"), ("encounters", "__latest__")]

    operations = [
        migrations.RunSQL(
            sql=[
                "ALTER TABLE {table} ADD COLUMN bench_reviewed_{n} integer NOT NULL DEFAULT 0",
                "UPDATE {table} SET bench_reviewed_{n} = id % 2",
                "CREATE INDEX bench_observation_reviewed_{n} ON {table} (bench_reviewed_{n}, id)",
            ],
            reverse_sql=[
                "DROP INDEX bench_observation_reviewed_{n}",
                "ALTER TABLE {table} DROP COLUMN bench_reviewed_{n}",
            ],
        ),
    ]
"""

# Run in a child with the bench settings: is every hospital migrated and recorded so?
VERIFY = """
import json, sqlite3, sys
from pathlib import Path
import django
django.setup()
from django.conf import settings
from hms.hospitals.models import Hospital
from hms.tenancy.schema import current_fingerprint
numbers, rows_expected, table = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
fingerprint = current_fingerprint()
problems = {"stale": [], "missing_column": [], "missing_index": [], "missing_row": [], "rows": []}
hospitals = list(Hospital.objects.order_by("code"))
for hospital in hospitals:
    if hospital.schema_fingerprint != fingerprint:
        problems["stale"].append(hospital.code)
    path = Path(settings.HMS_DATA_DIR) / hospital.database_name
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        indexes = {row[1] for row in db.execute(f"PRAGMA index_list({table})")}
        applied = {row[0] for row in db.execute("SELECT name FROM django_migrations WHERE app = 'fleetapp'")}
        rows = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        db.close()
    for n in numbers:
        if f"bench_reviewed_{n}" not in columns:
            problems["missing_column"].append(hospital.code)
        if f"bench_observation_reviewed_{n}" not in indexes:
            problems["missing_index"].append(hospital.code)
        if not any(name.startswith(f"{n:04d}_") for name in applied):
            problems["missing_row"].append(hospital.code)
    if rows != rows_expected:
        problems["rows"].append(hospital.code)
print(json.dumps({"hospitals": len(hospitals), "fingerprint": fingerprint,
                  "problems": {k: sorted(set(v)) for k, v in problems.items() if v}}))
"""


def manage(env: dict[str, str], *args: str, cpu: list[float] | None = None) -> tuple[float, str]:
    """Run manage.py as a whole process; return its wall time and output (CPU time into `cpu`)."""
    wall, used, result = fleetdata.timed_run(
        [fleetdata.PYTHON, str(fleetdata.ROOT / "manage.py"), *args], env
    )
    if cpu is not None:  # user + system of the process and its workers
        cpu.append(used)
    if result.returncode != 0:
        raise SystemExit(
            f"FAILED: manage.py {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return wall, result.stdout


def pending_count(output: str) -> int:
    match = re.search(r"(\d+) to migrate", output)
    if match is None:
        raise SystemExit(f"FAILED: cannot read how many hospitals were pending from:\n{output}")
    return int(match.group(1))


def idle_runs(env: dict[str, str], runs: int, cpu: dict[str, list[float]]) -> tuple[list[float], list[float]]:
    """Nothing pending: (1 hospital, all hospitals) wall times, alternating; CPU times into `cpu`."""
    one: list[float] = []
    every: list[float] = []
    for number in range(runs):
        order = ("one", "all") if number % 2 == 0 else ("all", "one")
        for which in order:
            args = ["migrate_hospitals", "--no-progress"]
            if which == "one":
                args += ["--hospital", fleetdata.code_for(0)]
            wall, output = manage(env, *args, cpu=cpu.setdefault(which, []))
            if pending_count(output):
                raise SystemExit(f"FAILED: expected nothing pending, got:\n{output}")
            (one if which == "one" else every).append(wall)
    return one, every


def observation_rows(database: Path) -> int:
    import sqlite3

    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return int(db.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])  # noqa: S608 - a constant
    finally:
        db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 hospitals, 3 idle runs, 2 migrations.")
    parser.add_argument("--hospitals", type=int, help="Hospitals in the fleet (1,000).")
    parser.add_argument("--runs", type=int, help="Runs of each nothing-pending case (5).")
    parser.add_argument("--migrations", type=int, help="Migrations applied, one run each (3).")
    parser.add_argument("--jobs", type=int, default=2, help="--jobs of the migrating runs (2).")
    args = parser.parse_args()
    args.hospitals = args.hospitals or (100 if args.quick else 1000)
    args.runs = args.runs or (3 if args.quick else 5)
    args.migrations = args.migrations or (2 if args.quick else 3)
    load_start = os.getloadavg()
    print(f"load averages at start: {fleetdata.load_text(load_start)}", flush=True)

    with tempfile.TemporaryDirectory(prefix="hms-bench-fleet-migrate-") as tmp_name:
        tmp = Path(tmp_name)
        package = tmp / "pymods" / PACKAGE
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "0001_initial.py").write_text(MIGRATION_0001)
        data_dir = tmp / "data"
        env = fleetdata.env_for(
            data_dir,
            settings="bench.settings",
            pythonpath=[tmp / "pymods"],
            HMS_BENCH_FLEETAPP_MIGRATIONS=PACKAGE,
        )
        print("seeding the demo hospitals (seed_demo) ...", flush=True)
        demo = fleetdata.demo_seed_database(tmp / "seed-work", env=env)
        rows = observation_rows(demo)
        print(f"provisioning {args.hospitals:,} demo-sized hospitals in {data_dir} ...", flush=True)
        fleet = fleetdata.build(data_dir, hospitals=args.hospitals, used_every=1, demo=demo, env=env)
        print(f"  {fleet.describe()}; {rows:,} rows in {TABLE} each", flush=True)

        idle_cpu: dict[str, list[float]] = {}
        idle_one, idle_all = idle_runs(env, args.runs, idle_cpu)

        pending: list[dict[str, float]] = []
        numbers = list(range(2, args.migrations + 2))
        previous = "0001_initial"
        for n in numbers:
            name = f"{n:04d}_observation_reviewed_{n}"
            (package / f"{name}.py").write_text(MIGRATION_CHANGE.format(previous=previous, n=n, table=TABLE))
            previous = name
            print(f"fleetapp {name} written; migrating with --jobs {args.jobs} ...", flush=True)
            cpu: list[float] = []
            wall, output = manage(env, "migrate_hospitals", "--no-progress", f"--jobs={args.jobs}", cpu=cpu)
            if pending_count(output) != args.hospitals:
                raise SystemExit(f"FAILED: expected {args.hospitals} hospitals pending:\n{output[:3000]}")
            summary = re.search(r"(\d+) migrated, (\d+) failed", output)
            if summary is None or int(summary.group(1)) != args.hospitals or int(summary.group(2)):
                raise SystemExit(f"FAILED: not every hospital migrated:\n{output[-3000:]}")
            per_hospital = [
                float(m.group(2))
                for m in re.finditer(r"^(H\d{5})\s+migrated\s+\d+\s+([\d.]+)", output, re.MULTILINE)
            ]
            if len(per_hospital) != args.hospitals:
                raise SystemExit(f"FAILED: cannot read the per-hospital times:\n{output[-3000:]}")
            pending.append(
                {
                    "wall": wall,
                    "cpu": cpu[0],
                    "ideal": sum(per_hospital) / args.jobs,
                    "per_hospital": fleetdata.median(per_hospital),
                }
            )
            print(
                f"  {wall:.1f} s (per-hospital times / jobs {pending[-1]['ideal']:.1f} s), "
                f"load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )

        result = subprocess.run(
            [fleetdata.PYTHON, "-c", VERIFY, json.dumps(numbers), str(rows), TABLE],
            env=env,
            cwd=fleetdata.ROOT,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SystemExit(f"FAILED: verification crashed:\n{result.stderr}")
        check = json.loads(result.stdout.strip().splitlines()[-1])
        if check["hospitals"] != args.hospitals or check["problems"]:
            raise SystemExit(f"FAILED: verification: {check['hospitals']} hospitals, {check['problems']}")
        print(
            f"verified: all {check['hospitals']:,} hospitals have the {len(numbers)} new columns and "
            f"indexes on {TABLE}, all {rows:,} rows and each migration's row; every registry row has "
            f"fingerprint {check['fingerprint']}",
            flush=True,
        )

    walls = [p["wall"] for p in pending]
    ideals = [p["ideal"] for p in pending]
    print(f"\nmigrate_hospitals over {args.hospitals:,} demo-sized hospitals, whole-process wall time (s)\n")
    fleetdata.print_table(
        ["case", "runs", "median (min-max)", "CPU (median)", "vs baseline"],
        [
            [
                "nothing pending, 1 hospital [baseline]",
                len(idle_one),
                fleetdata.spread(idle_one, 2),
                f"{fleetdata.median(idle_cpu['one']):.2f}",
                "1.00x",
            ],
            [
                f"nothing pending, {args.hospitals:,} hospitals",
                len(idle_all),
                fleetdata.spread(idle_all, 2),
                f"{fleetdata.median(idle_cpu['all']):.2f}",
                f"{fleetdata.median(idle_all) / fleetdata.median(idle_one):.2f}x",
            ],
            [
                f"per-hospital migration times / {args.jobs} jobs [baseline]",
                len(ideals),
                fleetdata.spread(ideals, 1),
                "",
                "1.00x",
            ],
            [
                f"one migration of {TABLE} pending on all {args.hospitals:,}, --jobs {args.jobs}",
                len(walls),
                fleetdata.spread(walls, 1),
                f"{fleetdata.median(p['cpu'] for p in pending):.1f}",
                f"{fleetdata.median(walls) / fleetdata.median(ideals):.2f}x",
            ],
        ],
    )
    print("(CPU: user + system time of the process and its workers; the targets are on wall time)")
    print(
        f"\nper hospital: median {fleetdata.median(p['per_hospital'] for p in pending) * 1000:.0f} ms; "
        f"{args.hospitals / fleetdata.median(walls):.1f} hospitals/s overall (median run)"
    )
    idle_med = fleetdata.median(idle_all)
    pending_med = fleetdata.median(walls)
    ok_idle = idle_med < IDLE_TARGET_S
    ok_pending = pending_med < PENDING_TARGET_S
    print()
    fleetdata.print_table(
        ["target", "measured", "result"],
        [
            [f"nothing pending < {IDLE_TARGET_S:.0f} s", f"{idle_med:.2f} s", fleetdata.verdict(ok_idle)],
            [
                f"one migration pending < {PENDING_TARGET_S:.0f} s",
                f"{pending_med:.1f} s",
                fleetdata.verdict(ok_pending),
            ],
        ],
    )
    print(
        f"\nload averages at start: {fleetdata.load_text(load_start)}; "
        f"at end: {fleetdata.load_text(os.getloadavg())}"
    )
    return 0 if ok_idle and ok_pending else 1


if __name__ == "__main__":
    sys.exit(main())
