from typing import Any

from django.core.management.base import CommandError

from hms.audit.services import audit_chain_verify
from hms.hospitals.models import Hospital
from hms.tenancy.context import hospital_context
from hms.tenancy.management.base import HospitalCommand


class Command(HospitalCommand):
    help = (
        "Recompute the hash chain of each active hospital's audit log (every hospital by "
        "default, or those named with --hospital) and report the first event that was "
        "altered or the events missing from the end. Exits non-zero if any chain is broken."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        codes = self.known_hospital_codes(options)
        hospitals = Hospital.objects.order_by("code")
        if codes is not None:
            hospitals = hospitals.filter(code__in=codes)
        broken = []
        checked = 0
        for hospital in hospitals.iterator():
            if hospital.status != Hospital.Status.ACTIVE:
                if codes is not None:
                    self.stdout.write(f"{hospital.code}: skipped (status {hospital.status})")
                continue
            with hospital_context(hospital):
                report = audit_chain_verify()
            checked += 1
            if report.intact:
                self.stdout.write(f"{hospital.code}: intact ({report.events_checked} events)")
            else:
                where = report.first_broken_id if report.first_broken_id is not None else "end"
                self.stdout.write(f"{hospital.code}: BROKEN at event {where}: {report.reason}")
                broken.append(hospital.code)
        if broken:
            raise CommandError(
                f"The audit chain of {len(broken)} hospital(s) is broken: {', '.join(broken)}. "
                "Treat it as a security incident: keep the database files as they are and "
                "compare them with the latest backup."
            )
        self.stdout.write(f"{checked} hospital(s) checked; every audit chain is intact.")
