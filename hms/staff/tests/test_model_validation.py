"""A model's own validation, turned into the services' refusal: every problem named by field."""

import pytest

from hms.core.exceptions import ApplicationError
from hms.core.validation import model_valid, validation_errors
from hms.staff.models import Department


def test_model_valid_refuses_with_the_callers_words_and_each_field():
    with pytest.raises(ApplicationError) as refused:
        model_valid(
            Department(name="", code="X" * 17),
            "The department is not valid.",
            validate_unique=False,
            validate_constraints=False,
        )
    assert refused.value.message == "The department is not valid."
    assert set(refused.value.details) == {"name", "code"}


def test_model_valid_passes_a_valid_row():
    model_valid(
        Department(name="Cardiology", code="CARD"),
        "unused",
        validate_unique=False,
        validate_constraints=False,
    )


def test_validation_errors_adds_to_the_problems_already_found():
    errors = {"name": ["Found by the caller."], "other": ["Kept."]}
    validation_errors(
        Department(name="", code="CARD"), errors, validate_unique=False, validate_constraints=False
    )
    assert errors["other"] == ["Kept."]
    assert errors["name"][0] == "Found by the caller."
    assert len(errors["name"]) == 2
    assert "code" not in errors
