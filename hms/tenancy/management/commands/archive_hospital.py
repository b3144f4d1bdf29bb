from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hms.tenancy.archiving import hospital_archive, hospital_database_remove
from hms.tenancy.codes import validate_hospital_code
from hms.tenancy.exceptions import TenancyError
from hms.tenancy.management.base import command_error_from


class Command(BaseCommand):
    help = (
        "Archive a hospital. First (no option): it becomes ARCHIVED, read-only for good (its users "
        "can still sign in and read; every change is refused), and a final backup is taken; if that "
        "backup fails the hospital goes back to what it was. Rerun it to take the final backup if "
        "an earlier run could not. Later, --remove-database removes its database (it asks you to "
        "type the code; --no-input skips that): the registry row stays ARCHIVED with the time of "
        "removal, and the backups and backup key are kept, so it can be restored. Both steps are "
        "recorded in the security log. See docs/operations/console.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("code", help="Hospital code, e.g. TH001.")
        parser.add_argument(
            "--remove-database",
            action="store_true",
            help="Remove the database of a hospital already archived (with its final backup).",
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=10.0,
            help="Seconds after archiving to wait for requests in flight before the final backup "
            "(default 10).",
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask to confirm --remove-database.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["grace"] < 0:
            raise CommandError("--grace cannot be negative.")
        with command_error_from(TenancyError):
            code = validate_hospital_code(options["code"])
            if options["remove_database"]:
                self._remove(code, interactive=options["interactive"])
                return
            report = hospital_archive(code=code, grace_seconds=options["grace"], progress=self.stdout.write)
        what = "was already archived" if report.already else "is archived"
        self.stdout.write(
            self.style.SUCCESS(
                f"{code} {what}: read-only since {report.archived_at:%Y-%m-%d %H:%M} UTC; "
                f"final backup {report.backup_stamp}."
            )
        )
        self.stdout.write(
            f"Its database is kept. To remove it: manage.py archive_hospital {code} --remove-database"
        )

    def _remove(self, code: str, *, interactive: bool) -> None:
        if interactive:
            typed = input(
                f"This removes the database of {code} for good (its backups are kept). "
                f"Type {code} to confirm: "
            )
            if typed.strip() != code:
                raise CommandError("Not confirmed; nothing was removed.")
        hospital = hospital_database_remove(code=code)
        self.stdout.write(
            self.style.SUCCESS(
                f"Removed the database of {code} ({hospital.database_name} on {hospital.server}); "
                f"the registry keeps it as ARCHIVED, database removed "
                f"{hospital.database_removed_at:%Y-%m-%d %H:%M} UTC. Its backups are untouched."
            )
        )
