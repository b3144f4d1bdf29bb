"""Free text typed by people: one set of rules for storing it."""

import unicodedata

from hms.core.exceptions import ApplicationError

# Tab, line feed and carriage return are text; every other control character (NUL among
# them, which PostgreSQL refuses outright) is not.
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def has_control_characters(text: str) -> bool:
    return any(c not in _ALLOWED_CONTROLS and unicodedata.category(c) == "Cc" for c in text)


def text_clean(value: str | None, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    """The text trimmed, with its white space folded to single spaces.

    ApplicationError (naming `field`, for the form) if it holds a control character,
    is longer than `max_length`, or is empty when `required`.
    """
    raw = value or ""
    if has_control_characters(raw):
        raise ApplicationError(
            f"{label} contains a character that cannot be stored.",
            details={field: ["Remove the control characters (such as NUL)."]},
        )
    text = " ".join(raw.split())
    if required and not text:
        raise ApplicationError(f"{label} is required.", details={field: ["This field is required."]})
    if len(text) > max_length:
        raise ApplicationError(
            f"{label} is too long ({len(text)} characters; at most {max_length}).",
            details={field: [f"At most {max_length} characters."]},
        )
    return text
