import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hms.core.exceptions import ApplicationError
from hms.demo.data import DEFAULT_DEMO_PASSWORD, DEMO_PATIENTS_PER_HOSPITAL, DEMO_USERS
from hms.demo.services import demo_seed


class Command(BaseCommand):
    help = (
        "Create the demo hospitals (TH001, DMC001, TEST_HOSPITAL), the demo users and "
        "realistic demo patients. Safe to run again. Every demo user's password is "
        "HMS_DEMO_PASSWORD. Refuses to run with production settings."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--patients",
            type=int,
            default=DEMO_PATIENTS_PER_HOSPITAL,
            help=f"Patients per hospital (default {DEMO_PATIENTS_PER_HOSPITAL}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Overridden or manually configured settings have no SETTINGS_MODULE: use the one
        # the process was started with instead of crashing.
        settings_module = settings.SETTINGS_MODULE or os.environ.get("DJANGO_SETTINGS_MODULE", "")
        if settings_module.endswith(".production"):
            raise CommandError(
                "seed_demo refuses to run with production settings: it creates known passwords."
            )
        if options["patients"] < 0:
            raise CommandError("--patients cannot be negative.")
        password = getattr(settings, "HMS_DEMO_PASSWORD", "") or DEFAULT_DEMO_PASSWORD
        try:
            summary = demo_seed(password=password, patients_per_hospital=options["patients"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {summary.hospitals_created} hospital(s), "
                f"{summary.users_created} user(s) and {summary.patients_created} patient(s) created."
            )
        )
        self.stdout.write("Demo users (password below):")
        for username, role, code in DEMO_USERS:
            self.stdout.write(f"  {username:<20} {role:<13} {code or '(all hospitals)'}")
        self.stdout.write(f"Password: {password}  (set HMS_DEMO_PASSWORD to change it)")
