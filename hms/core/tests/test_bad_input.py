"""Bad input: every form of the project, and the shared rules for numbers and text.

The walk imports every `hms.<app>.forms` module and posts, one field at a time, text with
a control character into each text field and overflow, NaN and infinity into each number
field: each must be refused beside its field, never raise.
"""

import importlib
import inspect
import pkgutil
from decimal import Decimal

import pytest
from django import forms

import hms
from hms.core.exceptions import ApplicationError
from hms.core.forms import DecimalTextField, PlainTextForm, PlainTextMixin, WholeNumberTextField
from hms.core.numbers import NumberError, decimal_parse
from hms.core.text import control_characters_refuse, has_control_characters, reason_clean, text_clean
from hms.tenancy.context import hospital_context

# Forms that are not on PlainTextForm, each with its reason (none today).
NOT_YET_PLAIN_TEXT: set[str] = set()
CONTROL_TEXTS = ["a\x00b", "a\x1bb", "a\x7fb", "a\x85b", "\x08"]
BAD_NUMBERS = ["1e999999999", "NaN", "Infinity", "-inf", "sNaN", "9" * 41, "1_000", "0x10"]
NUMBER_FIELDS = (forms.DecimalField, forms.FloatField, forms.IntegerField, DecimalTextField)


def _form_classes() -> list[type[forms.BaseForm]]:
    found = []
    for app in pkgutil.iter_modules(hms.__path__):
        try:
            module = importlib.import_module(f"hms.{app.name}.forms")
        except ModuleNotFoundError as exc:
            if exc.name != f"hms.{app.name}.forms":
                raise
            continue
        found += [
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__
        ]
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


FORMS = _form_classes()


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _made(cls: type[forms.BaseForm], **kwargs: object) -> forms.BaseForm:
    """An instance; a keyword the form requires (the choices it offers) is given empty."""
    required = [
        name
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if parameter.kind is parameter.KEYWORD_ONLY and parameter.default is parameter.empty
    ]
    return cls(**{name: [] for name in required}, **kwargs)


def _bound(cls: type[forms.BaseForm], name: str, value: str) -> forms.BaseForm:
    form = _made(cls, data={name: value})
    form.is_valid()
    return form


@pytest.fixture
def in_a_hospital(make_hospital):
    """Some forms look a name up in the hospital once it reads; they are walked inside one."""
    make_hospital("TH001")
    with hospital_context("TH001"):
        yield


def test_the_walk_finds_the_forms_of_every_app():
    names = {_name(cls) for cls in FORMS}
    for expected in (
        "hms.billing.forms.PaymentForm",
        "hms.billing.forms.PriceItemForm",
        "hms.encounters.forms.VitalsForm",
        "hms.orders.forms.ReasonForm",
        "hms.patients.forms.RegistrationForm",
        "hms.scheduling.forms.AppointmentBookForm",
        "hms.staff.forms.DepartmentForm",
        "hms.accounts.forms.TokenForm",
    ):
        assert expected in names


@pytest.mark.parametrize("cls", FORMS, ids=_name)
def test_every_form_is_based_on_plain_text(cls):
    if _name(cls) in NOT_YET_PLAIN_TEXT:
        pytest.skip("owned by another app's engineers; not yet on PlainTextForm")
    assert issubclass(cls, PlainTextMixin), f"{_name(cls)}: base it on hms.core.forms.PlainTextForm"


@pytest.mark.django_db
@pytest.mark.usefixtures("in_a_hospital")
@pytest.mark.parametrize("cls", FORMS, ids=_name)
def test_every_text_field_refuses_control_characters(cls):
    texts = ["a\x00b"] if _name(cls) in NOT_YET_PLAIN_TEXT else CONTROL_TEXTS
    fields = _made(cls).fields  # an instance's: forms add fields in __init__
    checked = 0
    for name, field in fields.items():
        if not isinstance(field, forms.CharField):
            continue
        for text in texts:
            form = _bound(cls, name, text)
            assert name in form.errors, f"{_name(cls)}.{name} took {text!r}"
        checked += 1
        # Tab, line feed and carriage return are text, not refused as control characters.
        allowed = _bound(cls, name, "a\tb\r\nc")
        assert "control characters" not in " ".join(allowed.errors.get(name, []))
    if not checked:
        pytest.skip("no text fields")


