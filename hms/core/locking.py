"""Fetching the row a write is about, locked until the write's transaction ends."""

from typing import Any, TypeVar

from django.db import models

Row = TypeVar("Row", bound=models.Model)


def row_locked(model: type[Row], refusal: Exception, /, **lookup: Any) -> Row:
    """The row of `model` that `lookup` names, locked (SELECT ... FOR UPDATE) until the caller's
    transaction ends; `refusal` (NotFound, or an ApplicationError in the caller's words) if none.

    For rows the caller has already scoped, or that are about no patient; a row of a patient's
    record is fetched through hms.care.access.record_lock, which checks the user's right to it.
    """
    row = model._default_manager.select_for_update().filter(**lookup).first()
    if row is None:
        raise refusal
    return row
