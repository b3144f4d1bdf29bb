"""The current hospital, held in a ContextVar: safe across threads and asyncio tasks.

Every entry point sets it with `hospital_context` (the middleware per request,
commands and background tasks per hospital); nested contexts restore the outer one.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hms.tenancy import connections as tenant_connections
from hms.tenancy.codes import validate_hospital_code
from hms.tenancy.exceptions import HospitalNotFound, NoHospitalSelected

if TYPE_CHECKING:
    from hms.hospitals.models import Hospital


@dataclass(frozen=True)
class Tenant:
    """What the router needs to know about the current hospital."""

    code: str
    alias: str
    database: Mapping[str, Any] = field(repr=False)
    read_only: bool = False


_current: ContextVar[Tenant | None] = ContextVar("hms_current_hospital", default=None)


def current_tenant() -> Tenant:
    tenant = _current.get()
    if tenant is None:
        raise NoHospitalSelected(
            "No hospital is selected: tenant data can only be read or written inside "
            "hospital_context(code) (set per request by HospitalMiddleware, per "
            "hospital by management commands)."
        )
    return tenant


def current_tenant_or_none() -> Tenant | None:
    return _current.get()


def tenant_for(hospital: "Hospital") -> Tenant:
    from hms.tenancy.backends import storage_for

    storage = storage_for(hospital.server)
    return Tenant(
        code=hospital.code,
        alias=tenant_connections.hospital_alias(hospital.code),
        database=storage.connection_settings(hospital.database_name),
        read_only=hospital.read_only,
    )


def get_hospital(code: str) -> "Hospital":
    """The registry row for `code`; InvalidHospitalCode or HospitalNotFound otherwise."""
    from hms.hospitals.models import Hospital

    validate_hospital_code(code)
    hospital = Hospital.objects.filter(code=code).first()
    if hospital is None:
        raise HospitalNotFound(f"No hospital with code {code}.")
    return hospital


@contextmanager
def hospital_context(hospital: "Hospital | str") -> Iterator[Tenant]:
    """Select a hospital for the enclosed block; tenant queries go to its database."""
    if isinstance(hospital, str):
        hospital = get_hospital(hospital)
    tenant = tenant_for(hospital)
    with tenant_database(tenant):
        yield tenant


@contextmanager
def tenant_database(tenant: Tenant) -> Iterator[Tenant]:
    tenant_connections.acquire(tenant.alias, tenant.database)
    token = _current.set(tenant)
    try:
        yield tenant
    finally:
        _current.reset(token)
        tenant_connections.release(tenant.alias)
