import os
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hms.core.exceptions import ApplicationError
from hms.demo.data.hospitals import DEMO_FUTURE_DAYS, DEMO_HISTORY_DAYS, DEMO_PATIENTS_PER_HOSPITAL
from hms.demo.data.users import DEFAULT_DEMO_PASSWORD, DEMO_USERS
from hms.demo.services import demo_seed
from hms.tenancy.exceptions import TenancyError
from hms.tenancy.management.base import command_error_from


class Command(BaseCommand):
    help = (
        "Create the demo hospitals (TH001, DMC001, TEST_HOSPITAL), the demo users and "
        "realistic demo patients; give each hospital departments, staff, working hours and "
        "a price list, a month of clinic history, two weeks of bookings and today's clinic "
        "under way. Safe to run again: a hospital that already has appointments or "
        "encounters gets no new activity. Every demo user's password is HMS_DEMO_PASSWORD. "
        "Refuses to run with production settings."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--patients",
            type=int,
            default=DEMO_PATIENTS_PER_HOSPITAL,
            help=f"Patients per hospital (default {DEMO_PATIENTS_PER_HOSPITAL}).",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=DEMO_HISTORY_DAYS,
            help=f"Days of clinic history before today (default {DEMO_HISTORY_DAYS}; 0 = none).",
        )
        parser.add_argument(
            "--future-days",
            type=int,
            default=DEMO_FUTURE_DAYS,
            help=f"Days ahead to book appointments in, via the booking service (default {DEMO_FUTURE_DAYS}).",
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
        if not 0 <= options["days"] <= 365:
            raise CommandError("--days must be between 0 and 365.")
        if not 0 <= options["future_days"] <= 60:
            raise CommandError("--future-days must be between 0 and 60.")
        password = getattr(settings, "HMS_DEMO_PASSWORD", "") or DEFAULT_DEMO_PASSWORD
        started = time.monotonic()
        with command_error_from(ApplicationError, TenancyError):
            summary = demo_seed(
                password=password,
                patients_per_hospital=options["patients"],
                history_days=options["days"],
                future_days=options["future_days"],
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {summary.hospitals_created} hospital(s), "
                f"{summary.users_created} user(s) and {summary.patients_created} patient(s) created "
                f"in {time.monotonic() - started:.1f} s."
            )
        )
        for activity in summary.activity:
            counts = activity.counts
            state = "activity created" if activity.written else f"no new activity: {activity.reason}"
            self.stdout.write(
                f"  {activity.code:<14} {counts.appointments} appointments, {counts.encounters} encounters, "
                f"{counts.notes} notes, {counts.prescriptions} prescriptions, "
                f"{counts.lab_results} lab results, {counts.invoices} invoices, "
                f"{counts.payments} payments ({state})"
            )
        self.stdout.write("Demo users (password below):")
        for user in DEMO_USERS:
            name = f"{user.first_name} {user.last_name}".strip()
            self.stdout.write(
                f"  {user.username:<19} {user.role:<13} {user.hospital or '(all hospitals)':<14} {name}"
            )
        self.stdout.write(f"Password: {password}  (set HMS_DEMO_PASSWORD to change it)")
