"""Changing a row a service has fetched (and locked): set the fields, save exactly those."""

import datetime
from typing import Any

from django.utils import timezone

from hms.accounts.models import User
from hms.core.models import TimeStampedModel


def row_save(row: TimeStampedModel, **fields: Any) -> None:
    """Set `fields` on `row` and save them, with its `updated_at`, and nothing else."""
    for name, value in fields.items():
        setattr(row, name, value)
    row.save(update_fields=[*fields, "updated_at"])


def row_stamp(
    row: TimeStampedModel, user: User, stamp: str, *, at: datetime.datetime | None = None, **fields: Any
) -> None:
    """row_save `fields` with who did it and when: `<stamp>_at` (`at`, else now) and `<stamp>_by_id`.

    `row_stamp(order, user, "collected", status=COLLECTED)` sets collected_at and collected_by_id.
    """
    when = timezone.now() if at is None else at
    row_save(row, **fields, **{f"{stamp}_at": when, f"{stamp}_by_id": user.pk})
