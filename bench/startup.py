"""Process start-up plus first request of a clinical page: 50 registered hospitals vs 10,000.

    .venv/bin/python bench/startup.py [--quick] [--runs 15] [--hospitals 10000] [--fresh]

Each run is a new Python process (production settings) that does django.setup() and
then GETs /h/<CODE>/patient-list/ with django.test.Client, carrying the session cookie
of a staff user of that hospital made beforehand; it must answer 200 listing 25 of the
hospital's 300 demo patients (and so append its audit row). The wall time of the whole
process is measured from outside. The data folders are those of bench/throughput.py:
A has 50 demo-sized hospitals, B 10,000 hospitals of which the same 50 are demo-sized;
both request the same kind of hospital. A and B runs alternate (ABBA...), after one
unmeasured warm-up run each. Target: B's median within 1.1x of A's. --quick: 1,000
hospitals (20 demo-sized), 5 runs.

The data folders are built on first use (a few minutes for 10,000 hospitals) and
cached under the temp dir, see bench/fleetdata.py.
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fleetdata  # noqa: E402

RATIO_TARGET = 1.1
PATIENTS_SHOWN = fleetdata.PATIENTS_SHOWN

# The measured process. argv: path, session key, cookie name, hospital code, patients expected.
CHILD = """
import json, sys, time
started = time.perf_counter()
import django
django.setup()
set_up = time.perf_counter()
from django.test import Client
client = Client()
client.cookies[sys.argv[3]] = sys.argv[2]
response = client.get(sys.argv[1])
done = time.perf_counter()
from bench.fleetdata import patients_listed
listed = patients_listed(response.content, sys.argv[4])
if response.status_code != 200 or listed < int(sys.argv[5]):
    sys.exit(f"GET {sys.argv[1]}: status {response.status_code}, {listed} patients listed")
print(json.dumps({"setup": set_up - started, "request": done - set_up}))
"""


def run_once(env: dict[str, str], path: str, session_key: str) -> tuple[float, dict[str, float]]:
    """Wall time of one measured process, and its own split plus CPU time (user + system)."""
    code = fleetdata.code_of(path)
    wall, cpu, result = fleetdata.timed_run(
        [
            fleetdata.PYTHON,
            "-c",
            CHILD,
            path,
            session_key,
            fleetdata.SESSION_COOKIE,
            code,
            str(PATIENTS_SHOWN),
        ],
        env,
    )
    if result.returncode != 0:
        raise SystemExit(f"FAILED: the measured process exited {result.returncode}:\n{result.stderr}")
    split = json.loads(result.stdout.strip().splitlines()[-1])
    split["cpu"] = cpu
    return wall, split


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="A small run: 1,000 hospitals, 5 runs.")
    parser.add_argument("--runs", type=int, help="Measured runs of each case (default 15).")
    parser.add_argument("--hospitals", type=int, help="Hospitals in case B (default 10,000).")
    parser.add_argument("--rotation", type=int, help="Demo-sized hospitals, A and B (default 50).")
    parser.add_argument("--fresh", action="store_true", help="Rebuild the cached data folders.")
    args = parser.parse_args()
    args.runs = args.runs or (5 if args.quick else 15)
    args.hospitals = args.hospitals or (1000 if args.quick else 10_000)
    args.rotation = args.rotation or (20 if args.quick else 50)
    load_start = os.getloadavg()
    print(f"load averages at start: {fleetdata.load_text(load_start)}")

    small = fleetdata.demo_fleet(hospitals=args.rotation, demo=args.rotation, fresh=args.fresh)
    many = fleetdata.demo_fleet(hospitals=args.hospitals, demo=args.rotation, fresh=args.fresh)
    print(f"A: {small.describe()}\nB: {many.describe()}")
    cases = {
        "A": (small, fleetdata.env_for(small.data_dir), small.pairs[len(small.pairs) // 2]),
        "B": (many, fleetdata.env_for(many.data_dir), many.pairs[len(many.pairs) // 2]),
    }
    walls: dict[str, list[float]] = {"A": [], "B": []}
    inner: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
    for name in ("A", "B"):  # warm-up: page cache, .pyc files
        _, env, (path, key) = cases[name]
        run_once(env, path, key)
    for number in range(args.runs):
        for name in ("A", "B") if number % 2 == 0 else ("B", "A"):
            _, env, (path, key) = cases[name]
            wall, split = run_once(env, path, key)
            walls[name].append(wall * 1000)
            inner[name].append(split)

    med = {name: fleetdata.median(walls[name]) for name in walls}
    ratio = med["B"] / med["A"]
    print(f"\nStart-up + first request, whole process wall time ({args.runs} alternating runs each; ms)\n")
    rows = []
    for name, label in (
        ("A", f"A: {small.hospitals:,} hospitals [baseline]"),
        ("B", f"B: {many.hospitals:,} hospitals"),
    ):
        dataset, _, (path, _) = cases[name]
        rows.append(
            [
                label,
                path,
                len(walls[name]),
                f"{med[name]:.0f}",
                f"{min(walls[name]):.0f}",
                f"{max(walls[name]):.0f}",
                f"{fleetdata.median(s['setup'] for s in inner[name]) * 1000:.0f}",
                f"{fleetdata.median(s['request'] for s in inner[name]) * 1000:.0f}",
                f"{fleetdata.median(s['cpu'] for s in inner[name]) * 1000:.0f}",
            ]
        )
    fleetdata.print_table(
        ["case", "page", "runs", "median", "min", "max", "django.setup", "1st request", "CPU"], rows
    )
    cpu = {name: fleetdata.median(s["cpu"] for s in inner[name]) for name in inner}
    print(
        f"\nB / A = {ratio:.3f} (wall time, the target); CPU time B / A = {cpu['B'] / cpu['A']:.3f}\n"
        "(django.setup, 1st request: the measured process's own clock; CPU: its user + system time;\n"
        "all medians. Other load on the machine shows in wall time far more than in CPU time.)\n"
    )
    ok = ratio <= RATIO_TARGET
    fleetdata.print_table(
        ["target", "measured", "result"],
        [[f"B median <= {RATIO_TARGET}x A median", f"{ratio:.3f}x", fleetdata.verdict(ok)]],
    )
    print(
        f"\nload averages at start: {fleetdata.load_text(load_start)}; "
        f"at end: {fleetdata.load_text(os.getloadavg())}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
