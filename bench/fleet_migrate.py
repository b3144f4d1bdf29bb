"""`manage.py migrate_hospitals` over 1,000 hospitals: nothing pending, then one new migration.

    .venv/bin/python bench/fleet_migrate.py [--hospitals 1000] [--runs 5] [--jobs 2]

Runs with bench/settings.py: the local settings plus a bench-only tenant app
(bench/fleetapp) whose migrations the bench writes into a package in a temporary
folder put on PYTHONPATH (HMS_BENCH_FLEETAPP_MIGRATIONS names it). Steps:

1. write fleetapp 0001, make a fresh data folder and provision 1,000 hospitals;
2. nothing pending: time `manage.py migrate_hospitals --no-progress` as a whole
   process, median of 5, alternating with the baseline, the same command limited to
   one hospital (`--hospital H00000`); target < 2 s;
3. write fleetapp 0002 (AddField) and time `migrate_hospitals --no-progress --jobs 2`
   once; target < 60 s on 2 cores. Its baseline is the sum of the per-hospital
   migration times it reports, divided by the jobs: the wall time with zero overhead;
4. verify that every hospital's database has the new column and the 0002 row in
   django_migrations, and that every registry row has the current fingerprint;
5. nothing pending again (extra row).
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fleetdata  # noqa: E402

IDLE_TARGET_S = 2.0
PENDING_TARGET_S = 60.0
PACKAGE = "hms_bench_fleetapp_migrations"

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

MIGRATION_0002 = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("fleetapp", "0001_initial")]

    operations = [
        migrations.AddField(model_name="benchnote", name="flag", field=models.BooleanField(default=False)),
    ]
"""

# Run in a child with the bench settings: is every hospital migrated and recorded so?
VERIFY = """
import json, sqlite3
from pathlib import Path
import django
django.setup()
from django.conf import settings
from hms.hospitals.models import Hospital
from hms.tenancy.schema import current_fingerprint
fingerprint = current_fingerprint()
missing_column, missing_row, stale = [], [], []
hospitals = list(Hospital.objects.order_by("code"))
for hospital in hospitals:
    if hospital.schema_fingerprint != fingerprint:
        stale.append(hospital.code)
    path = Path(settings.HMS_DATA_DIR) / hospital.database_name
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        columns = {row[1] for row in db.execute("PRAGMA table_info(fleetapp_benchnote)")}
        applied = db.execute(
            "SELECT count(*) FROM django_migrations WHERE app = 'fleetapp' AND name = '0002_flag'"
        ).fetchone()[0]
    finally:
        db.close()
    if "flag" not in columns:
        missing_column.append(hospital.code)
    if not applied:
        missing_row.append(hospital.code)
print(json.dumps({
    "hospitals": len(hospitals), "fingerprint": fingerprint, "stale": stale,
    "missing_column": missing_column, "missing_row": missing_row,
}))
"""


