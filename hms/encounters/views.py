"""Encounter pages: thin views that parse input, call a service or selector, and render.

Refusals of the services: NotFound answers 404, NotAllowed 403 (hospital_page); any
other ApplicationError is shown beside its form with status 400 (form_error_show).
"""

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from hms.accounts.permissions import Action, Resource, permission_require, permission_scope
from hms.care.emergency import emergency_access_open, emergency_minutes, may_break_glass
from hms.care.forms import EmergencyAccessForm
from hms.clinical.ranges import clinical_sex
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.core.http import client_address
from hms.core.ids import record_id
from hms.core.pages import form_error_show, form_submit, hospital_page
from hms.encounters import services
from hms.encounters.display import early_warning, vitals_latest
from hms.encounters.forms import (
    AllergyForm,
    AllergyStatusForm,
    AmendmentForm,
    DiagnosisForm,
    EncounterStartForm,
    NoKnownAllergiesForm,
    NoteForm,
    VitalsForm,
    VoidForm,
)
from hms.encounters.icd10 import code_set, icd10_search
from hms.encounters.models import Allergy, ClinicalNote, Diagnosis, Encounter, NoKnownAllergies, Observation
from hms.encounters.selectors import (
    EncounterDetail,
    allergy_record_for_patient,
    appointment_list_startable,
    encounter_detail,
    encounter_list_for_patient,
    note_detail,
)
from hms.encounters.vitals import BP_PANEL
from hms.patients.selectors import patient_detail
from hms.scheduling.models import Appointment
from hms.tenancy.http import HospitalRequest

SEARCH_MAX = 100

Result = TypeVar("Result")


def _granted(request: HospitalRequest, resource: Resource, action: Action) -> bool:
    return permission_scope(user=request.user, resource=resource, action=action) is not None


def _encounter_url(hospital_code: str, encounter_id: int, anchor: str = "") -> str:
    url = reverse("encounters:detail", kwargs={"hospital_code": hospital_code, "encounter_id": encounter_id})
    return f"{url}#{anchor}" if anchor else url


def _posted(request: HospitalRequest) -> QueryDict | None:
    """The POST data of a POST (even an empty one, which must be refused, not shown as a fresh form)."""
    return request.POST if request.method == "POST" else None


def _back_apart(service: Callable[..., Result]) -> Callable[..., Result]:
    """`service`, called by form_submit with a form that also carries `encounter`, the encounter
    page to go back to: that value is the view's, not the service's."""

    def call(*, encounter: int | None, **values: Any) -> Result:
        return service(**values)

    return call


def _refused(message: str, back: str = "") -> dict[str, str]:
    return {"message": message, "back": back}


# The patient's encounters


