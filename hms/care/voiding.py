"""The one audited way to void a clinical record, for every record type.

Check that the role may void at all (403 before anything else), then the reason
(hms.core.voiding's rules), fetch the row within the user's scope and
lock it, refuse if it is already voided (or if the caller's `check` refuses), set who,
when and why, and write the audit row, all in one transaction. A record type declares how
it is voided once (`Voiding`: its resource, its refusals' words), beside its services.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import transaction

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.care.access import RECORD_NOT_FOUND, author_require, record_lock
from hms.core.exceptions import ApplicationError
from hms.core.models import VoidableModel
from hms.core.voiding import mark_voided, void_reason_clean
from hms.tenancy.context import current_tenant

V = TypeVar("V", bound=VoidableModel)


def record_void(
    model: type[V],
    ref: object,
    *,
    acting_user: User,
    reason: str,
    resource: Resource,
    audit_action: str = "",
    client_address: str | None = None,
    missing: str = RECORD_NOT_FOUND,
    already: str = "This record is already voided.",
    check: Callable[[V], None] | None = None,
    detail: dict[str, Any] | None = None,
    also_save: Sequence[str] = (),
) -> V:
    """Void the row of `model` that `ref` names; ApplicationError if it cannot be, nothing changed.

    The audit row records `{<model>_id: pk, "reason": reason}` (plus `detail`) under
    `audit_action` ("<resource>.void" unless given), for the row's patient. `check` may change
    other fields of the row that must be saved with the void (a status): name them in `also_save`.
    """
    permission_require(user=acting_user, resource=resource, action=Action.VOID)
    reason = void_reason_clean(reason)
    with transaction.atomic(using=current_tenant().alias):
        row = record_lock(model, ref, acting_user, resource, Action.VOID, missing)
        author_require(row, user=acting_user, resource=resource, action=Action.VOID)
        if row.voided_at is not None:
            raise ApplicationError(already)
        if check is not None:
            check(row)
        mark_voided(row, user_id=acting_user.pk, reason=reason, also=also_save)
        row_key = f"{model._meta.model_name}_id"
        audit_row(
            acting_user,
            audit_action or f"{resource}.void",
            row,
            client_address,
            **{row_key: row.pk, "reason": reason, **(detail or {})},
        )
    return row


@dataclass(frozen=True)
class Voiding(Generic[V]):
    """How one record type is voided: its `resource`, the audit action ("<resource>.void" unless
    given) and the words of its refusals (`missing`, `already`)."""

    model: type[V]
    resource: Resource
    missing: str = RECORD_NOT_FOUND
    already: str = "This record is already voided."
    audit_action: str = ""

    def void(
        self, ref: object, acting_user: User, reason: str, client_address: str | None = None, /, **rules: Any
    ) -> V:
        """record_void of the row `ref` names; `rules`: its check, detail and also_save."""
        return record_void(
            self.model,
            ref,
            acting_user=acting_user,
            reason=reason,
            resource=self.resource,
            audit_action=self.audit_action,
            client_address=client_address,
            missing=self.missing,
            already=self.already,
            **rules,
        )
