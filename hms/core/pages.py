"""The web kit every app's pages use: one decorator for hospital pages, a posted form handed to its
service (and its refusal shown on the form), one page size and paginator.

A hospital page is reached under /h/<CODE>/ (HospitalMiddleware has selected the
hospital and activated its time zone); the view parses input with a form, calls one
service or selector, and renders. Refusals become 403/404 in one place
(hms.core.http.refusals_as_http); other ApplicationErrors go beside the form with
`form_error_show` and status 400.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from hms.core.exceptions import ApplicationError
from hms.core.http import client_address, refusals_as_http

PAGE_SIZE = 25

View = TypeVar("View", bound=Callable[..., HttpResponse])
Done = TypeVar("Done")


def hospital_page(*methods: str) -> Callable[[View], View]:
    """Sign-in required, only `methods` allowed (default GET and HEAD), service refusals as 403/404.

    `@hospital_page()` for a page, `@hospital_page("POST")` for a form's target,
    `@hospital_page("GET", "POST")` for a page that shows and takes its own form.
    """
    allowed = list(methods or ("GET", "HEAD"))
    if "GET" in allowed and "HEAD" not in allowed:
        allowed.append("HEAD")

    def decorate(view: View) -> View:
        return login_required(require_http_methods(allowed)(refusals_as_http(view)))  # type: ignore[return-value]

    return decorate


def form_error_show(
    form: forms.BaseForm, error: ApplicationError, *, field_names: Mapping[str, str] | None = None
) -> None:
    """Show a service's refusal on the form: its message on top, its details beside the fields.

    `field_names` maps a service's detail keys to the form's field names where they differ.
    """
    form.add_error(None, error.message)
    names = field_names or {}
    for key, messages in error.details.items():
        if not isinstance(messages, list) or key == "suggestions":
            continue
        field = names.get(key, key)
        for message in messages:
            text = str(message)
            if field in form.fields:
                form.add_error(field, text)
            elif text != error.message:
                form.add_error(None, text)


def form_submit(
    request: HttpRequest,
    form: forms.BaseForm,
    service: Callable[..., Done],
    *,
    field_names: Mapping[str, str] | None = None,
    **arguments: Any,
) -> Done | None:
    """What `service` made of a posted form, or None: the form did not read, or the service
    refused (form_error_show has put its reason on the form).

    The service is called as services are: the acting user, the client's address, `arguments`
    (the record it acts on: `note=note_id`) and the form's cleaned values, whose names are the
    service's. A service that returns nothing was done when the bound form has no errors.
    """
    if not form.is_valid():
        return None
    try:
        return service(
            acting_user=request.user, client_address=client_address(request), **arguments, **form.cleaned_data
        )
    except ApplicationError as error:
        form_error_show(form, error, field_names=field_names)
        return None


def page_of(
    rows: "QuerySet[Any] | Sequence[Any]", number: int | str | None, *, per_page: int = PAGE_SIZE
) -> Page:
    """One page of `rows` (an ordered queryset or a list); a junk or out-of-range number gives the
    nearest page. Its rows are read now, inside the caller's transaction (where a read is audited
    with them). Templates show it with {% include "core/_pagination.html" %}."""
    page = Paginator(rows, per_page).get_page(number)
    page.object_list = list(page.object_list)
    return page
