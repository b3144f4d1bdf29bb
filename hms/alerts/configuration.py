"""The hospital's alert settings: read them (the defaults until the ADMIN saves them), change them."""

from collections.abc import Iterable

from django.db import transaction

from hms.accounts.models import Role, User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.alerts.channels import CHANNELS
from hms.alerts.models import (
    DEFAULT_ESCALATION_MINUTES,
    ESCALATION_MINUTES_MAX,
    ESCALATION_MINUTES_MIN,
    AlertSettings,
)
from hms.audit.records import audit_row
from hms.core.exceptions import ApplicationError
from hms.tenancy.context import current_tenant

# Channels a hospital has until its ADMIN chooses: e-mail, where the clinician has an address.
DEFAULT_CHANNELS = ["email"]


def alert_settings() -> AlertSettings:
    """The current hospital's settings; until saved, the defaults (not saved)."""
    alias = current_tenant().alias
    row = AlertSettings.objects.using(alias).filter(pk=1).first()
    if row is not None:
        return row
    return AlertSettings(pk=1, escalation_minutes=DEFAULT_ESCALATION_MINUTES, channels=list(DEFAULT_CHANNELS))


def hospital_doctors() -> list[User]:
    """The current hospital's active doctors, by name: who an escalation may go to."""
    return list(
        User.objects.filter(hospital__code=current_tenant().code, role=Role.DOCTOR, is_active=True).order_by(
            "last_name", "first_name", "username"
        )
    )


def alert_settings_update(
    *,
    acting_user: User,
    escalation_minutes: int,
    escalation_clinician_id: int | None,
    channels: Iterable[str],
    client_address: str | None = None,
) -> AlertSettings:
    """Change the settings (ADMIN), audited with the values before and after. Alerts already
    raised keep the time they are due; the new time applies to alerts raised next."""
    permission_require(user=acting_user, resource=Resource.ALERT_SETTINGS, action=Action.UPDATE)
    chosen = sorted(set(channels))
    errors: dict[str, list[str]] = {}
    if not ESCALATION_MINUTES_MIN <= escalation_minutes <= ESCALATION_MINUTES_MAX:
        errors["escalation_minutes"] = [
            f"Choose between {ESCALATION_MINUTES_MIN} and {ESCALATION_MINUTES_MAX} minutes."
        ]
    if escalation_clinician_id is not None and escalation_clinician_id not in {
        doctor.pk for doctor in hospital_doctors()
    }:
        errors["escalation_clinician_id"] = ["Choose an active doctor of this hospital."]
    if unknown := [key for key in chosen if key not in CHANNELS]:
        errors["channels"] = [f"No such channel: {', '.join(unknown)}."]
    if errors:
        raise ApplicationError("The alert settings were not changed.", details=errors)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        row = AlertSettings.objects.using(alias).select_for_update().filter(pk=1).first() or alert_settings()
        before = {
            "escalation_minutes": row.escalation_minutes,
            "escalation_clinician_id": row.escalation_clinician_id,
            "channels": list(row.channels),
        }
        row.escalation_minutes = escalation_minutes
        row.escalation_clinician_id = escalation_clinician_id
        row.channels = chosen
        row.save(using=alias)
        after = {
            "escalation_minutes": escalation_minutes,
            "escalation_clinician_id": escalation_clinician_id,
            "channels": chosen,
        }
        changed = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
        audit_row(acting_user, "alert_settings.update", row, client_address, changed=changed)
    return row
