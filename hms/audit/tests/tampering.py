"""What someone with direct access to a hospital's database can do, for the tamper tests."""

from django.conf import settings
from django.db import connections

from hms.audit.models import AuditEvent
from hms.audit.services import _payload
from hms.security.chain import seal
from hms.tenancy.context import current_tenant


def raw(sql: str, params: list[object] | tuple[object, ...] = ()) -> None:
    """Run SQL on the current hospital's database, as someone with direct access to it could."""
    with connections[current_tenant().alias].cursor() as cursor:
        cursor.execute(sql, params)


def triggers_drop() -> None:
    """Switch off what makes the database refuse UPDATE and DELETE, as such a person could."""
    vendor = connections[current_tenant().alias].vendor
    if vendor == "sqlite":
        raw("DROP TRIGGER audit_event_no_update")
        raw("DROP TRIGGER audit_event_no_delete")
    elif vendor == "postgresql":
        raw("DROP TRIGGER audit_event_append_only ON audit_auditevent")
    else:
        raise AssertionError(f"no append-only triggers known for {vendor}")


def sealed_with_key(previous_hash: str, event: AuditEvent, key: str | None = None) -> str:
    """The seal a row would carry under `key` (the deployment's own key unless given)."""
    return seal(previous_hash, _payload(event), (key or settings.HMS_AUDIT_KEY).encode())
