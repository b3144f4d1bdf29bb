"""Patient pages: register, view and update a record. Thin: parse, call one service or selector, render."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require, permission_scope
from hms.core.exceptions import ApplicationError
from hms.core.http import client_address, refusals_as_http
from hms.patients.forms import IdentifierForm, NextOfKinForm, PatientForm, PortalLinkForm, RegistrationForm
from hms.patients.selectors import patient_detail
from hms.patients.services import (
    CONTACT_FIELDS,
    PossibleDuplicate,
    patient_identifier_add,
    patient_next_of_kin_add,
    patient_portal_link,
    patient_register,
    patient_update,
)


def _form_refused(form, error: ApplicationError) -> None:
    form.add_error(None, error.message)
    for field, messages in error.details.items():
        if isinstance(messages, list) and field != "candidates":
            for message in messages:
                form.add_error(field if field in form.fields else None, str(message))


@login_required
@refusals_as_http
def patient_new(request: HttpRequest, hospital_code: str) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.PATIENT, action=Action.CREATE)
    form = RegistrationForm(request.POST or None)
    candidates = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                patient = patient_register(
                    acting_user=request.user,
                    **{field: data[field] for field in CONTACT_FIELDS},
                    identifiers=form.identifiers(),
                    next_of_kin=form.next_of_kin(),
                    confirm_not_duplicate=data["confirm_not_duplicate"],
                    client_address=client_address(request),
                )
            except PossibleDuplicate as warning:
                candidates = warning.candidates
                form.add_error(None, warning.message)
            except ApplicationError as error:
                _form_refused(form, error)
            else:
                return redirect("patients:detail", hospital_code=hospital_code, patient_id=patient.pk)
    return render(
        request,
        "patients/patient_new.html",
        {"hospital": request.hospital, "form": form, "candidates": candidates},
        status=status,
    )


@login_required
@refusals_as_http
def patient_show(request: HttpRequest, hospital_code: str, patient_id: str) -> HttpResponse:
    patient = patient_detail(user=request.user, patient_id=patient_id, client_address=client_address(request))
    may_update = (
        permission_scope(user=request.user, resource=Resource.PATIENT, action=Action.UPDATE) is not None
    )
    return render(
        request,
        "patients/patient_detail.html",
        {
            "hospital": request.hospital,
            "patient": patient,
            "may_update": may_update,
            "identifier_form": IdentifierForm(),
            "kin_form": NextOfKinForm(),
            "portal_form": PortalLinkForm(),
        },
    )


@login_required
@refusals_as_http
def patient_edit(request: HttpRequest, hospital_code: str, patient_id: str) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.PATIENT, action=Action.UPDATE)
    patient = patient_detail(user=request.user, patient_id=patient_id, client_address=client_address(request))
    initial = {field: getattr(patient, field) for field in CONTACT_FIELDS}
    form = PatientForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                patient_update(
                    acting_user=request.user,
                    patient=patient,
                    client_address=client_address(request),
                    **form.cleaned_data,
                )
            except ApplicationError as error:
                _form_refused(form, error)
            else:
                return redirect("patients:detail", hospital_code=hospital_code, patient_id=patient.pk)
    return render(
        request,
        "patients/patient_edit.html",
        {"hospital": request.hospital, "patient": patient, "form": form},
        status=status,
    )


@login_required
@require_POST
@refusals_as_http
def patient_identifier_new(request: HttpRequest, hospital_code: str, patient_id: str) -> HttpResponse:
    return _add_to_record(request, hospital_code, patient_id, IdentifierForm, patient_identifier_add)


@login_required
@require_POST
@refusals_as_http
def patient_next_of_kin_new(request: HttpRequest, hospital_code: str, patient_id: str) -> HttpResponse:
    return _add_to_record(request, hospital_code, patient_id, NextOfKinForm, patient_next_of_kin_add)


def _add_to_record(request, hospital_code, patient_id, form_class, service) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.PATIENT, action=Action.UPDATE)
    patient = patient_detail(user=request.user, patient_id=patient_id, client_address=client_address(request))
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(
                acting_user=request.user,
                patient=patient,
                client_address=client_address(request),
                **form.cleaned_data,
            )
        except ApplicationError as error:
            _form_refused(form, error)
        else:
            return redirect("patients:detail", hospital_code=hospital_code, patient_id=patient.pk)
    forms_shown = {
        "identifier_form": IdentifierForm(),
        "kin_form": NextOfKinForm(),
        "portal_form": PortalLinkForm(),
    }
    forms_shown[
        {IdentifierForm: "identifier_form", NextOfKinForm: "kin_form"}.get(form_class, "portal_form")
    ] = form
    return render(
        request,
        "patients/patient_detail.html",
        {"hospital": request.hospital, "patient": patient, "may_update": True, **forms_shown},
        status=400,
    )


def _portal_link(*, acting_user, patient, username: str, client_address: str | None):
    account = User.objects.filter(username=username.strip()).select_related("hospital").first()
    if account is None:
        raise ApplicationError(f"There is no account named {username.strip()!r}.")
    return patient_portal_link(
        acting_user=acting_user, patient=patient, user=account, client_address=client_address
    )


@login_required
@require_POST
@refusals_as_http
def patient_portal_link_new(request: HttpRequest, hospital_code: str, patient_id: str) -> HttpResponse:
    return _add_to_record(request, hospital_code, patient_id, PortalLinkForm, _portal_link)