@hospital_page()
def patient_encounters(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    """The patient's encounters, allergies, and for a doctor the form to start one."""
    return _patient_page(request, patient_id)


@hospital_page("POST")
def encounter_new(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.ENCOUNTER, action=Action.CREATE)
    appointments = appointment_list_startable(
        user=request.user, patient_id=patient_id, client_address=client_address(request)
    )
    form = EncounterStartForm(request.POST, appointments=_appointment_choices(appointments))
    encounter = form_submit(request, form, services.encounter_start, patient=patient_id)
    if encounter is not None:
        return redirect(_encounter_url(hospital_code, encounter.pk))
    return _patient_page(request, patient_id, start_form=form, status=400)


def _appointment_choices(appointments: Iterable[Appointment]) -> list[tuple[Appointment, str]]:
    """Each appointment with its label, in the hospital's time (the active zone)."""
    choices = []
    today = timezone.localdate()
    for appointment in appointments:
        starts = timezone.localtime(appointment.starts_at)
        when = f"Today {starts:%H:%M}" if starts.date() == today else f"{starts:%d %b %Y %H:%M}"
        parts = (when, appointment.get_status_display(), appointment.reason)
        choices.append((appointment, " · ".join(part for part in parts if part)))
    return choices


def _patient_page(
    request: HospitalRequest,
    patient_id: int,
    *,
    start_form: EncounterStartForm | None = None,
    status: int = 200,
) -> HttpResponse:
    address = client_address(request)
    include_voided = request.GET.get("voided") == "1"
    may_start = _granted(request, Resource.ENCOUNTER, Action.CREATE)
    try:
        encounters = encounter_list_for_patient(
            user=request.user,
            patient_id=patient_id,
            include_voided=include_voided,
            page_number=request.GET.get("page", 1),
            client_address=address,
        )
    except NotFound:
        if not may_break_glass(request.user):
            raise
        encounters = None  # outside their care: the doctor is offered break-the-glass (ADR 0011)
    patient = patient_detail(user=request.user, patient_id=patient_id, client_address=address)
    allergies = None
    if encounters is not None and _granted(request, Resource.ALLERGY, Action.VIEW):
        allergies = allergy_record_for_patient(
            user=request.user, patient_id=patient.pk, client_address=address
        )
    may_start = may_start and encounters is not None
    if may_start and start_form is None:
        appointments = appointment_list_startable(
            user=request.user, patient_id=patient.pk, client_address=address
        )
        appointments = list(appointments)
        # Seeing a patient who came for today's appointment is the common case: it is chosen.
        today = [a for a in appointments if timezone.localtime(a.starts_at).date() == timezone.localdate()]
        start_form = EncounterStartForm(
            appointments=_appointment_choices(appointments),
            initial={"appointment": today[0].pk, "reason": today[0].reason} if today else {},
        )
    return render(
        request,
        "encounters/patient_encounters.html",
        {
            "patient": patient,
            "encounters": encounters,
            "allergy_record": allergies,
            "include_voided": include_voided,
            "start_form": start_form if may_start else None,
            "may_record_allergy": _granted(request, Resource.ALLERGY, Action.CREATE),
            "emergency_form": EmergencyAccessForm() if encounters is None else None,
            "emergency_minutes": emergency_minutes(),
            "emergency_access": emergency_access_open(user=request.user, patient_id=patient.pk),
        },
        status=status,
    )


# One encounter


@hospital_page()
def encounter_show(request: HospitalRequest, hospital_code: str, encounter_id: int) -> HttpResponse:
    return _encounter_page(request, encounter_id)


def _detail(request: HospitalRequest, encounter_id: int, *, with_voided: bool = False) -> EncounterDetail:
    """The encounter as its pages show it; with `with_voided`, voided rows too when the
    address asks (?voided=1)."""
    return encounter_detail(
        user=request.user,
        encounter_id=encounter_id,
        include_voided=with_voided and request.GET.get("voided") == "1",
        client_address=client_address(request),
    )


def _encounter_page(
    request: HospitalRequest, encounter_id: int, *, status: int = 200, **extra: object
) -> HttpResponse:
    detail = _detail(request, encounter_id, with_voided=True)
    return render(
        request,
        "encounters/encounter_detail.html",
        {
            "detail": detail,
            "latest_vitals": vitals_latest(detail.vitals),
            "early_warning": early_warning(
                (row.observation for row in detail.vitals or ()),
                detail.patient.birth_date,
                clinical_sex(detail.patient.sex, detail.patient.sex_for_clinical_use),
            ),
            "void_form": VoidForm(),
            "related_links": _related_links(request, detail.encounter),
            **extra,
        },
        status=status,
    )


# What else a user may do about this encounter, in the orders pages (role-level
# rights; those pages check the record-level ones): label, URL name, keyword, resource, action.
RELATED = [
    ("Prescribe", "orders:prescription-new", "encounter_id", Resource.PRESCRIPTION, Action.CREATE),
    ("Order lab tests", "orders:lab-order-new", "encounter_id", Resource.LAB_ORDER, Action.CREATE),
    ("Prescriptions", "orders:patient-prescriptions", "patient_id", Resource.PRESCRIPTION, Action.VIEW),
    ("Lab results", "orders:patient-lab-results", "patient_id", Resource.LAB_RESULT, Action.VIEW),
]


def _related_links(request: HospitalRequest, encounter: Encounter) -> list[tuple[str, str]]:
    links = []
    for label, name, keyword, resource, action in RELATED:
        if action == Action.CREATE and encounter.is_voided:
            continue
        if not _granted(request, resource, action):
            continue
        target = encounter.pk if keyword == "encounter_id" else encounter.patient_id
        links.append((label, reverse(name, kwargs={"hospital_code": request.hospital.code, keyword: target})))
    return links


@hospital_page("POST")
def encounter_finish(request: HospitalRequest, hospital_code: str, encounter_id: int) -> HttpResponse:
    try:
        services.encounter_finish(
            acting_user=request.user, encounter=encounter_id, client_address=client_address(request)
        )
    except ApplicationError as error:
        return _encounter_page(request, encounter_id, status=400, page_error=error.message)
    return redirect(_encounter_url(hospital_code, encounter_id))


@hospital_page("POST")
def encounter_void(request: HospitalRequest, hospital_code: str, encounter_id: int) -> HttpResponse:
    form = VoidForm(request.POST)
    void = partial(services.encounter_void, encounter=encounter_id)
    if form_submit(request, form, _back_apart(void)) is not None:
        return redirect(_encounter_url(hospital_code, encounter_id))
    permission_require(user=request.user, resource=Resource.ENCOUNTER, action=Action.VOID)
    return _encounter_page(request, encounter_id, status=400, encounter_void_form=form)


# Vital signs


@hospital_page("GET", "POST")
def vitals_new(request: HospitalRequest, hospital_code: str, encounter_id: int) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.OBSERVATION, action=Action.CREATE)
    form = VitalsForm(_posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                recorded = services.observation_record_vitals(
                    acting_user=request.user,
                    encounter=encounter_id,
                    values=form.values(),
                    qualifiers=form.qualifiers(),
                    client_address=client_address(request),
                )
            except ApplicationError as error:
                form_error_show(form, error, field_names=form.field_names())
            else:
                patient = recorded[0].patient
                # the blood pressure panel is not counted: its two pressures are
                count = sum(1 for row in recorded if row.loinc_code != BP_PANEL)
                messages.success(
                    request,
                    f"Recorded {count} vital sign{pluralize(count)} for {patient.full_name}.",
                )
                return redirect(_encounter_url(hospital_code, encounter_id, "vitals"))
    detail = _detail(request, encounter_id)
    return render(
        request,
        "encounters/vitals_form.html",
        {"detail": detail, "form": form},
        status=status,
    )


@hospital_page()
def vitals_correct(request: HospitalRequest, hospital_code: str, encounter_id: int) -> HttpResponse:
    """Every vital sign of the encounter, each with a link to void it if entered in error."""
    permission_require(user=request.user, resource=Resource.OBSERVATION, action=Action.VOID)
    detail = _detail(request, encounter_id, with_voided=True)
    return render(
        request,
        "encounters/vitals_correct.html",
        {"detail": detail, "voiding": record_id(request.GET.get("void", ""))},
    )


# Diagnoses


@hospital_page("GET", "POST")
def diagnosis_new(request: HospitalRequest, hospital_code: str, encounter_id: int) -> HttpResponse:
    """The diagnosis form, with a search of the hospital's code set: GET ?q= lists matches, ?code= fills
    the form."""
    permission_require(user=request.user, resource=Resource.DIAGNOSIS, action=Action.CREATE)
    query = request.GET.get("q", "").strip()[:SEARCH_MAX]
    status = 200
    if request.method == "POST":
        form = DiagnosisForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.diagnosis_add(
                    acting_user=request.user,
                    encounter=encounter_id,
                    icd10_code=form.cleaned_data["icd10_code"],
                    kind=form.cleaned_data["kind"],
                    certainty=form.cleaned_data["certainty"],
                    client_address=client_address(request),
                )
            except ApplicationError as error:
                if error.details.get("suggestions") and not query:
                    query = form.cleaned_data["icd10_code"].strip()  # list the codes to choose from
                form_error_show(form, error)
            else:
                return redirect(_encounter_url(hospital_code, encounter_id, "diagnoses"))
    else:
        form = DiagnosisForm(initial={"icd10_code": request.GET.get("code", "")[:16]})
    detail = _detail(request, encounter_id)
    return render(
        request,
        "encounters/diagnosis_form.html",
        {
            "detail": detail,
            "form": form,
            "query": query,
            "matches": icd10_search(query) if query else [],
            "code_label": code_set().label,
        },
        status=status,
    )


# Allergies


@hospital_page("GET", "POST")
def allergy_new(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.ALLERGY, action=Action.CREATE)
    form = AllergyForm(_posted(request), initial={"encounter": request.GET.get("encounter", "")})
    back_to = record_id(request.GET.get("encounter", ""))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            back_to = form.cleaned_data["encounter"]
        if form_submit(request, form, _back_apart(services.allergy_record), patient=patient_id) is not None:
            return redirect(_allergies_back(hospital_code, patient_id, back_to))
    return _allergy_page(request, patient_id, form, back_to, status)


def _allergy_page(
    request: HospitalRequest,
    patient_id: int,
    form: AllergyForm,
    back_to: int | None,
    status: int,
    *,
    nka_form: NoKnownAllergiesForm | None = None,
) -> HttpResponse:
    """The patient's allergies and what is stated about them, with the forms to record them."""
    record = allergy_record_for_patient(
        user=request.user, patient_id=patient_id, client_address=client_address(request)
    )
    patient = patient_detail(user=request.user, patient_id=patient_id, client_address=client_address(request))
    return render(
        request,
        "encounters/allergy_form.html",
        {
            "patient": patient,
            "allergies": record.allergies,
            "record": record,
            "form": form,
            "nka_form": nka_form or NoKnownAllergiesForm(),
            "encounter_id": back_to,
            "may_update": _granted(request, Resource.ALLERGY, Action.UPDATE),
            "may_void": _granted(request, Resource.ALLERGY, Action.VOID),
        },
        status=status,
    )


@hospital_page("POST")
def nka_new(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    """State that the patient has no known allergies; back to the allergies, or why not (400)."""
    permission_require(user=request.user, resource=Resource.ALLERGY, action=Action.CREATE)
    form = NoKnownAllergiesForm(request.POST)
    if form_submit(request, form, _back_apart(services.nka_record), patient=patient_id) is not None:
        return redirect(_allergies_back(hospital_code, patient_id, form.cleaned_data["encounter"]))
    back_to = form.cleaned_data.get("encounter") if form.is_valid() else None
    return _allergy_page(request, patient_id, AllergyForm(), back_to, 400, nka_form=form)


@hospital_page("POST")
def nka_void(request: HospitalRequest, hospital_code: str, statement_id: int) -> HttpResponse:
    change = partial(services.nka_void, statement=statement_id)
    return _allergy_change(request, hospital_code, VoidForm(request.POST), change, "reason")


def _allergies_back(hospital_code: str, patient_id: int, encounter_id: int | None) -> str:
    if encounter_id is not None:
        return _encounter_url(hospital_code, encounter_id, "allergies")
    return reverse("encounters:patient", kwargs={"hospital_code": hospital_code, "patient_id": patient_id})


@hospital_page("POST")
def allergy_status(request: HospitalRequest, hospital_code: str, allergy_id: int) -> HttpResponse:
    change = partial(services.allergy_status_set, allergy=allergy_id)
    return _allergy_change(request, hospital_code, AllergyStatusForm(request.POST), change, "status")


@hospital_page("POST")
def allergy_void(request: HospitalRequest, hospital_code: str, allergy_id: int) -> HttpResponse:
    change = partial(services.allergy_void, allergy=allergy_id)
    return _allergy_change(request, hospital_code, VoidForm(request.POST), change, "reason")


def _allergy_change(
    request: HospitalRequest,
    hospital_code: str,
    form: forms.Form,
    change: Callable[..., Allergy | NoKnownAllergies],
    field: str,
) -> HttpResponse:
    """Apply `change` with the form's `field`; back to the allergies, or why not (400)."""
    if form.is_valid():
        try:
            allergy = change(
                acting_user=request.user,
                client_address=client_address(request),
                **{field: form.cleaned_data[field]},
            )
        except ApplicationError as error:
            message = error.message
        else:
            return redirect(
                _allergies_back(hospital_code, allergy.patient_id, form.cleaned_data["encounter"])
            )
    else:
        message = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    return render(request, "core/refused.html", _refused(message), status=400)


# Observations, diagnoses and notes entered in error


@hospital_page("POST")
def observation_void(request: HospitalRequest, hospital_code: str, observation_id: int) -> HttpResponse:
    return _row_void(
        request, hospital_code, partial(services.observation_void, observation=observation_id), "vitals"
    )


@hospital_page("POST")
def diagnosis_void(request: HospitalRequest, hospital_code: str, diagnosis_id: int) -> HttpResponse:
    return _row_void(
        request, hospital_code, partial(services.diagnosis_void, diagnosis=diagnosis_id), "diagnoses"
    )


@hospital_page("POST")
def note_void(request: HospitalRequest, hospital_code: str, note_id: int) -> HttpResponse:
    return _row_void(request, hospital_code, partial(services.note_void, note=note_id), "notes")


def _row_void(
    request: HospitalRequest,
    hospital_code: str,
    void: Callable[..., Observation | Diagnosis | ClinicalNote],
    anchor: str,
) -> HttpResponse:
    """Void a row of an encounter with the posted reason; back to the encounter, or why not."""
    form = VoidForm(request.POST)
    message = "Give a reason for voiding."
    if form.is_valid():
        try:
            row = void(
                acting_user=request.user,
                reason=form.cleaned_data["reason"],
                client_address=client_address(request),
            )
        except ApplicationError as error:
            message = error.message
        else:
            return redirect(_encounter_url(hospital_code, row.encounter_id, anchor))
    back_to = form.cleaned_data.get("encounter")
    if back_to is None:
        return render(request, "core/refused.html", _refused(message), status=400)
    return _encounter_page(request, back_to, status=400, page_error=f"Not voided: {message}")


# Clinical notes


@hospital_page("GET", "POST")
def note_new(request: HospitalRequest, hospital_code: str, encounter_id: int) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.NOTE, action=Action.CREATE)
    form = NoteForm(_posted(request))
    note = form_submit(request, form, services.note_create, encounter=encounter_id)
    if note is not None:
        return redirect(_encounter_url(hospital_code, note.encounter_id, f"note-{note.pk}"))
    return _note_form_page(request, encounter_id, form)


def _note_form_page(
    request: HospitalRequest, encounter_id: int, form: NoteForm, note: ClinicalNote | None = None
) -> HttpResponse:
    """The note form under its encounter; 400 when it was posted (and not saved)."""
    detail = _detail(request, encounter_id)
    return render(
        request,
        "encounters/note_form.html",
        {"detail": detail, "form": form, "note": note},
        status=400 if form.is_bound else 200,
    )


@hospital_page()
def note_show(request: HospitalRequest, hospital_code: str, note_id: int) -> HttpResponse:
    return _note_page(request, note_id)


def _note_page(request: HospitalRequest, note_id: int, *, status: int = 200, **extra: object) -> HttpResponse:
    view = note_detail(user=request.user, note_id=note_id, client_address=client_address(request))
    note = view.note
    live = not note.is_voided
    is_author = note.author_id == request.user.pk
    context = {
        "view": view,
        "may_edit": live
        and not note.is_signed
        and is_author
        and _granted(request, Resource.NOTE, Action.UPDATE),
        "may_sign": live
        and not note.is_signed
        and is_author
        and _granted(request, Resource.NOTE, Action.SIGN),
        "may_amend": live and note.is_signed and _granted(request, Resource.NOTE, Action.UPDATE),
        "may_void": live and _granted(request, Resource.NOTE, Action.VOID),
        "amend_form": AmendmentForm(),
        "void_form": VoidForm(),
        **extra,
    }
    return render(request, "encounters/note_detail.html", context, status=status)


@hospital_page("GET", "POST")
def note_edit(request: HospitalRequest, hospital_code: str, note_id: int) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.NOTE, action=Action.UPDATE)
    view = note_detail(user=request.user, note_id=note_id, client_address=client_address(request))
    note = view.note
    if note.author_id != request.user.pk:
        raise NotAllowed("Only the note's author may edit it.")
    if note.is_signed or note.is_voided:
        return _note_page(
            request, note.pk, status=400, page_error="Only a draft can be edited; amend a signed note."
        )
    initial = {name: getattr(note, name) for name in services.NOTE_SECTIONS}
    form = NoteForm(_posted(request), initial=initial)
    if form_submit(request, form, services.note_update_draft, note=note.pk) is not None:
        return redirect("encounters:note", hospital_code=hospital_code, note_id=note.pk)
    return _note_form_page(request, note.encounter_id, form, note)


@hospital_page("POST")
def note_sign(request: HospitalRequest, hospital_code: str, note_id: int) -> HttpResponse:
    try:
        note = services.note_sign(
            acting_user=request.user, note=note_id, client_address=client_address(request)
        )
    except ApplicationError as error:
        return _note_page(request, note_id, status=400, page_error=error.message)
    messages.success(request, "Note signed. It can no longer change; add an amendment to correct it.")
    return redirect("encounters:note", hospital_code=hospital_code, note_id=note.pk)


@hospital_page("POST")
def note_amend(request: HospitalRequest, hospital_code: str, note_id: int) -> HttpResponse:
    form = AmendmentForm(request.POST)
    amendment = form_submit(request, form, services.note_amend, note=note_id)
    if amendment is not None:
        return redirect("encounters:note", hospital_code=hospital_code, note_id=amendment.note_id)
    permission_require(user=request.user, resource=Resource.NOTE, action=Action.UPDATE)
    return _note_page(request, note_id, status=400, amend_form=form)
