import os
from typing import Any

from django.core.management.base import CommandError

from hms.core.commands import jobs_read
from hms.tenancy.fleet import MigrationOutcome, fleet_migrate, fleet_plan
from hms.tenancy.management.base import HospitalCommand


class Command(HospitalCommand):
    help = (
        "Bring every hospital's database (or those named with --hospital) to the current "
        "tenant migrations. Hospitals already current are skipped without being opened; "
        "a failing hospital does not stop the others; rerun to finish. Exits non-zero if "
        "any hospital failed."
    )
    jobs_help = "Hospitals migrated in parallel, each in its own process (default: CPU count)."
    jobs_default = os.cpu_count() or 1

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = jobs_read(options)
        codes = self.known_hospital_codes(options)
        plan = fleet_plan(codes=codes)
        self.stdout.write(
            f"Schema {plan.fingerprint}: {plan.current} hospital(s) current, "
            f"{len(plan.pending)} to migrate with {jobs} job(s)."
        )
        if not plan.pending:
            return
        with self.progress(options, unit="hospital", total=len(plan.pending), name_failures=True) as advance:
            outcomes = fleet_migrate(plan, jobs=jobs, on_outcome=advance)
        self._print_table(outcomes)
        failed = [o.code for o in outcomes if o.failed]
        migrated = len(outcomes) - len(failed)
        self.stdout.write(f"{migrated} migrated, {len(failed)} failed, {plan.current} already current.")
        if migrated:
            self.stdout.write(
                "Application workers still running the previous release switch to this one by "
                "themselves once every hospital is migrated (gunicorn); to switch at once, reload "
                "the application server (e.g. `kill -HUP <gunicorn master pid>`)."
            )
        if failed:
            raise CommandError(
                f"{len(failed)} hospital(s) failed to migrate: {', '.join(sorted(failed))}. "
                "They are refused (503) until migrated; fix the cause and rerun this command."
            )

    def _print_table(self, outcomes: list[MigrationOutcome]) -> None:
        rows = [
            (o.code, o.status, o.applied, o.seconds, o.error) for o in sorted(outcomes, key=lambda o: o.code)
        ]
        self.table_write(("HOSPITAL", "OUTCOME", "APPLIED", "SECONDS", "DETAIL"), rows)