@pytest.mark.django_db
@pytest.mark.usefixtures("in_a_hospital")
@pytest.mark.parametrize("cls", FORMS, ids=_name)
def test_every_number_field_refuses_overflow_nan_and_infinity(cls):
    fields = {name: field for name, field in _made(cls).fields.items() if isinstance(field, NUMBER_FIELDS)}
    if not fields:
        pytest.skip("no number fields")
    for name in fields:
        for typed in BAD_NUMBERS:
            form = _bound(cls, name, typed)
            assert name in form.errors, f"{_name(cls)}.{name} took {typed!r}"


def test_a_form_refuses_control_characters_before_its_own_clean_sees_them():
    seen = []

    class Probe(PlainTextForm):
        name = forms.CharField()

        def clean_name(self) -> str:
            seen.append(self.cleaned_data["name"])
            return self.cleaned_data["name"]

    form = Probe(data={"name": "x\x1by"})
    assert not form.is_valid() and seen == []
    assert form.errors["name"] == ["Remove the control characters (such as NUL); they cannot be stored."]
    added = Probe(data={"name": "ok", "later": "a\x00b"})
    added.fields["later"] = forms.CharField()  # a field added after __init__ is checked too
    assert not added.is_valid() and list(added.errors) == ["later"]


# The rules themselves


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("12.5", Decimal("12.50")),
        (" 7 ", Decimal("7.00")),
        ("-0", Decimal("0.00")),
        ("999.99", Decimal("999.99")),
        (Decimal("0E+999999999"), Decimal("0.00")),
        (12, Decimal("12.00")),
        ("১২", Decimal("12.00")),  # Bengali digits
    ],
)
def test_decimal_parse_keeps_numbers_that_fit(typed, kept):
    value = decimal_parse(typed, field="amount", label="The amount", max_digits=5, decimal_places=2)
    assert value == kept and value.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e999999999", "must be a number"),
        ("NaN", "must be a number"),
        ("Infinity", "must be a number"),
        ("-inf", "must be a number"),
        ("1,5", "must be a number"),
        ("", "must be a number"),
        (1.5, "must be a number"),  # never a float
        (True, "must be a number"),
        (None, "must be a number"),
        (Decimal("NaN"), "must be a number"),
        (Decimal("-Infinity"), "must be a number"),
        (Decimal("1e999999999"), "too large"),
        (Decimal("-1e999999999"), "too large"),
        (10**400, "too large"),
        ("1000", "too large"),
        ("1.234", "at most 2 decimals"),
        (Decimal("1e-999999999"), "at most 2 decimals"),
    ],
)
def test_decimal_parse_refuses_what_cannot_be_kept_naming_the_field(typed, message):
    with pytest.raises(NumberError, match=message) as raised:
        decimal_parse(typed, field="amount", label="The amount", max_digits=5, decimal_places=2)
    assert raised.value.message.startswith("The amount")
    assert list(raised.value.details) == ["amount"]
    assert isinstance(raised.value, ApplicationError) and isinstance(raised.value, ValueError)


def test_decimal_parse_rounds_when_asked_and_refuses_a_rounding_past_the_limit():
    def parse(typed):
        return decimal_parse(typed, field="x", label="X", max_digits=5, decimal_places=2, rounding=True)

    assert parse("2.345") == Decimal("2.35") and parse(Decimal("1e-999999999")) == 0
    with pytest.raises(NumberError, match="too large"):
        parse("999.995")


def test_whole_number_fields_read_ints():
    field = WholeNumberTextField(max_digits=3, label="The duration")
    assert field.clean("12") == 12 and field.clean("12.0") == 12
    for typed in ("2.5", "1000", "1e2"):
        with pytest.raises(forms.ValidationError):
            field.clean(typed)


def test_control_characters_are_every_cc_but_tab_lf_cr():
    assert not has_control_characters("Rahima Khatun\tward 3\r\n")
    for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]:
        if chr(code) not in "\t\n\r":
            assert has_control_characters(f"a{chr(code)}b"), hex(code)
    with pytest.raises(ApplicationError) as raised:
        control_characters_refuse(name="ok", note="x\x00", day=None, count=3)
    assert list(raised.value.details) == ["note"]


def test_text_and_reasons_share_one_rule():
    assert text_clean("  a \n b ", field="f", label="F", max_length=5) == "a b"
    assert reason_clean("  Entered   in error ", missing="Give a reason.") == "Entered in error"
    assert reason_clean("", label="The reason for the visit") == ""
    for bad, message in (("", "Give a reason."), ("x\x00", "cannot be stored"), ("x" * 256, "too long")):
        with pytest.raises(ApplicationError, match=message) as raised:
            reason_clean(bad, missing="Give a reason.")
        assert list(raised.value.details) == ["reason"]
