from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hms.tenancy.exceptions import TenancyError
from hms.tenancy.provisioning import hospital_provision, spares_wait


class Command(BaseCommand):
    help = (
        "Create a hospital with its own database, cloned from the current schema template. "
        "Rerun it to finish a hospital that a crash left PROVISIONING or FAILED."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("code", help="Hospital code: 2-32 of A-Z, 0-9 and _ (e.g. TH001).")
        parser.add_argument("--name", required=True, help="The hospital's display name.")
        parser.add_argument(
            "--timezone",
            default="UTC",
            help="IANA time zone for the hospital's clocks, e.g. Asia/Dhaka (default UTC).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            hospital = hospital_provision(
                code=options["code"], name=options["name"], time_zone=options["timezone"]
            )
        except TenancyError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Hospital {hospital.code} ({hospital.name}) is ACTIVE; "
                f"database {hospital.database_name} on {hospital.server}."
            )
        )
        spares_wait()  # spare clones for the next hospital, if the server keeps any
