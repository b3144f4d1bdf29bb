"""A base for commands that work on one hospital or all of them."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hms.tenancy.codes import is_valid_hospital_code


class HospitalCommand(BaseCommand):
    """Adds `--hospital CODE` (repeatable) and `--all-hospitals`; see `hospital_codes()`."""

    require_hospital_choice = False

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
