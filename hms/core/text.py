"""Free text typed by people: one set of rules for storing it.

Tab, line feed and carriage return are text; every other control character (Unicode
category Cc: NUL, which PostgreSQL refuses outright, escape, the C1 controls) is not:
it is a pasted binary or a probe, never something a person meant. Forms refuse it in
every text field (hms.core.forms.PlainTextMixin); services refuse it again with
`control_characters_refuse` or `text_clean`, so a caller that skips the form (a command,
later the API) meets the same rule on SQLite and PostgreSQL alike.
"""

import unicodedata
from typing import TypeVar, cast

from hms.core.exceptions import ApplicationError

_ALLOWED_CONTROLS = frozenset("\t\n\r")
Stored = TypeVar("Stored")
REASON_MAX = 255  # the length of every stored reason (void, stop, cancel, correction, visit)
CONTROL_CHARACTERS_MESSAGE = "Remove the control characters (such as NUL); they cannot be stored."


def has_control_characters(text: str) -> bool:
    return any(c not in _ALLOWED_CONTROLS and unicodedata.category(c) == "Cc" for c in text)


def control_characters_refuse(**texts: object) -> None:
    """ApplicationError naming each field (keyword) whose text holds a control character.

    Values that are not text (None, numbers, dates) are let through: they are not typed text.
    """
    bad = {
        field: [CONTROL_CHARACTERS_MESSAGE]
        for field, text in texts.items()
        if isinstance(text, str) and has_control_characters(text)
    }
    if bad:
        raise ApplicationError("Some text contains a character that cannot be stored.", details=bad)


def text_clean(
    value: str | None,
    *,
    field: str,
    label: str,
    max_length: int,
    required: bool = False,
    missing: str | None = None,
) -> str:
    """The text trimmed, with its white space folded to single spaces.

    ApplicationError (naming `field`, for the form) if it holds a control character,
    is longer than `max_length`, or is empty when `required` (`missing` says so in the
    caller's words; "<label> is required." if not given).
    """
    raw = value or ""
    if has_control_characters(raw):
        raise ApplicationError(
            f"{label} contains a character that cannot be stored.",
            details={field: [CONTROL_CHARACTERS_MESSAGE]},
        )
    text = " ".join(raw.split())
    if required and not text:
        raise ApplicationError(
            missing or f"{label} is required.", details={field: ["This field is required."]}
        )
    if len(text) > max_length:
        raise ApplicationError(
            f"{label} is too long ({len(text)} characters; at most {max_length}).",
            details={field: [f"At most {max_length} characters."]},
        )
    return text


def reason_clean(reason: str | None, *, label: str = "The reason", missing: str | None = None) -> str:
    """A reason (for voiding, stopping, cancelling, correcting, for a visit) as it is stored.

    Required when `missing` is given (the words for its absence: "Give a reason for voiding.").
    """
    return text_clean(
        reason,
        field="reason",
        label=label,
        max_length=REASON_MAX,
        required=missing is not None,
        missing=missing,
    )


def storable(value: Stored) -> Stored:
    """`value` with every control character in its strings replaced by U+FFFD, through lists and
    dicts: for recording what someone sent (a path, a typed user name) where refusing it is not
    an option (a security log must record the hostile request, and PostgreSQL stores no NUL)."""
    if isinstance(value, str):
        if not has_control_characters(value):
            return value
        return cast(Stored, "".join("\ufffd" if has_control_characters(c) else c for c in value))
    if isinstance(value, dict):
        return cast(Stored, {storable(k): storable(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return cast(Stored, [storable(v) for v in value])
    return value
