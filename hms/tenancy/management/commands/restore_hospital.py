import datetime
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime

from hms.tenancy.backups.restore import hospital_restore
from hms.tenancy.exceptions import TenancyError
from hms.tenancy.management.base import command_error_from


def _moment(text: str) -> datetime.datetime:
    """An ISO 8601 time (UTC unless it says otherwise), or a date (its end, UTC)."""
    moment = parse_datetime(text)
    if moment is None and (day := parse_date(text)) is not None:
        moment = datetime.datetime.combine(day, datetime.time.max)
    if moment is None:
        raise CommandError(f"--at {text!r} is not a time: use e.g. 2026-12-04T03:00 or 2026-12-04.")
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


class Command(BaseCommand):
    help = (
        "Restore a hospital from a backup into a NEW database: the backup's checksum is checked, "
        "it is decrypted with the hospital's key, the copy's integrity, rows per table (against "
        "the manifest) and audit chain are checked, and only then does the hospital switch to it. "
        "Meanwhile the hospital is read-only (saving answers 503). The replaced database is "
        "renamed and kept until you remove it. By default the newest backup is used. If "
        "interrupted, the hospital stays on its old database: rerun the same command."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("code", help="Hospital code, e.g. TH001.")
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--from",
            dest="source",
            metavar="BACKUP",
            help="A backup's stamp (as backup_hospitals prints it), manifest (.json) or file (.hmsbak).",
        )
        which.add_argument(
            "--at",
            metavar="TIME",
            help="The newest backup taken at or before TIME (ISO 8601, UTC unless given; a date "
            "means the end of that day).",
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=10.0,
            help="Seconds to wait for requests in flight, before restoring and before renaming the "
            "replaced database (default 10; use at least your request timeout).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["grace"] < 0:
            raise CommandError("--grace cannot be negative.")
        at = _moment(options["at"]) if options["at"] else None
        with command_error_from(TenancyError):
            report = hospital_restore(
                code=options["code"],
                source=options["source"],
                at=at,
                grace_seconds=options["grace"],
                progress=self.stdout.write,
            )
        self.stdout.write(f"  audit chain: {report.chain}")
        self.stdout.write(
            f"  rows: {sum(report.rows.values())} in {len(report.rows)} tables, as in the manifest"
        )
        for note in report.notes:
            self.stdout.write(f"  note: {note}")
        if report.replaced:
            self.stdout.write(
                f"  the replaced database is kept as {report.replaced}; remove it once you no longer need it."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {report.code} from the backup of {report.taken_at} into {report.database_name} "
                f"in {report.seconds:.1f}s."
            )
        )
