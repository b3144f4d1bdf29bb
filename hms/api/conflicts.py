"""Refusals that name the stored record they clash with, answered as 409s carrying its id."""

from hms.api.errors import Conflict
from hms.core.exceptions import ApplicationError


def conflict_naming(error: ApplicationError, key: str) -> ApplicationError:
    """A refusal that names the stored record it clashes with (`details[key]`, an id: the visit's
    invoice, the encounter already in progress) as a 409 carrying that id; any other as it is."""
    existing = error.details.get(key)
    if isinstance(existing, int) and not isinstance(existing, bool):
        return Conflict(error.message, extra={key: existing})
    return error
