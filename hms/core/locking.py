"""Writes that meet other writes: the row a write is about, locked until its transaction ends,
and a write refused in the user's words when another one took its row at the same moment."""

import contextlib
from collections.abc import Iterator
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from hms.core.exceptions import ApplicationError

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


@contextlib.contextmanager
def atomic_write(*, using: str, raced: str) -> Iterator[None]:
    """A write's transaction on the database `using`; if the database refuses a row because
    another write took it at the same moment (a unique constraint), nothing is written and the
    user is told `raced` (ApplicationError)."""
    try:
        with transaction.atomic(using=using):
            yield
    except IntegrityError as exc:
        raise ApplicationError(raced) from exc
