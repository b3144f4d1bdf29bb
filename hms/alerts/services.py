"""Raising, acknowledging and escalating critical result alerts.

The apps that record values call `critical_alert_raise` (one finding) or
`critical_alerts_raise` (several) inside their own transaction; only a critical flag
(LL or HH) raises anything, and a record raises at most one alert. A clinician
acknowledges with a read-back that states the value. `critical_alerts_escalate` passes an
alert not acknowledged in time to a second clinician, once (a conditional update: two runs
at the same moment escalate it once).
"""

import datetime
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from hms.accounts.models import Role, User
from hms.accounts.permissions import Action, Resource
from hms.alerts.channels import Notice, channels_send
from hms.alerts.configuration import alert_settings
from hms.alerts.models import AlertSettings, CriticalAlert
from hms.alerts.readback import states_value
from hms.alerts.selectors import ALERT_NOT_FOUND, addressed_to
from hms.audit.records import audit_row
from hms.care.access import patient_scope_filter
from hms.core.display import unit_label, zone_abbreviation
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.ids import record_id
from hms.core.text import control_characters_refuse
from hms.staff.models import StaffMember
from hms.tenancy.context import current_tenant, get_hospital

CRITICAL_FLAGS = frozenset({"LL", "HH"})
READ_BACK_MAX = 500

# Who the audit log names for an escalation: no person does it, the clock does.
ESCALATION_ACTOR = "(critical alert escalation)"


@dataclass(frozen=True)
class Finding:
    """A recorded value that may be critical, as the app that recorded it describes it."""

    resource: str  # the record's model: "LabResult", "Observation"
    record_id: int
    patient_id: int
    name: str  # what was measured, in people's words: "Potassium"
    value: Decimal | None
    unit: str  # UCUM
    flag: str

    @property
    def is_critical(self) -> bool:
        return self.flag in CRITICAL_FLAGS and self.value is not None

    @property
    def text(self) -> str:
        shown = f"{Decimal(self.value or 0).normalize():f}"
        return " ".join(part for part in (self.name, shown, unit_label(self.unit), f"({self.flag})") if part)


def critical_alert_raise(
    *, acting_user: User, clinician_id: int, finding: Finding, client_address: str | None = None
) -> CriticalAlert | None:
    """The alert of `finding` to `clinician_id`, raised now if the finding is critical; the
    record's existing alert if it has one; None if the finding is not critical. Call it inside
    the transaction that records the value: the alert lands with it, or neither does."""
    if not finding.is_critical or finding.value is None:
        return None
    alias = current_tenant().alias
    existing = CriticalAlert.objects.using(alias).filter(
        resource=finding.resource, record_id=finding.record_id
    )
    if (alert := existing.first()) is not None:
        return alert
    options = alert_settings()
    now = timezone.now()
    alert = CriticalAlert(
        patient_id=finding.patient_id,
        resource=finding.resource,
        record_id=finding.record_id,
        text=finding.text[:200],
        value=finding.value,
        unit=finding.unit,
        flag=finding.flag,
        clinician_id=clinician_id,
        raised_by_id=acting_user.pk,
        raised_at=now,
        due_at=now + datetime.timedelta(minutes=options.escalation_minutes),
    )
    try:
        with transaction.atomic(using=alias):
            alert.save(using=alias)
    except IntegrityError:  # raised by someone else at the same moment: theirs stands
        return existing.get()
    _audit(acting_user, "critical_alert.raise", alert, client_address, clinician_id=clinician_id)
    _notify(options, alert, [clinician_id], escalated=False)
    return alert


def _audit(
    acting_user: User, action: str, alert: CriticalAlert, client_address: str | None = None, **detail: Any
) -> None:
    """The audit row of `action` on `alert`, naming the record it is about and when it is due."""
    audit_row(
        acting_user,
        action,
        alert,
        client_address,
        alert_id=alert.pk,
        about=alert.resource,
        record_id=alert.record_id,
        due_at=alert.due_at.isoformat(),
        **detail,
    )


def critical_alerts_raise(
    *, acting_user: User, clinician_id: int, findings: Iterable[Finding], client_address: str | None = None
) -> list[CriticalAlert]:
    """`critical_alert_raise` for each finding; the alerts of the critical ones."""
    alerts = (
        critical_alert_raise(
            acting_user=acting_user, clinician_id=clinician_id, finding=finding, client_address=client_address
        )
        for finding in findings
    )
    return [alert for alert in alerts if alert is not None]


