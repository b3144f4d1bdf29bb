"""Making a new hospital's first administrator, for the operator's command and admin.

The engine imports no app above it, and an administrator is an account (hms.accounts)
with a staff record (hms.staff): the staff app registers the maker here at start-up
(hms.staff.apps), as the audit app registers its refusal listener with the core.
"""

from collections.abc import Callable
from typing import Any, Protocol

from hms.hospitals.models import Hospital
from hms.tenancy.exceptions import TenancyError


class FirstAdmin(Protocol):
    """What a maker returns: the account made and the one-time set-password path for it."""

    @property
    def set_password_path(self) -> str: ...


FirstAdminMaker = Callable[..., FirstAdmin]
_makers: list[FirstAdminMaker] = []


def first_admin_maker_set(maker: FirstAdminMaker) -> None:
    """Register `maker(hospital=, username=, email=, first_name=, last_name=, acting_user=)`."""
    _makers[:] = [maker]


def first_admin_create(*, hospital: Hospital, **details: Any) -> FirstAdmin:
    """The hospital's first administrator, made by the registered maker (its refusals are its own)."""
    if not _makers:
        raise TenancyError("No application is installed that makes a hospital's administrator (hms.staff).")
    return _makers[0](hospital=hospital, **details)
