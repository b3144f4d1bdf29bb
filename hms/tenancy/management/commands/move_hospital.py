from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hms.tenancy.exceptions import TenancyError
from hms.tenancy.management.base import command_error_from
from hms.tenancy.moving import hospital_move, hospital_move_abort


class Command(BaseCommand):
    help = (
        "Move a hospital's database to another server (see HMS_DATABASE_SERVERS). The hospital "
        "keeps serving reads and refuses writes while it is copied; row counts are verified "
        "before the registry switches, and the old copy is dropped last. If interrupted, the "
        "hospital stays on its old server (read-only): rerun to finish, or use --abort."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("code", help="Hospital code, e.g. TH001.")
        parser.add_argument("--to", dest="server", help="Target server name, e.g. east (or 'embedded').")
        parser.add_argument(
            "--grace",
            type=float,
            default=10.0,
            help="Seconds to wait for requests in flight, before copying and before dropping the "
            "old copy (default 10; use at least your request timeout).",
        )
        parser.add_argument(
            "--abort", action="store_true", help="Undo an interrupted move: drop the partial copy."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["code"]
        with command_error_from(TenancyError):
            if options["abort"]:
                hospital = hospital_move_abort(code=code)
                self.stdout.write(f"{hospital.code} stays on {hospital.server} and is writable again.")
                return
            if not options["server"]:
                raise CommandError("Say where to: --to SERVER.")
            if options["grace"] < 0:
                raise CommandError("--grace cannot be negative.")
            report = hospital_move(
                code=code,
                to_server=options["server"],
                grace_seconds=options["grace"],
                progress=self.stdout.write,
            )
        for label, rows in sorted(report.rows.items()):
            self.stdout.write(f"  {label:<32} {rows:>9} rows")
        self.stdout.write(
            self.style.SUCCESS(
                f"Moved {report.code} from {report.source} to {report.target} in {report.seconds:.1f}s."
            )
        )