def manage(env: dict[str, str], *args: str, cpu: list[float] | None = None) -> tuple[float, str]:
    """Run manage.py as a whole process; return its wall time and output (CPU time into `cpu`)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [fleetdata.PYTHON, str(fleetdata.ROOT / "manage.py"), *args],
        env=env,
        cwd=fleetdata.ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:  # user + system of the process and its workers
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hospitals", type=int, default=1000, help="Hospitals in the fleet (1,000).")
    parser.add_argument("--runs", type=int, default=5, help="Runs of each nothing-pending case (5).")
    parser.add_argument("--jobs", type=int, default=2, help="--jobs of the migrating run (2).")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")

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
        print(f"provisioning {args.hospitals:,} hospitals in {data_dir} ...", flush=True)
        fleet = fleetdata.build(data_dir, hospitals=args.hospitals, env=env)
        print(f"  {fleet.describe()}", flush=True)

        idle_cpu: dict[str, list[float]] = {}
        idle_one, idle_all = idle_runs(env, args.runs, idle_cpu)

        (package / "0002_flag.py").write_text(MIGRATION_0002)
        print(
            f"fleetapp 0002 written; migrating {args.hospitals:,} hospitals with --jobs {args.jobs} ...",
            flush=True,
        )
        pending_cpu: list[float] = []
        pending_wall, output = manage(
            env, "migrate_hospitals", "--no-progress", f"--jobs={args.jobs}", cpu=pending_cpu
        )
        if pending_count(output) != args.hospitals:
            raise SystemExit(f"FAILED: expected {args.hospitals} hospitals pending:\n{output[:3000]}")
        summary = re.search(r"(\d+) migrated, (\d+) failed", output)
        if summary is None or int(summary.group(1)) != args.hospitals or int(summary.group(2)):
            raise SystemExit(f"FAILED: not every hospital migrated:\n{output[-3000:]}")
        per_hospital = [
            float(m.group(2))
            for m in re.finditer(r"^(H\d{5})\s+migrated\s+\d+\s+([\d.]+)", output, re.MULTILINE)
        ]

        result = subprocess.run(
            [fleetdata.PYTHON, "-c", VERIFY], env=env, cwd=fleetdata.ROOT, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise SystemExit(f"FAILED: verification crashed:\n{result.stderr}")
        check = json.loads(result.stdout.strip().splitlines()[-1])
        problems = {k: check[k] for k in ("stale", "missing_column", "missing_row") if check[k]}
        if check["hospitals"] != args.hospitals or problems:
            raise SystemExit(f"FAILED: verification: {check['hospitals']} hospitals, problems {problems}")
        print(
            f"verified: all {check['hospitals']:,} hospitals have fleetapp_benchnote.flag and the 0002 row; "
            f"every registry row has fingerprint {check['fingerprint']}",
            flush=True,
        )
        after_cpu: dict[str, list[float]] = {}
        _, idle_after = idle_runs(env, args.runs, after_cpu)

    idle_med = fleetdata.median(idle_all)
    one_med = fleetdata.median(idle_one)
    ideal = sum(per_hospital) / args.jobs if per_hospital else float("nan")

    def row(label: str, walls: list[float], cpus: list[float], baseline: float) -> list[object]:
        return [
            label,
            len(walls),
            f"{fleetdata.median(walls):.2f}",
            f"{min(walls):.2f}",
            f"{max(walls):.2f}",
            f"{fleetdata.median(cpus):.2f}",
            f"{fleetdata.median(walls) / baseline:.2f}x",
        ]

    print(f"\nmigrate_hospitals over {args.hospitals:,} hospitals, whole-process wall time (s)\n")
    fleetdata.print_table(
        ["case", "runs", "median", "min", "max", "CPU", "vs baseline"],
        [
            row("nothing pending, 1 hospital [baseline]", idle_one, idle_cpu["one"], one_med),
            row(f"nothing pending, {args.hospitals:,} hospitals", idle_all, idle_cpu["all"], one_med),
            row(
                f"nothing pending, {args.hospitals:,} hospitals, after 0002",
                idle_after,
                after_cpu["all"],
                one_med,
            ),
            [f"per-hospital migration times / {args.jobs} jobs [baseline]", len(per_hospital), f"{ideal:.2f}"]
            + ["", "", "", "1.00x"],
            row(
                f"0002 pending on all {args.hospitals:,}, --jobs {args.jobs}",
                [pending_wall],
                pending_cpu,
                ideal,
            ),
        ],
    )
    print("(CPU: median user + system time of the process and its workers; the targets are on wall time)")
    if per_hospital:
        print(
            f"\nper hospital: median {fleetdata.median(per_hospital) * 1000:.0f} ms, "
            f"max {max(per_hospital) * 1000:.0f} ms; {args.hospitals / pending_wall:.1f} hospitals/s overall"
        )
    ok_idle = idle_med < IDLE_TARGET_S
    ok_pending = pending_wall < PENDING_TARGET_S
    print()
    fleetdata.print_table(
        ["target", "measured", "result"],
        [
            [f"nothing pending < {IDLE_TARGET_S:.0f} s", f"{idle_med:.2f} s", fleetdata.verdict(ok_idle)],
            [
                f"one migration pending < {PENDING_TARGET_S:.0f} s",
                f"{pending_wall:.1f} s",
                fleetdata.verdict(ok_pending),
            ],
        ],
    )
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    return 0 if ok_idle and ok_pending else 1


if __name__ == "__main__":
    sys.exit(main())
