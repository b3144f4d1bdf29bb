from argparse import ArgumentParser
from typing import Any

from django.db.models import Q, QuerySet

from hms.hospitals.models import Hospital
from hms.tenancy.backends import storage_for
from hms.tenancy.exceptions import StorageError
from hms.tenancy.management.base import HospitalCommand
from hms.tenancy.schema import current_fingerprint

# States beside the registry status: a hospital can be ACTIVE and still refused or read-only.
MIGRATION_FAILED = "MIGRATION_FAILED"
READ_ONLY = "READ_ONLY"
BEHIND = "BEHIND"
FLAGS = (MIGRATION_FAILED, READ_ONLY, BEHIND)


def _human_size(size: int | None) -> str:
    if size is None:
        return "missing"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(size)


def _flags(hospital: Hospital) -> list[str]:
    flags = []
    if hospital.migration_error:
        flags.append(MIGRATION_FAILED)
    if hospital.read_only:
        flags.append(READ_ONLY)
    return flags


def _filter(hospitals: QuerySet[Hospital], wanted: str, fingerprint: str) -> QuerySet[Hospital]:
    if wanted == Hospital.Status.FAILED:
        # A hospital whose migration failed is still ACTIVE in the registry, but it has failed too.
        return hospitals.filter(Q(status=wanted) | ~Q(migration_error=""))
    if wanted == MIGRATION_FAILED:
        return hospitals.exclude(migration_error="")
    if wanted == READ_ONLY:
        return hospitals.filter(read_only=True)
    if wanted == BEHIND:
        return hospitals.filter(status__in=(Hospital.Status.ACTIVE, Hospital.Status.SUSPENDED)).exclude(
            schema_fingerprint=fingerprint
        )
    return hospitals.filter(status=wanted)


def _note(hospital: Hospital) -> list[str]:
    notes = []
    if hospital.migration_error:
        error = " ".join(hospital.migration_error.split())
        notes.append(
            f"{hospital.code}: its last migration failed, so it answers 503 until migrated: {error} "
            f"Fix the cause, then run `migrate_hospitals --hospital {hospital.code}`."
        )
    if hospital.read_only:
        notes.append(
            f"{hospital.code}: read-only (saving anything answers 503): it is being moved, or a move "
            f"was interrupted. Finish it with `move_hospital {hospital.code} --to SERVER`, or run "
            f"`move_hospital {hospital.code} --abort` to stay on {hospital.server}."
        )
    return notes


class Command(HospitalCommand):
    help = (
        "List hospitals: status (with MIGRATION_FAILED and READ_ONLY beside the registry status), "
        "schema fingerprint (* = behind the code, refused with 503 until migrated), database size "
        "(missing = the database is gone), server and database. A note under the table says what "
        "to do about each hospital that needs attention."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--status",
            choices=[*Hospital.Status.values, *FLAGS],
            help=(
                "Only hospitals in this state. FAILED includes hospitals whose last migration failed "
                "(still ACTIVE in the registry); MIGRATION_FAILED lists only those; READ_ONLY lists "
                "hospitals being moved or left read-only by an interrupted move; BEHIND lists "
                "hospitals whose schema is not the code's."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        fingerprint = current_fingerprint()
        hospitals = Hospital.objects.order_by("code")
        codes = self.hospital_codes(options)
        if codes is not None:
            hospitals = hospitals.filter(code__in=codes)
        if options["status"]:
            hospitals = _filter(hospitals, options["status"], fingerprint)
        rows = [("CODE", "STATUS", "SCHEMA", "SIZE", "SERVER", "DATABASE", "NAME")]
        notes: list[str] = []
        for hospital in hospitals.iterator():
            try:
                size = _human_size(storage_for(hospital.server).size(hospital.database_name))
            except StorageError:
                size = "unknown"
            schema = hospital.schema_fingerprint or "-"
            if hospital.schema_fingerprint and hospital.schema_fingerprint != fingerprint:
                schema += "*"
            status = ",".join([hospital.status, *_flags(hospital)])
            rows.append(
                (hospital.code, status, schema, size, hospital.server, hospital.database_name, hospital.name)
            )
            notes.extend(_note(hospital))
        self.table_write(rows[0], rows[1:])
        self.stdout.write(f"{len(rows) - 1} hospital(s); current schema {fingerprint}.")
        for note in notes:
            self.stdout.write(note)
