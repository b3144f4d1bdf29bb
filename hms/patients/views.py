"""Patient pages: register, view and update a record. Thin: parse, call one service or selector, render."""

from collections.abc import Callable

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require, permission_scope
from hms.core.exceptions import ApplicationError
from hms.core.http import client_address
from hms.core.pages import form_error_show, form_submit, hospital_page
from hms.patients.forms import (
    DeathRecordForm,
    DeathUndoForm,
    IdentifierForm,
    NextOfKinForm,
    PatientForm,
    PortalLinkForm,
    PortalUnlinkForm,
    RegistrationForm,
)
from hms.patients.models import Patient
from hms.patients.selectors import patient_detail, patient_portal_account
from hms.patients.services import (
    CONTACT_FIELDS,
    PossibleDuplicate,
    patient_death_record,
    patient_death_undo,
    patient_identifier_add,
    patient_next_of_kin_add,
    patient_portal_link,
    patient_portal_unlink,
    patient_register,
    patient_update,
)
from hms.tenancy.http import HospitalRequest

# The forms the record page shows to whoever may update it, by their name in the template.
RECORD_FORMS: dict[str, type[forms.Form]] = {
    "identifier_form": IdentifierForm,
    "kin_form": NextOfKinForm,
    "portal_form": PortalLinkForm,
    "unlink_form": PortalUnlinkForm,
    "death_form": DeathRecordForm,
    "death_undo_form": DeathUndoForm,
}


@hospital_page("GET", "POST")
def patient_new(request: HospitalRequest, hospital_code: str) -> HttpResponse:
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
                form_error_show(form, error)
            else:
                return redirect("patients:detail", hospital_code=hospital_code, patient_id=patient.pk)
    return render(
        request, "patients/patient_new.html", {"form": form, "candidates": candidates}, status=status
    )


@hospital_page()
def patient_show(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    patient = patient_detail(user=request.user, patient_id=patient_id, client_address=client_address(request))
    return _record_page(request, patient)


@hospital_page("GET", "POST")
def patient_edit(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.PATIENT, action=Action.UPDATE)
    patient = patient_detail(user=request.user, patient_id=patient_id, client_address=client_address(request))
    initial = {field: getattr(patient, field) for field in CONTACT_FIELDS}
    form = PatientForm(request.POST or None, initial=initial)
    if form_submit(request, form, patient_update, patient=patient) is not None:
        return redirect("patients:detail", hospital_code=hospital_code, patient_id=patient.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "patients/patient_edit.html", {"patient": patient, "form": form}, status=status)


def _record_form_post(
    form_name: str,
    service: Callable[..., object],
    needs: tuple[Resource, Action] = (Resource.PATIENT, Action.UPDATE),
) -> Callable[..., HttpResponse]:
    """The view that takes the record page's `form_name` form to `service`, for a user granted
    `needs` (checked before the form is read, so a refused user learns nothing from its errors)."""

    @hospital_page("POST")
    def view(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
        permission_require(user=request.user, resource=needs[0], action=needs[1])
        return _add_to_record(request, patient_id, form_name, service)

    return view


patient_identifier_new = _record_form_post("identifier_form", patient_identifier_add)
patient_next_of_kin_new = _record_form_post("kin_form", patient_next_of_kin_add)
patient_portal_link_new = _record_form_post("portal_form", patient_portal_link)
patient_portal_unlink_new = _record_form_post("unlink_form", patient_portal_unlink)
patient_death_new = _record_form_post("death_form", patient_death_record, (Resource.DEATH, Action.CREATE))
patient_death_undo_new = _record_form_post(
    "death_undo_form", patient_death_undo, (Resource.DEATH, Action.VOID)
)


def _add_to_record(
    request: HospitalRequest, patient_id: int, form_name: str, service: Callable[..., object]
) -> HttpResponse:
    """Post one of the record page's forms to `service` (with the form's cleaned data): back to the
    record, or the record with the form's errors (400)."""
    permission_require(user=request.user, resource=Resource.PATIENT, action=Action.UPDATE)
    patient = patient_detail(user=request.user, patient_id=patient_id, client_address=client_address(request))
    form = RECORD_FORMS[form_name](request.POST)
    if form_submit(request, form, service, patient=patient) is not None:
        return redirect("patients:detail", hospital_code=request.hospital.code, patient_id=patient.pk)
    return _record_page(request, patient, status=400, **{form_name: form})


def _may(user: User, resource: Resource, action: Action) -> bool:
    return permission_scope(user=user, resource=resource, action=action) is not None


def _record_page(
    request: HospitalRequest, patient: Patient, *, status: int = 200, **shown: forms.Form
) -> HttpResponse:
    may_update = _may(request.user, Resource.PATIENT, Action.UPDATE)
    record_forms = {name: shown.get(name) or form_class() for name, form_class in RECORD_FORMS.items()}
    return render(
        request,
        "patients/patient_detail.html",
        {
            "patient": patient,
            "may_update": may_update,
            "may_record_death": _may(request.user, Resource.DEATH, Action.CREATE),
            "may_undo_death": _may(request.user, Resource.DEATH, Action.VOID),
            "portal_account": patient_portal_account(patient=patient) if may_update else None,
            **record_forms,
        },
        status=status,
    )
