"""The web kit: the id converter, the hospital-page decorator, service errors on forms, pages, styles."""

import pytest
from django import forms
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import include, path, resolve, reverse
from django.urls.exceptions import Resolver404

from hms.accounts.models import Role
from hms.core.converters import RecordIdConverter
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.core.pages import PAGE_SIZE, form_error_show, form_submit, hospital_page, page_of


@hospital_page("GET", "POST")
def _record(request, record_id):
    if record_id == 403:
        raise NotAllowed("Not for you.")
    if record_id == 404:
        raise NotFound("No such record here.")
    return HttpResponse(f"record {record_id} ({type(record_id).__name__})")


urlpatterns = [
    path("", include("hms.accounts.urls")),
    path("records/<id:record_id>/", _record, name="record"),
]


@pytest.fixture
def records(settings):
    settings.ROOT_URLCONF = __name__


@pytest.mark.parametrize("junk", ["0", "01x", "-1", "9" * 20, "9223372036854775808", "١٢", " 1", "1.0"])
def test_the_id_converter_matches_only_record_ids(records, junk):
    with pytest.raises(Resolver404):
        resolve(f"/records/{junk}/")


def test_the_id_converter_gives_an_int_and_builds_urls(records):
    assert resolve("/records/9223372036854775807/").kwargs == {"record_id": 2**63 - 1}
    assert reverse("record", kwargs={"record_id": 7}) == "/records/7/"
    with pytest.raises(ValueError):
        RecordIdConverter().to_url(0)


@pytest.mark.django_db
def test_a_hospital_page_needs_sign_in_allowed_methods_and_turns_refusals_into_403_404(
    records, client, make_user
):
    assert client.get("/records/5/").status_code == 302  # to the login page
    client.force_login(make_user("reader", role=Role.SUPERADMIN))
    response = client.get("/records/5/")
    assert (response.status_code, response.content) == (200, b"record 5 (int)")
    assert client.head("/records/5/").status_code == 200
    assert client.post("/records/5/").status_code == 200
    assert client.put("/records/5/").status_code == 405
    assert client.get("/records/403/").status_code == 403
    assert client.get("/records/404/").status_code == 404


def test_hospital_page_defaults_to_get_and_head():
    view = hospital_page()(lambda request: HttpResponse("ok"))
    request = RequestFactory().post("/")
    request.user = type("Signed", (), {"is_authenticated": True})()
    assert view(request).status_code == 405


class _Form(forms.Form):
    reason = forms.CharField()
    dose = forms.CharField()


def test_a_service_error_goes_on_top_of_the_form_and_beside_its_fields():
    form = _Form({"reason": "x", "dose": "y"})
    assert form.is_valid()
    error = ApplicationError(
        "Not prescribed.",
        details={"amount": ["Too much."], "other": ["Check the patient."], "suggestions": ["ignored"]},
    )
    form_error_show(form, error, field_names={"amount": "dose"})
    assert form.errors == {
        "__all__": ["Not prescribed.", "Check the patient."],
        "dose": ["Too much."],
    }


def test_form_submit_calls_the_service_as_services_are_called_and_gives_what_it_made():
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.5")
    request.user = "the user"
    calls = []

    def service(**arguments):
        calls.append(arguments)
        return "made"

    assert form_submit(request, _Form({"reason": "x", "dose": "y"}), service, note=7) == "made"
    assert calls == [
        {"acting_user": "the user", "client_address": "203.0.113.5", "note": 7, "reason": "x", "dose": "y"}
    ]


def test_form_submit_gives_none_for_a_form_that_does_not_read_or_a_refusal_shown_on_the_form():
    request = RequestFactory().post("/")
    request.user = "the user"

    def refuse(**arguments):
        raise ApplicationError("Not prescribed.", details={"amount": ["Too much."]})

    def never(**arguments):
        raise AssertionError("a form that does not read reaches no service")

    assert form_submit(request, _Form(), never) is None  # not posted
    assert form_submit(request, _Form({"dose": "y"}), never) is None  # no reason
    refused = _Form({"reason": "x", "dose": "y"})
    assert form_submit(request, refused, refuse, field_names={"amount": "dose"}) is None
    assert refused.errors == {"__all__": ["Not prescribed."], "dose": ["Too much."]}


def test_page_of_gives_the_nearest_page_for_junk_numbers():
    rows = list(range(PAGE_SIZE * 2 + 1))
    assert list(page_of(rows, 2).object_list) == rows[PAGE_SIZE : PAGE_SIZE * 2]
    assert page_of(rows, "junk").number == 1
    assert page_of(rows, 99).number == 3


@pytest.mark.django_db
def test_styles_are_a_static_file_and_pages_have_no_inline_style(client, make_user):
    response = client.get("/static/hms/hms.css")
    assert response.status_code == 200
    assert b".errorlist" in b"".join(response.streaming_content)
    page = client.get("/login/").content.decode()
    assert "<style" not in page and "/static/hms/hms.css" in page
