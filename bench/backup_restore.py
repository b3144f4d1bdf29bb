"""Backup and restore of 100 demo-sized hospitals with 1 and 2 jobs (embedded SQLite storage).

    .venv/bin/python bench/backup_restore.py [--quick] [--hospitals 100] [--repeats 3] [--restores 5]

A fresh data folder (production settings, as a deployment runs them) with 100 hospitals,
each a copy of the seeded demo hospital's database (`seed_demo`: 300 patients, a month
of clinic history; bench/fleetdata.py). Timed as whole processes, from outside:

  backup    `manage.py backup_hospitals --skip-shared --no-progress --jobs J`: an online
            backup of every hospital, compressed, encrypted with its key, with a manifest
            (SHA-256, rows per table); it must report 100 backed up, 0 failed.
  restore   `manage.py restore_drill --no-progress --jobs J`: each hospital's newest
            backup checked against its manifest, decrypted into a new database, checked
            (integrity, rows per table, audit chain), then dropped; it must report 100
            would restore, 0 would fail. restore_hospital restores one hospital per
            command and has no --jobs: the drill is the fleet-wide restore.
  copy      [floor] the same databases copied with SQLite's backup API alone (no
            compression, encryption, checksum or manifest), one process, one at a time.

J = 1 [baseline] and 2 alternate (1 2, 2 1, ...), 3 repeats of each; figures are median
(min-max). Extra row: `manage.py restore_hospital <CODE> --grace 0` (the real restore: into
a new database, verified, switched to) on 5 hospitals, one command each. --quick: 20
hospitals, 2 repeats, 2 single restores. No target: the figures are for capacity planning
(docs/operations/backup.md).
"""

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fleetdata  # noqa: E402

# The floor: SQLite's backup API alone, into a scratch folder. argv: data dir, scratch dir.
COPY = """
import json, os, sqlite3, sys, time
from pathlib import Path
data, scratch = Path(sys.argv[1]), Path(sys.argv[2])
started = time.perf_counter()
count = size = 0
for source in sorted((data / "hospitals").glob("*/db.sqlite3")):
    target = scratch / f"{source.parent.name}.sqlite3"
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()
    with open(target, "rb") as handle:
        os.fsync(handle.fileno())
    size += target.stat().st_size
    target.unlink()
    count += 1
print(json.dumps({"databases": count, "bytes": size, "seconds": time.perf_counter() - started}))
"""


