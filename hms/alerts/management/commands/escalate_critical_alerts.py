import contextlib
import datetime
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.db import Error as DatabaseLayerError
from django.utils import timezone

from hms.alerts.services import critical_alerts_escalate
from hms.hospitals.models import Hospital
from hms.tenancy import connections as tenant_connections
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import TenancyError
from hms.tenancy.management.base import HospitalCommand
from hms.tenancy.management.fleet_report import failure_detail, outcome_table


class Command(HospitalCommand):
    help = (
        "Escalate every critical result alert that is past its time and not acknowledged, in each "
        "active hospital (every one by default, or those named with --hospital): each goes once to "
        "the hospital's escalation clinician, else another doctor of the same department, else the "
        "hospital's administrators. Run it every minute or two from cron or a systemd timer "
        "(docs/operations/critical-alerts.md); a run that finds nothing due changes nothing. Exits "
        "non-zero if any hospital could not be checked."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--now",
            metavar="ISO-TIME",
            help="Escalate as if it were this moment (ISO 8601, with its offset); for tests and drills.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = self._moment(options.get("now"))
        codes = self.known_hospital_codes(options)
        hospitals = Hospital.objects.filter(status=Hospital.Status.ACTIVE).order_by("code")
        if codes is not None:
            hospitals = hospitals.filter(code__in=codes)
        rows: list[tuple[str, str, int | None, str]] = []
        for hospital in hospitals.iterator():
            try:
                with hospital_context(hospital):
                    escalated = critical_alerts_escalate(now=now)
            except (DatabaseLayerError, TenancyError) as exc:
                with contextlib.suppress(DatabaseLayerError):
                    tenant_connections.forget(tenant_connections.hospital_alias(hospital.code))
                rows.append((hospital.code, "unreachable", None, failure_detail(exc)))
                continue
            rows.append((hospital.code, "ok", len(escalated), ""))
        for line in outcome_table(("HOSPITAL", "OUTCOME", "ESCALATED", "DETAIL"), rows):
            self.stdout.write(line)
        failed = [code for code, outcome, _, _ in rows if outcome != "ok"]
        if failed:
            raise CommandError(
                f"{len(failed)} hospital(s) could not be checked: {', '.join(failed)}. Their alerts are "
                "escalated on the next run that reaches them, or when a clinician opens their start page."
            )

    @staticmethod
    def _moment(text: str | None) -> datetime.datetime:
        if not text:
            return timezone.now()
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError as exc:
            raise CommandError(
                f"--now {text!r} is not an ISO 8601 time (2026-12-06T09:30:00+00:00)."
            ) from exc
        if timezone.is_naive(moment):
            raise CommandError("--now needs its offset from UTC (2026-12-06T09:30:00+00:00).")
        return moment
