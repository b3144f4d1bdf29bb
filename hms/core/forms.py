"""What every form of the project shares: text is plain text, numbers are read by one rule.

Base a form on `PlainTextForm` (or mix `PlainTextMixin` into a form of Django's, such as
PasswordResetForm): every field whose value is text refuses control characters
(hms.core.text), including fields added in `__init__`, before any `clean_<field>()` or
`clean()` sees the value (so nothing with a NUL reaches a query). Type a number field as
`DecimalTextField`: hms.core.numbers.decimal_parse reads it, within the model field's
digits and places, and its refusals name the field by its label.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator

from hms.core.ids import record_id
from hms.core.numbers import decimal_parse
from hms.core.text import CONTROL_CHARACTERS_MESSAGE, has_control_characters

if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


def plain_text_validate(value: object) -> None:
    """A field validator: text with a control character (other than tab, LF, CR) is refused."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(CONTROL_CHARACTERS_MESSAGE, code="control_characters")


class PlainTextMixin(_FormBase):
    """Every field of the form refuses text with control characters (its cleaned value, if text)."""

    def full_clean(self) -> None:
        for field in self.fields.values():
            if plain_text_validate not in field.validators:
                # Django's own NUL check says less; this one covers NUL too.
                field.validators = [
                    validator
                    for validator in field.validators
                    if not isinstance(validator, ProhibitNullCharactersValidator)
                ] + [plain_text_validate]
        super().full_clean()


class PlainTextForm(PlainTextMixin, forms.Form):
    """The base of the project's forms."""


class DecimalTextField(forms.Field):
    """A decimal number typed as text (no float on the way, no spinner), as a Decimal or None.

    `max_digits` and `decimal_places` are the model field's; with `rounding`, more decimals
    are rounded half-up rather than refused. Subclasses add their rules in `parse`.
    """

    widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def __init__(
        self, *, max_digits: int, decimal_places: int, rounding: bool = False, **kwargs: Any
    ) -> None:
        self.max_digits, self.decimal_places, self.rounding = max_digits, decimal_places, rounding
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
        if value in self.empty_values:
            return None
        try:
            return self.parse(value)
        except ValueError as exc:  # NumberError, or a subclass's rule
            raise ValidationError(str(exc), code="invalid") from None

    def parse(self, value: object) -> Any:
        """The value kept for `value` (not empty); ValueError (NumberError) with the words if none."""
        return self.decimal(value)

    def decimal(self, value: object) -> Decimal:
        return decimal_parse(
            value,
            field="value",
            label=str(self.label or "The number"),
            max_digits=self.max_digits,
            decimal_places=self.decimal_places,
            rounding=self.rounding,
        )


class WholeNumberTextField(DecimalTextField):
    """A whole number typed as text ("2" or "2.0"; "2.5" is refused), as an int or None."""

    widget = forms.TextInput(attrs={"inputmode": "numeric"})

    def __init__(self, *, max_digits: int, **kwargs: Any) -> None:
        super().__init__(max_digits=max_digits, decimal_places=0, **kwargs)

    def parse(self, value: object) -> Any:
        return int(self.decimal(value))


class RecordIdField(forms.CharField):
    """An optional record id, as a hidden field or a query parameter carries it: the id, None
    when empty; anything else is refused with `invalid` (in the form's words)."""

    def __init__(self, *, invalid: str, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.invalid = invalid

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        number = record_id(text)
        if number is None:
            raise forms.ValidationError(self.invalid, code="invalid")
        return number