def critical_alert_acknowledge(
    *, acting_user: User, alert_id: int, read_back: str, client_address: str | None = None
) -> CriticalAlert:
    """Acknowledge an alert addressed to `acting_user` (the responsible clinician, or the one it
    was escalated to: a doctor with the patient in their care), with a read-back that states the
    value; recorded and audited. Anything else is refused and nothing is recorded."""
    in_scope = patient_scope_filter(user=acting_user, resource=Resource.CRITICAL_ALERT, action=Action.UPDATE)
    control_characters_refuse(read_back=read_back)
    text = " ".join((read_back or "").split())
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        number = record_id(alert_id)
        alert = (
            CriticalAlert.objects.using(alias)
            .select_for_update()
            .filter(in_scope, addressed_to(acting_user), pk=number)
            .first()
            if number is not None
            else None
        )
        if alert is None:
            raise NotFound(ALERT_NOT_FOUND)
        if alert.state == CriticalAlert.State.ACKNOWLEDGED:
            raise ApplicationError("This alert was already acknowledged.")
        _read_back_check(text, alert)
        alert.state = CriticalAlert.State.ACKNOWLEDGED
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by_id = acting_user.pk
        alert.read_back = text
        alert.save(using=alias, update_fields=["state", "acknowledged_at", "acknowledged_by_id", "read_back"])
        _audit(
            acting_user,
            "critical_alert.acknowledge",
            alert,
            client_address,
            read_back=text,
            minutes_after_raised=int((alert.acknowledged_at - alert.raised_at).total_seconds() // 60),
        )
    return alert


def _read_back_check(text: str, alert: CriticalAlert) -> None:
    wanted = f"{alert.value.normalize():f}"
    if not text:
        raise ApplicationError(
            "Write the read-back: the value as you understood it.",
            details={"read_back": [f"Read back the value ({wanted}) and what you will do."]},
        )
    if len(text) > READ_BACK_MAX:
        raise ApplicationError(
            f"The read-back is too long; keep it under {READ_BACK_MAX} characters.",
            details={"read_back": [f"At most {READ_BACK_MAX} characters."]},
        )
    if not states_value(text, alert.value):
        raise ApplicationError(
            f"The read-back does not state the value {wanted}; nothing was recorded. "
            "Read the result back as you were given it.",
            details={"read_back": [f"Write the value {wanted} as part of the read-back."]},
        )


def critical_alerts_escalate(*, now: datetime.datetime | None = None) -> list[CriticalAlert]:
    """Escalate every alert of the current hospital due by `now` and not acknowledged, once each:
    to the hospital's escalation clinician, else another active doctor of the responsible
    clinician's department, else the hospital's administrators. Audited and notified."""
    moment = now or timezone.now()
    tenant = current_tenant()
    if tenant.read_only:  # being moved: its alerts are escalated by the first run after the move
        return []
    alias = tenant.alias
    due = list(
        CriticalAlert.objects.using(alias)
        .filter(state=CriticalAlert.State.OPEN, due_at__lte=moment)
        .order_by("due_at", "id")
    )
    if not due:
        return []
    options = alert_settings()
    auditor = User(username=ESCALATION_ACTOR, role="")
    escalated = []
    for alert in due:
        target, recipients = _escalation_recipients(alert, options)
        with transaction.atomic(using=alias):
            # Only the run that moves it from OPEN escalates it: a second run finds it moved.
            moved = (
                CriticalAlert.objects.using(alias)
                .filter(pk=alert.pk, state=CriticalAlert.State.OPEN)
                .update(state=CriticalAlert.State.ESCALATED, escalated_at=moment, escalated_to_id=target)
            )
            if not moved:
                continue
            alert.state, alert.escalated_at, alert.escalated_to_id = (
                CriticalAlert.State.ESCALATED,
                moment,
                target,
            )
            _audit(
                auditor,
                "critical_alert.escalate",
                alert,
                clinician_id=alert.clinician_id,
                escalated_to_id=target,
                told_ids=recipients,
            )
            _notify(options, alert, recipients, escalated=True)
        escalated.append(alert)
    return escalated


def _escalation_recipients(alert: CriticalAlert, options: AlertSettings) -> tuple[int | None, list[int]]:
    """Who an overdue alert goes to: (the user named on it, everyone told)."""
    code = current_tenant().code
    doctors = User.objects.filter(hospital__code=code, role=Role.DOCTOR, is_active=True).exclude(
        pk=alert.clinician_id
    )
    chosen = options.escalation_clinician_id
    if chosen is not None and doctors.filter(pk=chosen).exists():
        return chosen, [chosen]
    department = StaffMember.objects.filter(user_id=alert.clinician_id).values("department_id")
    colleagues = list(
        StaffMember.objects.filter(
            department_id__in=department, department__isnull=False, role=Role.DOCTOR, is_active=True
        )
        .exclude(user_id=alert.clinician_id)
        .order_by("id")
        .values_list("user_id", flat=True)
    )
    active = set(doctors.filter(pk__in=colleagues).values_list("pk", flat=True))
    for colleague in colleagues:
        if colleague in active:
            return colleague, [colleague]
    admins = list(
        User.objects.filter(hospital__code=code, role=Role.ADMIN, is_active=True)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    return (admins[0] if admins else None), admins


def _notify(options: AlertSettings, alert: CriticalAlert, user_ids: list[int], *, escalated: bool) -> None:
    """Tell `user_ids` through the hospital's channels once the transaction commits (no patient data)."""
    keys = list(options.channels)
    if not keys or not user_ids:
        return
    tenant = current_tenant()
    hospital = get_hospital(tenant.code)
    path = reverse("alerts:list", kwargs={"hospital_code": tenant.code})
    due = timezone.localtime(alert.due_at, timezone=zoneinfo.ZoneInfo(hospital.time_zone))
    if escalated:
        subject = f"Escalated critical result at {hospital.name}"
        body = (
            f"A critical result at {hospital.name} was not acknowledged in time and has been "
            "escalated to you. Please make sure a clinician acts on it and acknowledges it."
        )
    else:
        subject = f"Critical result for your patient at {hospital.name}"
        body = (
            f"A critical result of one of your patients at {hospital.name} waits for your acknowledgement. "
            f"If it is not acknowledged by {due:%H:%M} {zone_abbreviation(due)} it is escalated."
        )
    notice = Notice(subject=subject, body=body, url=f"{settings.HMS_SITE_URL.rstrip('/')}{path}")

    def send() -> None:
        recipients = list(User.objects.filter(pk__in=user_ids, is_active=True))
        channels_send(keys, notice, recipients)

    transaction.on_commit(send, using=tenant.alias)
