"""Provisioning a hospital by cloning the schema template vs migrating an empty database.

    .venv/bin/python bench/provisioning.py [--quick] [--runs 20]

Clone: `hospital_provision()` end to end (registry row, copy of the template with the
SQLite backup API, fsyncs, ACTIVE), once the template exists. From scratch: Django's
`migrate` command run into a new empty SQLite file registered as a tenant alias with
the same connection settings a hospital database has. The two are timed alternately,
in one process, in a temporary data folder. Targets: clone median <= 10 ms and at
least 30x faster than from scratch. --quick: 5 runs of each.
"""

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fleetdata  # noqa: E402

CLONE_TARGET_MS = 10.0
RATIO_TARGET = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 runs of each.")
    parser.add_argument("--runs", type=int, help="Timed provisionings of each kind (default 20).")
    args = parser.parse_args()
    args.runs = args.runs or (5 if args.quick else 20)
    print(f"load averages at start: {fleetdata.load_text(os.getloadavg())}")

    with tempfile.TemporaryDirectory(prefix="hms-bench-provisioning-") as tmp:
        data_dir = Path(tmp) / "data"
        os.environ.update(fleetdata.env_for(data_dir))
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connections

        from hms.hospitals.models import Hospital
        from hms.tenancy import connections as tenant_connections
        from hms.tenancy.provisioning import hospital_provision

        call_command("migrate", interactive=False, verbosity=0)
        copy_s = _time_database_copies()

        started = time.perf_counter()
        hospital_provision(code="W00000", name="Warm-up hospital (builds the template)")
        first_ms = (time.perf_counter() - started) * 1000
        hospital_provision(code="W00001", name="Warm-up hospital")

        scratch_dir = Path(tmp) / "scratch"
        scratch_dir.mkdir()

        def clone(number: int) -> float:
            started = time.perf_counter()
            hospital = hospital_provision(code=f"C{number:05d}", name=f"Cloned hospital {number}")
            elapsed = time.perf_counter() - started
            assert hospital.status == Hospital.Status.ACTIVE
            return elapsed

        def from_scratch(number: int) -> float:
            path = scratch_dir / f"S{number:05d}.sqlite3"
            path.touch()  # an empty file is an empty SQLite database
            alias = tenant_connections.hospital_alias(f"S{number:05d}")
            database = {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": f"file:{quote(str(path))}?mode=rw",
                "OPTIONS": dict(settings.SQLITE_OPTIONS),
                "CONN_MAX_AGE": None,
                "TEST": {"MIGRATE": False},
            }
            tenant_connections.register(alias, database)
            try:
                started = time.perf_counter()
                call_command("migrate", database=alias, interactive=False, verbosity=0, stdout=io.StringIO())
                elapsed = time.perf_counter() - started
                with connections[alias].cursor() as cursor:
                    tables = set(connections[alias].introspection.table_names(cursor))
            finally:
                tenant_connections.forget(alias)
            assert {"patients_patient", "audit_auditevent"} <= tables, tables
            return elapsed

        clone_s: list[float] = []
        scratch_s: list[float] = []
        copy_s.clear()  # the warm-ups' copies
        for number in range(args.runs):
            clone_s.append(clone(number))
            scratch_s.append(from_scratch(number))

    clone_ms = [s * 1000 for s in clone_s]
    scratch_ms = [s * 1000 for s in scratch_s]
    clone_med = fleetdata.median(clone_ms)
    scratch_med = fleetdata.median(scratch_ms)
    ratio = scratch_med / clone_med

    print(f"\nProvisioning one hospital ({args.runs} runs of each, alternating; times in ms)\n")
    fleetdata.print_table(
        ["method", "runs", "median", "min", "max"],
        [
            [
                "clone (hospital_provision)",
                len(clone_ms),
                f"{clone_med:.1f}",
                f"{min(clone_ms):.1f}",
                f"{max(clone_ms):.1f}",
            ],
            [
                "from scratch (migrate) [baseline]",
                len(scratch_ms),
                f"{scratch_med:.1f}",
                f"{min(scratch_ms):.1f}",
                f"{max(scratch_ms):.1f}",
            ],
            ["first provisioning (builds template)", 1, f"{first_ms:.1f}", "", ""],
        ]
        + (
            [["  of a clone: the database copy", len(copy_s)] + [f"{v * 1000:.1f}" for v in _stats(copy_s)]]
            if copy_s
            else []
        ),
    )
    if copy_s:
        print("(the database copy: the storage's create_from_template, i.e. copy + fsyncs + link;")
        print(" the rest of a clone is the registry rows, validation and locking)")
    print(f"\nscratch / clone = {ratio:.1f}x faster by cloning\n")
    ok_time = clone_med <= CLONE_TARGET_MS
    ok_ratio = ratio >= RATIO_TARGET
    fleetdata.print_table(
        ["target", "measured", "result"],
        [
            [f"clone median <= {CLONE_TARGET_MS:.0f} ms", f"{clone_med:.1f} ms", fleetdata.verdict(ok_time)],
            [
                f"clone >= {RATIO_TARGET:.0f}x faster than scratch",
                f"{ratio:.1f}x",
                fleetdata.verdict(ok_ratio),
            ],
        ],
    )
    print(f"\nload averages at end: {fleetdata.load_text(os.getloadavg())}")
    return 0 if ok_time and ok_ratio else 1


def _time_database_copies() -> list[float]:
    """Time the SQLite storage's create_from_template() from now on (a breakdown, not a target)."""
    try:
        from hms.tenancy.backends.sqlite import SqliteStorage
    except ImportError:
        return []
    times: list[float] = []
    original = SqliteStorage.create_from_template

    def timed(self: SqliteStorage, database_name: str, fingerprint: str) -> None:
        started = time.perf_counter()
        try:
            return original(self, database_name, fingerprint)
        finally:
            times.append(time.perf_counter() - started)

    SqliteStorage.create_from_template = timed  # type: ignore[method-assign]
    return times


def _stats(values: list[float]) -> tuple[float, float, float]:
    return fleetdata.median(values), min(values), max(values)


if __name__ == "__main__":
    sys.exit(main())
