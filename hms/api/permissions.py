"""Who may call an endpoint at all; what they may do there is the services' (the permission matrix).

A hospital endpoint needs a token whose user the hospital middleware let into the hospital
(the matrix, care scope and break-the-glass are then applied by the services and selectors
the view calls, as for a page). A platform endpoint needs the SUPERADMIN.
"""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from hms.accounts.models import User


class TokenHolder(BasePermission):
    """Any active account with a live token."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, User) and request.user.is_active


class HospitalMember(TokenHolder):
    """A token holder the hospital middleware has let into the hospital of the address."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return (
            super().has_permission(request, view) and getattr(request._request, "hospital", None) is not None
        )


class PlatformOperator(TokenHolder):
    """The platform's super-administrator (the `/platform/` console's users)."""

    message = "Only the platform operator may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and request.user.is_superadmin
