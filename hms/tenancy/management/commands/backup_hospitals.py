from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from hms.core.commands import jobs_read
from hms.hospitals.snapshots import snapshot_backup_record
from hms.tenancy.backups.backup import Retention, backup_fleet, backup_plan
from hms.tenancy.backups.keys import SHARED
from hms.tenancy.management.base import HospitalCommand


class Command(HospitalCommand):
    help = (
        "Back up the shared database and every active or suspended hospital's (or only those named "
        "with --hospital) while the system keeps serving: SQLite's online backup API, pg_dump on "
        "PostgreSQL. Each backup is compressed, encrypted with its hospital's own key (a file in "
        "HMS_BACKUP_KEY_DIR, made on the first backup) and described by a manifest (time, schema, "
        "size, SHA-256, rows per table) in HMS_BACKUP_DIR/<CODE>/. A failure (a full disk, say) "
        "removes its partial file and does not stop the others. With --keep-daily/--keep-weekly/"
        "--keep-monthly, older backups are deleted after each successful one. Exits non-zero if "
        "any backup failed. Each hospital's outcome is shown on the platform console (/platform/). "
        "See docs/operations/backup.md."
    )
    jobs_help = "Backups taken at once (threads; default 1)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--skip-shared",
            action="store_true",
            help="Leave out the shared database (it is included unless --hospital is given).",
        )
        for period, example in (("daily", 7), ("weekly", 4), ("monthly", 12)):
            parser.add_argument(
                f"--keep-{period}",
                type=int,
                default=0,
                metavar="N",
                help=f"Keep the newest backup of each of the last N {period.replace('ly', '')}s "
                f"that have one (e.g. {example}). Without any --keep-*, nothing is deleted.",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = jobs_read(options)
        retention = Retention(options["keep_daily"], options["keep_weekly"], options["keep_monthly"])
        if min(retention.daily, retention.weekly, retention.monthly) < 0:
            raise CommandError("--keep-* cannot be negative.")
        codes = self.known_hospital_codes(options)
        targets = backup_plan(codes=codes, shared=codes is None and not options["skip_shared"])
        self.stdout.write(
            f"Backing up {len(targets)} database(s) into {settings.HMS_BACKUP_DIR} with {jobs} job(s)."
        )
        with self.progress(options, unit="db", total=len(targets), name_failures=True) as advance:
            outcomes = backup_fleet(targets, jobs=jobs, retention=retention, on_outcome=advance)
        for outcome in outcomes:
            if outcome.code != SHARED:
                snapshot_backup_record(code=outcome.code, stamp=outcome.stamp, error=outcome.error)
        rows = [
            (
                o.code,
                o.status,
                o.stamp or None,
                o.size if not o.failed else None,
                o.rows,
                o.pruned,
                o.seconds,
                o.error,
            )
            for o in sorted(outcomes, key=lambda o: o.code)
        ]
        header = ("DATABASE", "OUTCOME", "BACKUP", "BYTES", "ROWS", "PRUNED", "SECONDS", "DETAIL")
        self.table_write(header, rows)
        failed = self.tally(outcomes, done="backed up", failed="failed")
        if failed:
            raise CommandError(
                f"{len(failed)} backup(s) failed: {', '.join(failed)} (see DETAIL above). Their partial "
                "files were removed; fix the cause and rerun (with --hospital CODE for just those)."
            )
