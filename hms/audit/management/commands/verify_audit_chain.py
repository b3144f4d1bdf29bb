import contextlib
from dataclasses import dataclass
from typing import Any

from django.core.management.base import CommandError
from django.db import Error as DatabaseLayerError

from hms.audit.services import audit_chain_verify
from hms.hospitals.models import Hospital
from hms.security.log import security_log_verify
from hms.tenancy import connections as tenant_connections
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import TenancyError
from hms.tenancy.management.base import HospitalCommand
from hms.tenancy.management.fleet_report import failure_detail

INTACT = "intact"
BROKEN = "BROKEN"
UNREACHABLE = "unreachable"
ERROR = "error"
SKIPPED = "skipped"
OUTCOMES = (INTACT, BROKEN, UNREACHABLE, ERROR, SKIPPED)


@dataclass(frozen=True)
class _Row:
    code: str
    outcome: str
    events: int | None = None
    detail: str = ""


class Command(HospitalCommand):
    help = (
        "Recompute the hash chain of each active hospital's audit log (every hospital by "
        "default, or those named with --hospital) and report the first event that was "
        "altered or the events missing from the end. A hospital whose database cannot be "
        "opened is reported and the others are still checked. Each chain is also checked "
        "against its checkpoint in the shared database (events deleted from the end), and "
        "the platform's security log is checked too. Exits non-zero if any chain is broken "
        "or any hospital could not be checked."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        codes = self.known_hospital_codes(options)
        hospitals = Hospital.objects.order_by("code")
        if codes is not None:
            hospitals = hospitals.filter(code__in=codes)
        rows = []
        for hospital in hospitals.iterator():
            if hospital.status != Hospital.Status.ACTIVE:
                if codes is not None:
                    rows.append(_Row(hospital.code, SKIPPED, detail=f"status {hospital.status}"))
                continue
            rows.append(self._verify(hospital))

        self.table_write(
            ("HOSPITAL", "OUTCOME", "EVENTS", "DETAIL"),
            [(r.code, r.outcome, r.events, r.detail) for r in rows],
        )

        broken = [r.code for r in rows if r.outcome == BROKEN]
        unchecked = [r.code for r in rows if r.outcome in (UNREACHABLE, ERROR)]
        counts = {outcome: sum(r.outcome == outcome for r in rows) for outcome in OUTCOMES}
        summary = f"{len(rows) - counts[SKIPPED]} hospital(s) checked: " + ", ".join(
            f"{count} {outcome.lower()}"
            for outcome, count in counts.items()
            if count or outcome in (INTACT, BROKEN, UNREACHABLE)
        )
        security = security_log_verify()
        if security.intact:
            security_line = f"Security log: intact ({security.events_checked} events)."
        else:
            security_line = f"Security log: BROKEN {security.fault}."
        self.stdout.write(security_line)
        if not broken and not unchecked and security.intact:
            self.stdout.write(f"{summary}; every audit chain is intact.")
            return
        self.stdout.write(f"{summary}.")
        problems = []
        if not security.intact:
            problems.append(
                "The platform's security log is broken. Treat it as a security incident: keep the "
                "shared database as it is and compare it with the latest backup."
            )
        if broken:
            problems.append(
                f"The audit chain of {len(broken)} hospital(s) is broken: {', '.join(broken)}. "
                "Treat it as a security incident: keep the database files as they are and "
                "compare them with the latest backup."
            )
        if unchecked:
            problems.append(
                f"The audit log of {len(unchecked)} hospital(s) could not be checked: "
                f"{', '.join(unchecked)} (see DETAIL above). Check that their database server is "
                "up; if the database is gone (`manage.py list_hospitals` shows its size as "
                "`missing`), restore it from the latest backup. Then rerun this command."
            )
        raise CommandError(" ".join(problems))

    def _verify(self, hospital: Hospital) -> _Row:
        try:
            with hospital_context(hospital):
                report = audit_chain_verify()
        except (DatabaseLayerError, TenancyError) as exc:
            self._forget(hospital)
            return _Row(hospital.code, UNREACHABLE, detail=failure_detail(exc))
        except Exception as exc:  # noqa: BLE001 - one hospital's failure must not hide the others'
            self._forget(hospital)
            return _Row(hospital.code, ERROR, detail=failure_detail(exc))
        if report.intact:
            return _Row(hospital.code, INTACT, report.events_checked, report.note)
        return _Row(hospital.code, BROKEN, report.events_checked, report.fault)

    @staticmethod
    def _forget(hospital: Hospital) -> None:
        """Close what the failure left open, so the next hospital starts from a clean slate."""
        with contextlib.suppress(DatabaseLayerError):
            tenant_connections.forget(tenant_connections.hospital_alias(hospital.code))
