from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from hms.tenancy.backups.restore import shared_restore
from hms.tenancy.exceptions import TenancyError
from hms.tenancy.management.base import command_error_from
from hms.tenancy.management.commands.restore_hospital import _moment


class Command(BaseCommand):
    help = (
        "Restore a backup of the shared database (registry, users, security log) into a NEW "
        "SQLite file or a NEW PostgreSQL database on the shared database's server, checking its "
        "checksum, integrity and rows per table. Nothing running is touched: switch to it as "
        "docs/operations/backup.md says (stop the application, point DATABASE_URL at it, start)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "output", help="SQLite: the path of a new file. PostgreSQL: the name of a new database."
        )
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--from", dest="source", metavar="BACKUP", help="A backup's stamp, manifest or file."
        )
        which.add_argument("--at", metavar="TIME", help="The newest backup taken at or before TIME.")

    def handle(self, *args: Any, **options: Any) -> None:
        at = _moment(options["at"]) if options["at"] else None
        with command_error_from(TenancyError):
            manifest, rows = shared_restore(output=options["output"], source=options["source"], at=at)
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the shared database's backup of {manifest.taken_at} into {options['output']}: "
                f"{sum(rows.values())} rows in {len(rows)} tables, as in the manifest."
            )
        )
