import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from hms.core.commands import jobs_read
from hms.tenancy.backups.health import HealthRow, hospitals_check
from hms.tenancy.management.base import HospitalCommand
from hms.tenancy.snapshots import snapshots_record


class Command(HospitalCommand):
    help = (
        "Check every active or suspended hospital (or those named with --hospital): its database "
        "answers, passes its integrity check (SQLite integrity_check; PostgreSQL page checksums), "
        "runs the code's schema, its size, the age of its newest backup (a problem past "
        "--max-backup-age hours, HMS_BACKUP_MAX_AGE_HOURS by default) and its audit chain. Prints "
        "a table, records what it found (with each hospital's patient and encounter counts) for the "
        "platform console at /platform/, and exits non-zero if any hospital has a problem, naming "
        "each one."
    )
    jobs_help = "Hospitals checked at once (threads; default min(4, CPUs))."
    jobs_default = min(4, os.cpu_count() or 1)

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--max-backup-age",
            type=float,
            default=None,
            metavar="HOURS",
            help="A backup older than this is a problem (0: do not check backups).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = jobs_read(options)
        max_age = options["max_backup_age"]
        if max_age is None:
            max_age = float(settings.HMS_BACKUP_MAX_AGE_HOURS)
        codes = self.known_hospital_codes(options)
        with self.progress(options, unit="hospital") as advance:
            rows = hospitals_check(codes=codes, jobs=jobs, max_backup_age_hours=max_age, on_row=advance)
        snapshots_record(rows, jobs=jobs)
        self._print(rows)
        broken = [row for row in rows if not row.healthy]
        self.stdout.write(
            f"{len(rows)} hospital(s) checked: {len(rows) - len(broken)} healthy, "
            f"{len(broken)} with problems."
        )
        if broken:
            raise CommandError(
                f"{len(broken)} hospital(s) need attention: "
                + "; ".join(f"{row.code}: {', '.join(row.problems)}" for row in broken)
                + ". See docs/operations/backup.md (restoring) and docs/operations/README.md."
            )

    def _print(self, rows: list[HealthRow]) -> None:
        table = [
            (
                row.code,
                "ok" if row.healthy else "PROBLEM",
                row.reachable,
                row.integrity,
                row.schema,
                row.size,
                row.backup_age_hours,
                row.chain,
                "; ".join(row.problems),
            )
            for row in rows
        ]
        header = (
            "HOSPITAL",
            "HEALTH",
            "REACHABLE",
            "INTEGRITY",
            "SCHEMA",
            "BYTES",
            "BACKUP_AGE_H",
            "AUDIT",
            "PROBLEMS",
        )
        self.table_write(header, table)
