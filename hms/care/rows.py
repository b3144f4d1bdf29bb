"""Changing a row a service has fetched (and locked): set the fields, save exactly those."""

import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from hms.accounts.models import User


def row_save(row: models.Model, **fields: Any) -> None:
    """Set `fields` on `row` and save them, with its `updated_at` if it keeps one, and nothing else."""
    for name, value in fields.items():
        setattr(row, name, value)
    stamped = any(field.name == "updated_at" for field in row._meta.concrete_fields)
    row.save(update_fields=[*fields, "updated_at"] if stamped else [*fields])


def row_stamp(
    row: models.Model, user: User, stamp: str, *, at: datetime.datetime | None = None, **fields: Any
) -> None:
    """row_save `fields` with who did it and when: `<stamp>_at` (`at`, else now) and `<stamp>_by_id`.

    `row_stamp(order, user, "collected", status=COLLECTED)` sets collected_at and collected_by_id.
    """
    when = timezone.now() if at is None else at
    row_save(row, **fields, **{f"{stamp}_at": when, f"{stamp}_by_id": user.pk})
