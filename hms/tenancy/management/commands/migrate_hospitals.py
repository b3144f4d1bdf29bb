import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from tqdm import tqdm

from hms.tenancy.fleet import MigrationOutcome, fleet_migrate, fleet_plan
from hms.tenancy.management.base import HospitalCommand
from hms.tenancy.management.fleet_report import outcome_table


class Command(HospitalCommand):
    help = (
        "Bring every hospital's database (or those named with --hospital) to the current "
        "tenant migrations. Hospitals already current are skipped without being opened; "
        "a failing hospital does not stop the others; rerun to finish. Exits non-zero if "
        "any hospital failed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--jobs",
            type=int,
            default=os.cpu_count() or 1,
            help="Hospitals migrated in parallel, each in its own process (default: CPU count).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = options["jobs"]
        if jobs < 1:
            raise CommandError("--jobs must be at least 1.")
        codes = self.known_hospital_codes(options)
        plan = fleet_plan(codes=codes)
        self.stdout.write(
            f"Schema {plan.fingerprint}: {plan.current} hospital(s) current, "
            f"{len(plan.pending)} to migrate with {jobs} job(s)."
        )
        if not plan.pending:
            return
        bar = tqdm(
            total=len(plan.pending),
            unit="hospital",
            file=self.stderr._out,
            disable=options["no_progress"] or None,
        )

        def advance(outcome: MigrationOutcome) -> None:
            bar.update(1)
            if outcome.failed:
                bar.write(f"{outcome.code}: FAILED {outcome.error}", file=self.stderr._out)

        try:
            outcomes = fleet_migrate(plan, jobs=jobs, on_outcome=advance)
        finally:
            bar.close()
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
        for line in outcome_table(("HOSPITAL", "OUTCOME", "APPLIED", "SECONDS", "DETAIL"), rows):
            self.stdout.write(line)
