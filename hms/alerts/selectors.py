"""Reads of critical alerts: a doctor's own (addressed to them), every alert for the ADMIN.

A doctor sees only the alerts addressed to them, as the responsible clinician or the one
it was escalated to, about patients in their care; any other alert answers exactly as a
missing one. Lists show patients'
names and values, so reading one is audited.
"""

from dataclasses import dataclass

from django.core.paginator import Page
from django.db import transaction
from django.db.models import F, Q, QuerySet

from hms.accounts.display import display_names
from hms.accounts.models import Role, User
from hms.accounts.permissions import Action, Resource
from hms.alerts.models import CriticalAlert
from hms.audit.records import AuditedList, audit_row
from hms.care.access import patient_scope_filter
from hms.core.exceptions import NotFound
from hms.core.ids import record_id
from hms.tenancy.context import current_tenant

ALERT_NOT_FOUND = "No such alert here."
ALERT_LIST = AuditedList("critical_alert.list", CriticalAlert)
# The start page shows at most this many; the alerts page has them all.
START_ROWS = 20


@dataclass(frozen=True)
class AlertEntry:
    """One alert as a list shows it: the row and the names of the people on it."""

    alert: CriticalAlert
    clinician: str
    escalated_to: str
    acknowledged_by: str


def addressed_to(user: User) -> Q:
    """The alerts `user` must act on: theirs, or escalated to them."""
    return Q(clinician_id=user.pk) | Q(escalated_to_id=user.pk)


def _visible(user: User) -> QuerySet[CriticalAlert]:
    in_scope = patient_scope_filter(user=user, resource=Resource.CRITICAL_ALERT, action=Action.VIEW)
    rows = CriticalAlert.objects.using(current_tenant().alias).select_related("patient").filter(in_scope)
    # The administrator is the escalation's last resort and sees every alert; a doctor, theirs.
    return rows if user.role == Role.ADMIN else rows.filter(addressed_to(user))


def _entries(alerts: list[CriticalAlert]) -> list[AlertEntry]:
    names = display_names(
        pk for alert in alerts for pk in (alert.clinician_id, alert.escalated_to_id, alert.acknowledged_by_id)
    )
    return [
        AlertEntry(
            alert=alert,
            clinician=names.get(alert.clinician_id, ""),
            escalated_to=names.get(alert.escalated_to_id or 0, ""),
            acknowledged_by=names.get(alert.acknowledged_by_id or 0, ""),
        )
        for alert in alerts
    ]


def _awaiting(user: User) -> QuerySet[CriticalAlert]:
    """The open alerts addressed to `user`, oldest first."""
    rows = _visible(user).filter(addressed_to(user)).exclude(state=CriticalAlert.State.ACKNOWLEDGED)
    return rows.order_by("raised_at", "id")


def critical_alerts_to_acknowledge(*, user: User, client_address: str | None = None) -> list[AlertEntry]:
    """The open alerts addressed to `user`, oldest first (the start page); audited when any."""
    with transaction.atomic(using=current_tenant().alias):
        listed = list(_awaiting(user)[:START_ROWS])
        if listed:  # a start page with no alert shows no patient: nothing to audit
            ALERT_LIST.record(listed, user, client_address)
    return _entries(listed)


def critical_alerts_to_acknowledge_page(
    *, user: User, page_number: int | str = 1, client_address: str | None = None
) -> Page:
    """The start page's alerts, every one of them a page at a time (the REST API); audited."""
    return _entry_page(_awaiting(user), page_number, user, client_address)


def critical_alert_detail(*, user: User, alert_id: object, client_address: str | None = None) -> AlertEntry:
    """One alert `user` may see (as in critical_alerts_page); NotFound for any other; audited."""
    number = record_id(alert_id)
    rows = _visible(user)
    with transaction.atomic(using=current_tenant().alias):
        alert = rows.filter(pk=number).first() if number is not None else None
        if alert is None:
            raise NotFound(ALERT_NOT_FOUND)
        audit_row(user, "critical_alert.view", alert, client_address, alert_id=alert.pk)
    return _entries([alert])[0]


def critical_alerts_page(
    *, user: User, include_acknowledged: bool, page_number: int | str = 1, client_address: str | None = None
) -> Page:
    """One page of the alerts `user` may see (open ones first, oldest first); audited."""
    rows = _visible(user)
    if not include_acknowledged:
        rows = rows.exclude(state=CriticalAlert.State.ACKNOWLEDGED)
    ordered = rows.order_by(F("acknowledged_at").asc(nulls_first=True), "raised_at", "id")
    return _entry_page(ordered, page_number, user, client_address)


def _entry_page(
    rows: QuerySet[CriticalAlert], page_number: int | str, user: User, client_address: str | None
) -> Page:
    """One page of `rows` as AlertEntry rows, read and audited."""
    page = ALERT_LIST.page(rows, page_number, user, client_address)
    page.object_list = _entries(list(page.object_list))
    return page
