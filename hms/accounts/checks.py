"""System checks for the sign-in settings: a mistake is reported by `manage.py check`."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from hms.accounts.models import Role
from hms.core.checks import network_list_errors


@register("security")
def sign_in_settings_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = network_list_errors(
        "HMS_TRUSTED_PROXIES",
        settings.HMS_TRUSTED_PROXIES,
        hint="List proxies as addresses or CIDR networks, e.g. 10.0.0.5,10.1.0.0/24.",
        id="accounts.E001",
    )
    if not settings.AXES_COOLOFF_TIME:
        errors.append(
            Error(
                "AXES_COOLOFF_TIME is not set: a lock-out after failed sign-ins would never end.",
                hint="Set HMS_LOCKOUT_MINUTES to a positive number of minutes.",
                id="accounts.E002",
            )
        )
    unknown = [role for role in settings.HMS_MFA_REQUIRED_ROLES if role not in Role.values]
    if unknown:
        errors.append(
            Error(
                f"HMS_MFA_REQUIRED_ROLES names unknown roles: {', '.join(map(str, unknown))}.",
                hint=f"Roles are {', '.join(Role.values)}.",
                id="accounts.E003",
            )
        )
    if settings.HMS_SESSION_IDLE_MINUTES < 1 or settings.HMS_PATIENT_SESSION_IDLE_MINUTES < 1:
        errors.append(Error("Session idle limits must be at least one minute.", id="accounts.E004"))
    if settings.HMS_SESSION_MAX_HOURS < 1:
        errors.append(Error("HMS_SESSION_MAX_HOURS must be at least one hour.", id="accounts.E005"))
    return errors
