"""A model's own validation (full_clean) as a service's refusal, every problem named by field."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from hms.core.exceptions import ApplicationError

Errors = dict[str, list[str]]


def model_valid(row: models.Model, message: str, **clean: Any) -> None:
    """Refuse `row` (ApplicationError `message`, its problems by field) unless its
    full_clean(**clean) passes."""
    try:
        row.full_clean(**clean)
    except ValidationError as exc:
        raise ApplicationError(message, details=exc.message_dict) from exc


def validation_errors(row: models.Model, errors: Errors, **clean: Any) -> None:
    """Add what `row`'s full_clean(**clean) refuses to `errors`, by field, for the caller to
    refuse together with the problems it found itself."""
    try:
        row.full_clean(**clean)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