def run(env: dict[str, str], args: list[str]) -> tuple[float, float, str]:
    """Run a process; return its wall time, CPU time (user + system, with its threads) and output."""
    wall, cpu, result = fleetdata.timed_run(args, env)
    if result.returncode != 0:
        raise SystemExit(
            f"FAILED: {' '.join(args[1:])} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return wall, cpu, result.stdout


def manage(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    return run(env, [fleetdata.PYTHON, str(fleetdata.ROOT / "manage.py"), *args])


def backup(env: dict[str, str], jobs: int, hospitals: int) -> tuple[float, float]:
    wall, cpu, out = manage(env, "backup_hospitals", "--skip-shared", "--no-progress", f"--jobs={jobs}")
    if not re.search(rf"^{hospitals} backed up, 0 failed\.$", out, re.MULTILINE):
        raise SystemExit(f"FAILED: backup_hospitals --jobs {jobs}:\n{out[-3000:]}")
    return wall, cpu


def restore_drill(env: dict[str, str], jobs: int, hospitals: int) -> tuple[float, float]:
    wall, cpu, out = manage(env, "restore_drill", "--no-progress", f"--jobs={jobs}")
    if not re.search(rf"^{hospitals} would restore, 0 would fail\.$", out, re.MULTILINE):
        raise SystemExit(f"FAILED: restore_drill --jobs {jobs}:\n{out[-3000:]}")
    return wall, cpu


def newest_backup_bytes(backup_dir: Path) -> tuple[int, int]:
    """(backups, bytes) of each hospital's newest backup file."""
    count = total = 0
    for folder in sorted(p for p in backup_dir.iterdir() if p.is_dir() and not p.name.startswith("_")):
        files = sorted(folder.glob("*.hmsbak"))
        if files:
            count += 1
            total += files[-1].stat().st_size
    return count, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 hospitals, 2 repeats, 2 single restores.")
    parser.add_argument("--hospitals", type=int, help="Demo-sized hospitals (100).")
    parser.add_argument("--repeats", type=int, help="Runs of each command and job count (3).")
    parser.add_argument("--restores", type=int, help="Hospitals restored with restore_hospital (5).")
    args = parser.parse_args()
    args.hospitals = args.hospitals or (20 if args.quick else 100)
    args.repeats = args.repeats or (2 if args.quick else 3)
    args.restores = args.restores if args.restores is not None else (2 if args.quick else 5)
    load_start = os.getloadavg()
    print(f"load averages at start: {fleetdata.load_text(load_start)}", flush=True)

    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}

    def record(name: str, wall: float, cpu: float) -> None:
        walls.setdefault(name, []).append(wall)
        cpus.setdefault(name, []).append(cpu)
        print(f"  {name}: {wall:.2f} s (CPU {cpu:.2f} s), load average {os.getloadavg()[0]:.2f}", flush=True)

    with tempfile.TemporaryDirectory(prefix="hms-bench-backup-") as tmp_name:
        tmp = Path(tmp_name)
        data_dir = tmp / "data"
        env = fleetdata.env_for(data_dir)
        print(f"building {args.hospitals} demo-sized hospitals in {data_dir} ...", flush=True)
        fleet = fleetdata.build(data_dir, hospitals=args.hospitals, used_every=1, demo=True)
        databases = sorted((data_dir / "hospitals").glob("*/db.sqlite3"))
        database_bytes = sum(p.stat().st_size for p in databases)
        print(f"  {fleet.describe()}; {database_bytes / 1e6:.0f} MB of hospital databases", flush=True)
        scratch = tmp / "copies"
        scratch.mkdir()

        for number in range(args.repeats):
            for jobs in (1, 2) if number % 2 == 0 else (2, 1):
                record(f"backup, {jobs} job(s)", *backup(env, jobs, args.hospitals))
            wall, cpu, out = run(env, [fleetdata.PYTHON, "-c", COPY, str(data_dir), str(scratch)])
            copied = json.loads(out.strip().splitlines()[-1])
            if copied["databases"] != args.hospitals:
                raise SystemExit(f"FAILED: copied {copied['databases']} databases")
            record("copy with SQLite's backup API", wall, cpu)
        backups, backup_bytes = newest_backup_bytes(data_dir / "backups")
        if backups != args.hospitals:
            raise SystemExit(f"FAILED: {backups} hospitals have a backup, not {args.hospitals}")
        for number in range(args.repeats):
            for jobs in (1, 2) if number % 2 == 0 else (2, 1):
                record(f"restore drill, {jobs} job(s)", *restore_drill(env, jobs, args.hospitals))
        for number in range(args.restores):
            code = fleetdata.code_for(number * max(1, args.hospitals // max(1, args.restores)))
            wall, cpu, out = manage(env, "restore_hospital", code, "--grace=0")
            if f"Restored {code} from the backup" not in out:
                raise SystemExit(f"FAILED: restore_hospital {code}:\n{out[-3000:]}")
            record("restore_hospital, 1 hospital", wall, cpu)

    print(
        f"\nBackup and restore of {args.hospitals} demo-sized hospitals "
        f"({database_bytes / 1e6:.0f} MB of SQLite databases; newest backups {backup_bytes / 1e6:.1f} MB), "
        "whole-process wall time (s)\n"
    )
    rows = []
    for kind in ("backup", "restore drill"):
        one = walls[f"{kind}, 1 job(s)"]
        for jobs in (1, 2):
            name = f"{kind}, {jobs} job(s)"
            rows.append(
                [
                    f"{name}{' [baseline]' if jobs == 1 else ''}",
                    len(walls[name]),
                    fleetdata.spread(walls[name], 2),
                    f"{args.hospitals / fleetdata.median(walls[name]):.1f}",
                    f"{fleetdata.median(cpus[name]):.2f}",
                    f"{fleetdata.median(walls[name]) / fleetdata.median(one):.2f}x",
                ]
            )
    for name in ("copy with SQLite's backup API", "restore_hospital, 1 hospital"):
        if name in walls:
            per = 1 if name.startswith("restore_hospital") else args.hospitals
            rows.append(
                [
                    name + (" [floor]" if name.startswith("copy") else ""),
                    len(walls[name]),
                    fleetdata.spread(walls[name], 2),
                    f"{per / fleetdata.median(walls[name]):.1f}",
                    f"{fleetdata.median(cpus[name]):.2f}",
                    "",
                ]
            )
    fleetdata.print_table(["command", "runs", "median (min-max)", "hospitals/s", "CPU", "vs 1 job"], rows)
    print("(CPU: user + system time of the process and its threads, median)")
    print(
        f"\nload averages at start: {fleetdata.load_text(load_start)}; "
        f"at end: {fleetdata.load_text(os.getloadavg())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
