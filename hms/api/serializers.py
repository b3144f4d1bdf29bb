"""The base of every input serializer: the forms' rules for typed text (hms.core.text).

Every text value of the input that holds a control character (NUL among them) is refused
with a 400 naming its field, as the forms' PlainTextMixin does, before any service sees it.
`input_from_form` makes the input of a page's form, so the two doors check the same fields.
"""

from typing import Any

from django import forms
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


def _field_from(field: forms.Field) -> serializers.Field:
    # An optional text field of a form cleans to "" when left out or empty: so does the API's.
    optional: dict[str, Any] = (
        {} if field.required else {"required": False, "allow_blank": True, "default": ""}
    )
    # The exact kinds only: a subclass (EmailField, TypedChoiceField...) has rules of its own.
    if type(field) is forms.ChoiceField:
        return serializers.ChoiceField(choices=field.choices, **optional)
    if type(field) is forms.CharField:
        return serializers.CharField(max_length=field.max_length, **optional)
    raise TypeError(f"No API field for a form's {type(field).__name__} yet.")


def input_from_form(name: str, form_class: type[forms.Form]) -> type[InputSerializer]:
    """The input serializer of a page's form: its fields, lengths, choices and required ones.

    The page and the API then refuse the same input, and a rule changed in the form changes
    both. Text and choice fields only: another kind of field is a TypeError at import.
    """
    fields: dict[str, Any] = {
        "__module__": form_class.__module__,
        **{key: _field_from(field) for key, field in form_class.base_fields.items()},
    }
    return type(name, (InputSerializer,), fields)


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """`data` (a request's body or query) checked by `serializer_class`: its validated values,
    or a ValidationError that the API answers as 400 with each field's messages."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
