"""The base of every input serializer: the forms' rules for typed text (hms.core.text).

Every text value of the input that holds a control character (NUL among them) is refused
with a 400 naming its field, as the forms' PlainTextMixin does, before any service sees it.
"""

from typing import Any

from rest_framework import serializers

from hms.core.text import CONTROL_CHARACTERS_MESSAGE, has_control_characters


def _control_characters(value: Any) -> bool:
    if isinstance(value, str):
        return has_control_characters(value)
    if isinstance(value, dict):
        return any(_control_characters(v) or _control_characters(k) for k, v in value.items())
    if isinstance(value, list):
        return any(_control_characters(v) for v in value)
    return False


class InputSerializer(serializers.Serializer):
    """Parses a request's JSON into the typed values a service takes (never writes itself)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            bad = {
                str(field): [CONTROL_CHARACTERS_MESSAGE]
                for field, value in data.items()
                if _control_characters(value)
            }
            if bad:
                raise serializers.ValidationError(bad)
        return super().to_internal_value(data)

    def create(self, validated_data: Any) -> Any:
        raise NotImplementedError("Input serializers parse; the service writes.")

    def update(self, instance: Any, validated_data: Any) -> Any:
        raise NotImplementedError("Input serializers parse; the service writes.")
