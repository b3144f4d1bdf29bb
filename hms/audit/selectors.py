"""Reading the hospital's audit log: its administrators only; reading it is itself recorded."""

from django.core.paginator import Page
from django.db import transaction

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.models import AuditEvent
from hms.audit.services import ChainReport, audit_chain_verify, audit_record
from hms.core.pages import page_of
from hms.tenancy.context import current_tenant

PAGE_SIZE = 50  # a log is read in longer pages than the other lists


def audit_event_page(
    *,
    user: User,
    patient_id: int | None = None,
    actor_id: int | None = None,
    action_prefix: str = "",
    page_number: int | str = 1,
    client_address: str | None = None,
) -> Page:
    """One page of the log, newest first, optionally for one patient, one user or actions
    starting with `action_prefix` ("patient.", "note.sign")."""
    permission_require(user=user, resource=Resource.AUDIT_LOG, action=Action.VIEW)
    queryset = AuditEvent.objects.order_by("-id")
    if patient_id is not None:
        queryset = queryset.filter(patient_id=patient_id)
    if actor_id is not None:
        queryset = queryset.filter(actor_id=actor_id)
    if action_prefix:
        queryset = queryset.filter(action__startswith=action_prefix)
    with transaction.atomic(using=current_tenant().alias):
        page = page_of(queryset, page_number, per_page=PAGE_SIZE)
        audit_record(
            acting_user=user,
            action="audit.view",
            resource="AuditEvent",
            patient_id=patient_id,
            client_address=client_address,
            detail={"page": page.number, "actor_id": actor_id, "action_prefix": action_prefix},
        )
    return page


def audit_chain_check(*, user: User) -> ChainReport:
    """Recompute the whole chain (as `manage.py verify_audit_chain` does) for the administrator."""
    permission_require(user=user, resource=Resource.AUDIT_LOG, action=Action.VIEW)
    return audit_chain_verify()
