"""A base for commands that work on one hospital or all of them."""

from argparse import ArgumentParser
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hms.core.commands import jobs_arguments_add, progress_bar
from hms.core.exceptions import ApplicationError
from hms.tenancy.codes import is_valid_hospital_code
from hms.tenancy.exceptions import TenancyError
from hms.tenancy.management.fleet_report import Cell, outcome_table


@contextmanager
def command_error_from(*errors: type[TenancyError] | type[ApplicationError]) -> Iterator[None]:
    """Re-raise `errors` as a CommandError with their message, which is written for the operator."""
    try:
        yield
    except errors as exc:
        raise CommandError(exc.message) from exc


class HospitalCommand(BaseCommand):
    """Adds `--hospital CODE` (repeatable) and `--all-hospitals`; see `hospital_codes()`. A
    command that works on several databases at once says so by its `jobs_help`, and also gets
    `--jobs N` (`jobs_default` by default) and `--no-progress`."""

    require_hospital_choice = False
    jobs_help = ""
    jobs_default = 1

    def add_arguments(self, parser: ArgumentParser) -> None:
        group = parser.add_mutually_exclusive_group(required=self.require_hospital_choice)
        group.add_argument(
            "--hospital",
            action="append",
            metavar="CODE",
            dest="hospitals",
            help="Work on this hospital only (repeat for several).",
        )
        group.add_argument(
            "--all-hospitals", action="store_true", help="Work on every hospital (the default)."
        )
        if self.jobs_help:
            jobs_arguments_add(parser, jobs_help=self.jobs_help, default=self.jobs_default)

    def hospital_codes(self, options: dict[str, Any]) -> list[str] | None:
        """The codes asked for, validated; None means all hospitals."""
        codes = options.get("hospitals")
        if not codes:
            return None
        for code in codes:
            if not is_valid_hospital_code(code):
                raise CommandError(
                    f"Invalid hospital code {code!r}: use 2-32 upper-case letters, digits "
                    "and underscores (e.g. TH001). `manage.py list_hospitals` shows them all."
                )
        return codes

    def known_hospital_codes(self, options: dict[str, Any]) -> list[str] | None:
        """Like `hospital_codes`, and every code named must be in the registry."""
        from hms.hospitals.models import Hospital

        codes = self.hospital_codes(options)
        if codes is not None:
            known = set(Hospital.objects.filter(code__in=codes).values_list("code", flat=True))
            if unknown := [code for code in codes if code not in known]:
                raise CommandError(
                    f"No such hospital: {', '.join(unknown)}. `manage.py list_hospitals` shows them all."
                )
        return codes

    @contextmanager
    def progress(
        self, options: dict[str, Any], *, unit: str, total: int | None = None, name_failures: bool = False
    ) -> Iterator[Callable[[Any], None]]:
        """The `on_outcome` of work over many databases: each outcome advances the progress bar
        (with `name_failures`, a failed one is also named above it); the bar closes after the work."""
        bar = progress_bar(self, options, unit=unit, total=total)

        def advance(outcome: Any) -> None:  # each work's own outcome: code, failed, error
            bar.update(1)
            if name_failures and outcome.failed:
                bar.write(f"{outcome.code}: FAILED {outcome.error}", file=self.stderr._out)

        try:
            yield advance
        finally:
            bar.close()

    def tally(self, outcomes: Sequence[Any], *, done: str, failed: str) -> list[str]:
        """Write how many outcomes were `done` and how many `failed`; the failed ones' codes, sorted."""
        failures = sorted(outcome.code for outcome in outcomes if outcome.failed)
        self.stdout.write(f"{len(outcomes) - len(failures)} {done}, {len(failures)} {failed}.")
        return failures

    def table_write(self, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
        """The outcome table (hms.tenancy.management.fleet_report) on standard output."""
        for line in outcome_table(header, rows):
            self.stdout.write(line)
