from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hms.core.exceptions import ApplicationError
from hms.hospitals.models import Hospital
from hms.tenancy.codes import validate_hospital_code
from hms.tenancy.exceptions import TenancyError
from hms.tenancy.first_admin import first_admin_create
from hms.tenancy.management.base import command_error_from
from hms.tenancy.provisioning import hospital_provision, spares_wait


class Command(BaseCommand):
    help = (
        "Create a hospital with its own database, cloned from the current schema template, and "
        "optionally its first administrator (--admin-username and --admin-email), who gets a "
        "one-time link to set their password. Rerun it to finish a hospital that a crash left "
        "PROVISIONING or FAILED, or to add the first administrator to a hospital that has none."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("code", help="Hospital code: 2-32 of A-Z, 0-9 and _ (e.g. TH001).")
        parser.add_argument("--name", required=True, help="The hospital's display name.")
        parser.add_argument(
            "--timezone",
            default="UTC",
            help="IANA time zone for the hospital's clocks, e.g. Asia/Dhaka (default UTC).",
        )
        parser.add_argument("--admin-username", default="", help="Username of the first administrator.")
        parser.add_argument("--admin-email", default="", help="Email address of the first administrator.")
        parser.add_argument("--admin-first-name", default="", help="The administrator's first name.")
        parser.add_argument("--admin-last-name", default="", help="The administrator's last name.")
        parser.add_argument(
            "--site-url",
            default="",
            help="This deployment's address (https://hms.example.org), to print the link in full.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        admin_username = options["admin_username"].strip()
        if bool(admin_username) != bool(options["admin_email"].strip()):
            raise CommandError("Give both --admin-username and --admin-email, or neither.")
        with command_error_from(TenancyError):
            code = validate_hospital_code(options["code"])  # before any query: no NUL reaches the database
        existing = Hospital.objects.filter(code=code, status=Hospital.Status.ACTIVE).first()
        if existing is not None and admin_username:
            hospital = existing  # already made: only its first administrator is missing
        else:
            with command_error_from(TenancyError):
                hospital = hospital_provision(
                    code=options["code"], name=options["name"], time_zone=options["timezone"]
                )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Hospital {hospital.code} ({hospital.name}) is ACTIVE; "
                    f"database {hospital.database_name} on {hospital.server}."
                )
            )
        if admin_username:
            self._first_admin(hospital, options)
        spares_wait()  # spare clones for the next hospital, if the server keeps any

    def _first_admin(self, hospital: Hospital, options: dict[str, Any]) -> None:
        try:
            made = first_admin_create(
                hospital=hospital,
                username=options["admin_username"],
                email=options["admin_email"],
                first_name=options["admin_first_name"],
                last_name=options["admin_last_name"],
                acting_user=None,
            )
        except ApplicationError as exc:
            problems = "; ".join(str(m) for messages in exc.details.values() for m in messages)
            raise CommandError(f"{exc.message} {problems}".strip()) from exc
        except TenancyError as exc:
            raise CommandError(exc.message) from exc
        link = options["site_url"].rstrip("/") + made.set_password_path
        self.stdout.write(
            self.style.SUCCESS(
                f"Administrator {options['admin_username'].strip()} created for {hospital.code}."
            )
        )
        self.stdout.write(
            "Give them this one-time link to set their password (it is shown only now and works once; "
            "it expires after the password-reset time, HMS_PASSWORD_RESET_MINUTES):"
        )
        self.stdout.write(f"  {link}")
        if not options["site_url"]:
            self.stdout.write("  (a path: open it on this deployment's address, or pass --site-url)")
