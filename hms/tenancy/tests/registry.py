"""Test helpers for the hospital registry."""

from hms.hospitals.models import Hospital
from hms.tenancy.backends import storage_for
from hms.tenancy.placement import server_choose
from hms.tenancy.schema import current_fingerprint


def registry_row(code: str = "TH001", status: str = Hospital.Status.ACTIVE) -> Hospital:
    """A registry row whose database was never made: enough where only the registry is read or changed."""
    server = server_choose()
    return Hospital.objects.create(
        code=code,
        name=f"Hospital {code}",
        server=server,
        database_name=storage_for(server).database_name_for(code),
        schema_fingerprint=current_fingerprint(),
        status=status,
    )
