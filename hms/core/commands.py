"""What the management commands that work on many databases at once share: `--jobs` (how many
at once) and `--no-progress`, read the same way, and their progress bar on standard error."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm


def jobs_arguments_add(parser: ArgumentParser, *, jobs_help: str, default: int = 1) -> None:
    """Add `--jobs N` (said by `jobs_help`) and `--no-progress`."""
    parser.add_argument("--jobs", type=int, default=default, help=jobs_help)
    parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")


def jobs_read(options: dict[str, Any]) -> int:
    """The `--jobs` asked for: at least one."""
    jobs: int = options["jobs"]
    if jobs < 1:
        raise CommandError("--jobs must be at least 1.")
    return jobs


def progress_bar(
    command: BaseCommand, options: dict[str, Any], *, unit: str, total: int | None = None
) -> tqdm:
    """The command's progress bar on its standard error (none with `--no-progress`, nor off a terminal)."""
    return tqdm(total=total, unit=unit, file=command.stderr._out, disable=options["no_progress"] or None)
