"""The API's inputs made from the patient page's forms refuse what the forms refuse."""

import pytest
from django import forms

from hms.api.patients import IdentifierInput, NextOfKinInput
from hms.api.serializers import input_from_form
from hms.patients.forms import IdentifierForm, NextOfKinForm

CASES = [
    (IdentifierForm, IdentifierInput, {"system": "PASSPORT", "value": "P-1"}),
    (IdentifierForm, IdentifierInput, {"system": "PASSPORT", "value": "P" * 65}),
    (IdentifierForm, IdentifierInput, {"system": "NOPE", "value": "P-1"}),
    (IdentifierForm, IdentifierInput, {"system": "PASSPORT", "value": ""}),
    (IdentifierForm, IdentifierInput, {"system": "PASSPORT"}),
    (NextOfKinForm, NextOfKinInput, {"name": "Ada", "relationship": "Sister"}),
    (NextOfKinForm, NextOfKinInput, {"name": "Ada", "relationship": "Sister", "phone": "1" * 41}),
    (NextOfKinForm, NextOfKinInput, {"name": "A" * 201, "relationship": "Sister", "phone": ""}),
    (NextOfKinForm, NextOfKinInput, {"name": "Ada", "relationship": "S" * 51}),
]


@pytest.mark.parametrize(("form_class", "input_class", "data"), CASES)
def test_the_api_refuses_what_the_form_refuses(form_class, input_class, data):
    form = form_class(data)
    given = input_class(data=data)
    assert given.is_valid() == form.is_valid()
    if form.is_valid():
        assert dict(given.validated_data) == form.cleaned_data
    else:
        assert set(given.errors) == set(form.errors)


def test_a_kind_of_field_it_does_not_know_is_refused_at_once():
    class WithEmail(forms.Form):
        email = forms.EmailField()

    with pytest.raises(TypeError):
        input_from_form("WithEmailInput", WithEmail)
