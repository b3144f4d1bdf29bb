from argparse import ArgumentParser
from typing import Any

from hms.hospitals.models import Hospital
from hms.tenancy.backends import storage_for
from hms.tenancy.exceptions import StorageError
from hms.tenancy.management.base import HospitalCommand
from hms.tenancy.schema import current_fingerprint


def _human_size(size: int | None) -> str:
    if size is None:
        return "missing"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(size)


class Command(HospitalCommand):
    help = "List hospitals with their status, schema fingerprint (* = behind the code) and database size."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--status", choices=Hospital.Status.values, help="Only hospitals in this status.")

    def handle(self, *args: Any, **options: Any) -> None:
        hospitals = Hospital.objects.order_by("code")
        codes = self.hospital_codes(options)
        if codes is not None:
            hospitals = hospitals.filter(code__in=codes)
        if options["status"]:
            hospitals = hospitals.filter(status=options["status"])
        fingerprint = current_fingerprint()
        rows = [("CODE", "STATUS", "SCHEMA", "SIZE", "SERVER", "NAME")]
        for hospital in hospitals.iterator():
            try:
                size = _human_size(storage_for(hospital.server).size(hospital.database_name))
            except StorageError:
                size = "unknown"
            schema = hospital.schema_fingerprint or "-"
            if hospital.schema_fingerprint and hospital.schema_fingerprint != fingerprint:
                schema += "*"
            rows.append((hospital.code, hospital.status, schema, size, hospital.server, hospital.name))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[-1]]).rstrip())
        self.stdout.write(f"{len(rows) - 1} hospital(s); current schema {fingerprint}.")
