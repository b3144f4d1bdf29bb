"""The platform console (/platform/): the platform operator's list of hospitals and what they do
to one. Only the SUPERADMIN gets in; everyone else signed in gets 403, as in the rest of the site."""

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from hms.accounts.models import User
from hms.core.exceptions import ApplicationError
from hms.core.http import refusals_as_http
from hms.core.pages import form_error_show
from hms.hospitals.models import Hospital
from hms.platform import services
from hms.platform.forms import ConsoleSearchForm, DatabaseRemoveForm, HospitalActionForm, HospitalNewForm
from hms.platform.selectors import console_row, fleet_summary, hospital_console_page, hospital_operations

View = Callable[..., HttpResponse]


def platform_page(*methods: str) -> Callable[[View], View]:
    """Sign-in required, the operator only (403 for any other user), only `methods` allowed."""
    allowed = list(methods or ("GET", "HEAD"))

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def operator_only(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not getattr(request.user, "is_superadmin", False):
                raise PermissionDenied("Only the platform operator uses the platform console.")
            return view(request, *args, **kwargs)

        return login_required(require_http_methods(allowed)(refusals_as_http(operator_only)))

    return decorate


def _operator(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - platform_page let only the operator in
    return user


@platform_page()
def console(request: HttpRequest) -> HttpResponse:
    search = ConsoleSearchForm(request.GET)
    query, status = "", ""
    if search.is_valid():
        query, status = search.cleaned_data["q"].strip(), search.cleaned_data["status"]
    operator = _operator(request)
    page = hospital_console_page(
        acting_user=operator, query=query, status=status, page_number=request.GET.get("page", 1)
    )
    return render(
        request,
        "platform/console.html",
        {
            "search": search,
            "query": query,
            "page": page,
            "summary": fleet_summary(acting_user=operator),
            "statuses": Hospital.Status,
        },
        status=200 if search.is_valid() else 400,
    )


@platform_page()
def hospital(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "")
    if not code:
        return redirect("platform:console")
    operator = _operator(request)
    found = services.console_hospital(acting_user=operator, code=code)
    return _hospital_page(request, found)


def _hospital_page(
    request: HttpRequest,
    hospital: Hospital,
    *,
    status: int = 200,
    remove_form: DatabaseRemoveForm | None = None,
) -> HttpResponse:
    operator = _operator(request)
    return render(
        request,
        "platform/hospital.html",
        {
            "row": console_row(acting_user=operator, hospital=hospital),
            "operations": hospital_operations(acting_user=operator, hospital=hospital),
            "remove_form": remove_form or DatabaseRemoveForm(initial={"code": hospital.code}),
        },
        status=status,
    )


@platform_page("GET", "POST")
def hospital_new(request: HttpRequest) -> HttpResponse:
    form = HospitalNewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.hospital_create(acting_user=_operator(request), **form.cleaned_data)
        except ApplicationError as error:
            form_error_show(form, error)
        else:
            link = request.build_absolute_uri(created.set_password_path) if created.set_password_path else ""
            return render(request, "platform/hospital_created.html", {"created": created, "link": link})
    return render(
        request, "platform/hospital_new.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


def _hospital_action(
    service: Callable[..., Any],
    said: Callable[[Hospital, Any], str],
    form_class: type[HospitalActionForm] = HospitalActionForm,
) -> View:
    """A POST naming a hospital by its code: `service` on it, then its page with `said(hospital,
    what the service returned)`. A refusal, or a form that does not read, is shown on that page
    (400); no code is a 400, a code that names no hospital a 404."""

    @platform_page("POST")
    def action(request: HttpRequest) -> HttpResponse:
        form = form_class(request.POST)
        if not form.is_valid() and "code" in form.errors:
            return render(
                request,
                "core/refused.html",
                {"message": "Choose a hospital first.", "back": reverse("platform:console")},
                status=400,
            )
        operator = _operator(request)
        target = services.console_hospital(acting_user=operator, code=form.cleaned_data["code"])
        if form.errors:
            return _hospital_page(request, target, status=400, remove_form=_remove_form(form))
        extra = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            done = service(acting_user=operator, hospital=target, **extra)
        except ApplicationError as error:
            target.refresh_from_db()
            if isinstance(form, DatabaseRemoveForm):
                form_error_show(form, error)
            else:
                messages.error(request, error.message)
            return _hospital_page(request, target, status=400, remove_form=_remove_form(form))
        target.refresh_from_db()
        messages.success(request, said(target, done))
        return redirect(f"{reverse('platform:hospital')}?code={target.code}")

    return action


def _remove_form(form: HospitalActionForm) -> DatabaseRemoveForm | None:
    """The removal form as posted (with its errors) if that was the form, for the page to show."""
    return form if isinstance(form, DatabaseRemoveForm) else None


suspend = _hospital_action(
    services.hospital_suspend,
    lambda h, _: f"{h.name} is suspended: its users are turned away until it is reactivated.",
)
reactivate = _hospital_action(services.hospital_reactivate, lambda h, _: f"{h.name} is active again.")
backup = _hospital_action(
    services.hospital_backup_start,
    lambda h, _: f"A backup of {h.name} has started; its outcome will show under Last backup.",
)
check = _hospital_action(
    services.hospital_check_now,
    lambda h, row: (
        f"{h.name} was checked just now: "
        + ("no problems found." if row.healthy else f"problems found: {'; '.join(row.problems)}.")
    ),
)
archive = _hospital_action(
    services.hospital_archive_start,
    lambda h, _: (
        f"{h.name} is archived: its users can read but not change anything. Its final backup has started."
    ),
)
remove_database = _hospital_action(
    services.hospital_database_remove_now,
    lambda h, _: f"The database of {h.name} was removed. Its backups are kept.",
    DatabaseRemoveForm,
)
