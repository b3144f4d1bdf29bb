"""Voiding: clinical records are never deleted; they are voided, by someone, for a reason.

`VoidableQuerySet.live()` leaves voided rows out; `void_reason_clean` is the reason's rules
(hms.core.text.reason_clean, required); `mark_voided` sets the three fields. The audited
operation that every record type uses is `hms.care.voiding.record_void`.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.utils import timezone

from hms.core.text import REASON_MAX, reason_clean

if TYPE_CHECKING:
    from hms.core.models import VoidableModel

__all__ = ["REASON_MAX", "VoidableQuerySet", "mark_voided", "void_reason_clean"]

_M = TypeVar("_M", bound=models.Model)


class VoidableQuerySet(models.QuerySet[_M]):
    def live(self) -> "VoidableQuerySet[_M]":
        """Rows not voided."""
        return self.filter(voided_at__isnull=True)

    def voided(self) -> "VoidableQuerySet[_M]":
        return self.filter(voided_at__isnull=False)


def void_reason_clean(reason: str | None) -> str:
    """The reason, trimmed and with white space folded; refused if empty, too long or unprintable."""
    return reason_clean(reason, missing="Give a reason for voiding.")


def mark_voided(row: "VoidableModel", *, user_id: int, reason: str, also: Sequence[str] = ()) -> None:
    """Set who voided the row, when and why, and save those fields (reason already cleaned).

    `also` names fields the caller changed on the row that must be saved with the void
    (a status the database requires to change in the same write).
    """
    row.voided_at = timezone.now()
    row.voided_by_id = user_id
    row.void_reason = reason
    fields: list[Any] = ["voided_at", "voided_by_id", "void_reason", *also]
    if any(field.name == "updated_at" for field in row._meta.concrete_fields):
        fields.append("updated_at")
    row.save(update_fields=fields)
