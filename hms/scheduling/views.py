"""Scheduling pages: the day's appointments, booking, rescheduling, cancelling, working hours,
the hospital's rules for patients' own bookings, and the portal's page where a patient books.

Views read input with the forms of hms.scheduling.forms, call a service or selector, and
render. A refused change is shown beside its form with status 400; NotFound answers
404 and NotAllowed 403. Times are shown in the hospital's time zone (the active one).
"""

import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from hms.accounts.display import display_names
from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, Scope, permission_require, permission_scope
from hms.core.display import zone_abbreviation
from hms.core.exceptions import ApplicationError, NotAllowed
from hms.core.http import client_address
from hms.core.ids import record_id
from hms.core.pages import form_error_show, form_submit, hospital_page
from hms.patients.selectors import patient_own_record
from hms.scheduling import wallclock
from hms.scheduling.calendars import (
    calendar_departments,
    calendar_doctors,
    department_calendar,
    practitioner_calendar,
)
from hms.scheduling.forms import (
    CHECK_FIELDS,
    AppointmentBookForm,
    AppointmentCancelForm,
    AppointmentRescheduleForm,
    AppointmentStatusForm,
    BookingRulesForm,
    DayFilterForm,
    DepartmentDayForm,
    PortalBookForm,
    PortalTimesForm,
    WorkingHoursFilterForm,
    WorkingHoursForm,
)
from hms.scheduling.models import Appointment, WorkingHours
from hms.scheduling.portal import portal_doctors, portal_free_times, portal_rules
from hms.scheduling.rules import booking_rules_for, booking_rules_update, booking_window
from hms.scheduling.selectors import (
    appointment_day_list,
    appointment_get,
    bookable_practitioners,
    booking_patient_get,
    booking_patient_search,
    patient_appointments,
    patient_for_booking,
    practitioner_free_slots,
    working_hours_list,
)
from hms.scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    appointment_status_set,
    working_hours_set,
)
from hms.scheduling.wallclock import hospital_zone
from hms.scheduling.workweek import week_of, weekday_choices, working_weekdays
from hms.tenancy.http import HospitalRequest

STATUS_BUTTONS = (
    Appointment.Status.ARRIVED,
    Appointment.Status.IN_CONSULTATION,
    Appointment.Status.COMPLETED,
    Appointment.Status.NO_SHOW,
)


def _today() -> datetime.date:
    return timezone.localtime(wallclock.now()).date()


def _rights(request: HospitalRequest) -> dict[str, Any]:
    """What the navigation and the lists offer this user."""
    user = request.user
    return {
        # The desk's booking form and the calendars are the staff's (a patient books from the portal).
        "can_book": permission_scope(user=user, resource=Resource.APPOINTMENT, action=Action.CREATE)
        == Scope.ALL,
        "is_staff": permission_scope(user=user, resource=Resource.APPOINTMENT, action=Action.VIEW)
        == Scope.ALL,
        "update_scope": permission_scope(user=user, resource=Resource.APPOINTMENT, action=Action.UPDATE),
    }


def _day_url(hospital_code: str, date: datetime.date | None = None, doctor: int | None = None) -> str:
    query = {key: value for key, value in (("date", date), ("doctor", doctor)) if value}
    url = reverse("scheduling:day", kwargs={"hospital_code": hospital_code})
    return f"{url}?{urlencode(query)}" if query else url


@hospital_page()
def day_list(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """The hospital's appointments on one local date, optionally for one doctor."""
    form = DayFilterForm(request.GET)
    context = {
        **_rights(request),
        "form": form,
        "status_buttons": STATUS_BUTTONS,
        "doctors": bookable_practitioners(user=request.user),
    }
    if not form.is_valid():
        form.add_error(None, "Check the date and the doctor.")
        context["date"] = _today()
        return render(request, "scheduling/day_list.html", context, status=400)
    date = form.cleaned_data["date"] or _today()
    doctor = form.cleaned_data["doctor"]
    page = appointment_day_list(
        user=request.user,
        date=date,
        practitioner_user_id=doctor,
        page_number=request.GET.get("page", 1),
        client_address=client_address(request),
    )
    context.update(
        date=date,
        doctor=doctor,
        page=page,
        previous_day=date - datetime.timedelta(days=1),
        next_day=date + datetime.timedelta(days=1),
    )
    return render(request, "scheduling/day_list.html", context)


def _back_to_day(request: HospitalRequest, hospital_code: str) -> str:
    """The day list the status button was pressed on (its date and doctor, when they read well)."""
    day = DayFilterForm(request.POST)
    if not day.is_valid():
        return _day_url(hospital_code)
    return _day_url(hospital_code, day.cleaned_data["date"], day.cleaned_data["doctor"])


@hospital_page("POST")
def appointment_status(request: HospitalRequest, hospital_code: str, appointment_id: int) -> HttpResponse:
    """A status button of the day list (arrived, in consultation, completed, no-show)."""
    form = AppointmentStatusForm(request.POST)
    back = _back_to_day(request, hospital_code)
    try:
        if not form.is_valid():
            raise ApplicationError(" ".join(str(error) for error in form.errors["status"]))
        appointment = appointment_status_set(
            acting_user=request.user,
            appointment_id=appointment_id,
            new_status=form.cleaned_data["status"],
            client_address=client_address(request),
        )
    except ApplicationError as exc:
        context = {"message": exc.message, "back": back}
        return render(request, "core/refused.html", context, status=400)
    messages.success(
        request, f"{_whose(appointment)} appointment is now {appointment.get_status_display().lower()}."
    )
    return redirect(back)


def _whose(appointment: Any) -> str:
    """ "Karim Uddin's 10:30": how people name an appointment (never by its id)."""
    starts = timezone.localtime(appointment.starts_at)
    return f"{appointment.patient.full_name}'s {starts:%H:%M}"


def _doctor_on(appointment: Appointment) -> str:
    """ "Dr House on Tuesday 8 December at 10:30": a patient's own appointment, in their words."""
    starts = timezone.localtime(appointment.starts_at)
    doctor = display_names([appointment.practitioner_user_id]).get(
        appointment.practitioner_user_id, "the doctor"
    )
    return f"{doctor} on {starts:%A} {starts.day} {starts:%B} at {starts:%H:%M}"


def _entry(request: HospitalRequest, appointment_id: int) -> Any:
    return appointment_get(
        user=request.user, appointment_id=appointment_id, client_address=client_address(request)
    )


@hospital_page("GET", "POST")
def appointment_cancel_form(
    request: HospitalRequest, hospital_code: str, appointment_id: int
) -> HttpResponse:
    """Cancel an appointment, with a reason."""
    form = AppointmentCancelForm(request.POST if request.method == "POST" else None)
    appointment = form_submit(request, form, appointment_cancel, appointment_id=appointment_id)
    if appointment is not None:
        if not _rights(request)["is_staff"]:  # a patient: back to their start page
            messages.success(request, f"Your appointment with {_doctor_on(appointment)} is cancelled.")
            return redirect("hospital-home", hospital_code=hospital_code)
        messages.success(request, f"{_whose(appointment)} appointment is cancelled.")
        return redirect(_day_url(hospital_code, timezone.localtime(appointment.starts_at).date()))
    context = {**_rights(request), "entry": _entry(request, appointment_id), "form": form}
    return render(request, "scheduling/cancel.html", context, status=400 if form.is_bound else 200)


@hospital_page("GET", "POST")
def appointment_reschedule_form(
    request: HospitalRequest, hospital_code: str, appointment_id: int
) -> HttpResponse:
    """Move a booked appointment to another date and time (wall clock of the hospital)."""
    if request.method == "GET":
        entry = _entry(request, appointment_id)
        initial = {
            "date": entry.starts_local.date().isoformat(),
            "time": f"{entry.starts_local:%H:%M}",
            "duration_minutes": str(entry.appointment.duration_minutes),
        }
        context = {**_rights(request), "entry": entry, "form": AppointmentRescheduleForm(initial=initial)}
        return render(request, "scheduling/reschedule.html", context)

    form = AppointmentRescheduleForm(request.POST)
    appointment = form_submit(request, form, _reschedule, appointment_id=appointment_id)
    if appointment is not None:
        local = timezone.localtime(appointment.starts_at)
        messages.success(
            request,
            f"{appointment.patient.full_name}'s appointment moved to "
            f"{local:%Y-%m-%d %H:%M} {zone_abbreviation(local)}.",
        )
        return redirect(_day_url(hospital_code, local.date()))
    context = {**_rights(request), "entry": _entry(request, appointment_id), "form": form}
    return render(request, "scheduling/reschedule.html", context, status=400)


def _reschedule(*, date: datetime.date, time: datetime.time, **move: Any) -> Appointment:
    """appointment_reschedule as the form names it (the hospital's local date and time)."""
    return appointment_reschedule(local_date=date, local_time=time, **move)


@hospital_page("GET", "POST")
def appointment_book_form(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """Book an appointment: the patient (picker), doctor, local date and time, duration, reason.

    Only "Book" books. Everything else shows the form again as typed: a patient search
    ("Find patient", the no-JavaScript picker), a patient chosen from its results, the
    doctor's free slots for the date, a slot chosen (it fills the time; the reason is still
    asked). GET takes the same fields as a query, so a calendar's free slot or a patient's
    page opens the form pre-filled.
    """
    _desk_require(request)
    typed = (request.POST if request.method == "POST" else request.GET).dict()
    if request.method == "POST" and typed.get("action") == "book":
        form = AppointmentBookForm(request.POST)
        appointment = form_submit(request, form, _desk_book)
        if appointment is None:
            return _book_page(request, typed, form=form, status=400)
        local = timezone.localtime(appointment.starts_at)
        doctor = dict(bookable_practitioners(user=request.user)).get(appointment.practitioner_user_id, "")
        patient = appointment.patient
        messages.success(
            request,
            f"Booked {patient.sorted_name} for "
            f"{local:%Y-%m-%d %H:%M} {zone_abbreviation(local)}"
            f"{f' with {doctor}' if doctor else ''}.",
        )
        return redirect(_day_url(hospital_code, local.date(), appointment.practitioner_user_id))
    return _book_page(request, typed)


def _desk_book(
    *,
    acting_user: User,
    client_address: str | None,
    patient: int,
    practitioner: int,
    date: datetime.date,
    time: datetime.time,
    q: str,
    **booking: Any,
) -> Appointment:
    """appointment_book as the desk's form names it: its patient is chosen with the picker (`q`,
    the picker's search, is not the booking's), its doctor, date and time are the local ones."""
    chosen = patient_for_booking(user=acting_user, patient_id=patient, client_address=client_address)
    return appointment_book(
        acting_user=acting_user,
        patient=chosen,
        practitioner_user_id=practitioner,
        local_date=date,
        local_time=time,
        client_address=client_address,
        **booking,
    )


@hospital_page()
def appointment_book_for_patient(
    request: HospitalRequest, hospital_code: str, patient_id: int
) -> HttpResponse:
    """ "Book an appointment" from a patient's page: the booking form with the patient chosen (a
    patient, on their own record, gets the portal's booking page)."""
    if (
        permission_require(user=request.user, resource=Resource.APPOINTMENT, action=Action.CREATE)
        == Scope.OWN
    ):
        booking_patient_get(  # 404 for anyone else's record
            user=request.user, patient_id=patient_id, client_address=client_address(request)
        )
        return _portal_book(request, hospital_code)
    _desk_require(request)
    booking_patient_get(  # 404 for a patient out of reach
        user=request.user, patient_id=patient_id, client_address=client_address(request)
    )
    return _book_page(request, {"patient": str(patient_id)})


def _desk_require(request: HospitalRequest) -> None:
    """The booking form is the hospital's (a patient books from the portal's own page)."""
    scope = permission_require(user=request.user, resource=Resource.APPOINTMENT, action=Action.CREATE)
    if scope != Scope.ALL:
        raise NotAllowed("Patients book their own appointments from the portal's booking page.")


def _book_page(
    request: HospitalRequest,
    typed: dict[str, str],
    *,
    form: AppointmentBookForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The booking form as typed so far: the chosen patient or the picker's results, and the
    chosen doctor's free slots on the date."""
    typed = dict(typed)
    duration_typed = typed.get("duration_minutes")
    typed.setdefault("duration_minutes", "15")
    if not typed.get("date"):
        typed["date"] = _today().isoformat()
    if typed.get("slot"):
        typed["time"] = typed["slot"]
    if typed.get("action") == "change":
        typed.pop("patient", None)
    context: dict[str, Any] = {**_rights(request), "doctors": bookable_practitioners(user=request.user)}
    context.update(_picker(request, typed, form))
    if form is None:
        form = AppointmentBookForm(initial=typed)
    context["form"] = form
    if typed.get("practitioner", "").strip():
        slots = AppointmentBookForm(typed, slots_only=True)
        try:
            if not slots.is_valid():
                raise ApplicationError(CHECK_FIELDS)
            context["free"] = free = practitioner_free_slots(
                user=request.user,
                practitioner_user_id=slots.cleaned_data["practitioner"],
                date=slots.cleaned_data["date"],
            )
            # A slot chosen on the calendar (no duration typed yet) is booked for its length.
            chosen = [slot for slot in free.slots if f"{slot.starts_local:%H:%M}" == typed.get("time")]
            if chosen and not form.is_bound and duration_typed is None:
                form.initial["duration_minutes"] = str(chosen[0].minutes)
        except ApplicationError as exc:
            form_error_show(slots, exc)
            context["form"] = slots if not form.is_bound else form
            status = 400
    return render(request, "scheduling/book.html", context, status=status)


def _picker(
    request: HospitalRequest, typed: dict[str, str], form: AppointmentBookForm | None
) -> dict[str, Any]:
    """The picker's part of the page: the chosen patient, or the search and its results."""
    chosen = None
    problem = ""
    if typed.get("patient", "").strip():
        try:
            chosen = patient_for_booking(
                user=request.user,
                patient_id=record_id(typed["patient"]) or 0,
                client_address=client_address(request),
            )
        except ApplicationError as exc:
            problem = exc.message
    query = typed.get("q", "").strip()
    results = None
    if chosen is None and query:
        try:
            results = booking_patient_search(
                user=request.user, query=query, client_address=client_address(request)
            )
        except ApplicationError as exc:
            problem = exc.message
    if form is not None and form.errors.get("patient") and not problem:
        problem = " ".join(str(error) for error in form.errors["patient"])
    return {"chosen": chosen, "q": query, "results": results, "picker_problem": problem}


@hospital_page()
def patient_picker(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """The picker's HTML fragment (htmx): `?q=` gives the matches as buttons, `?patient=` the
    chosen patient (a hidden field the booking form sends), neither the empty search."""
    _desk_require(request)
    context = _picker(request, request.GET.dict(), None)
    template = "scheduling/_patient_results.html" if "q" in request.GET else "scheduling/_patient_picker.html"
    return render(request, template, context)


@hospital_page()
def patient_appointment_list(request: HospitalRequest, hospital_code: str, patient_id: int) -> HttpResponse:
    """A patient's appointments, latest first (a patient sees only their own)."""
    page = patient_appointments(
        user=request.user,
        patient_id=patient_id,
        page_number=request.GET.get("page", 1),
        client_address=client_address(request),
    )
    return render(request, "scheduling/patient_appointments.html", {**_rights(request), "page": page})


@hospital_page("GET", "POST")
def working_hours(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """The doctors' working hours; an administrator sets one weekday of one doctor at a time.

    Periods are typed as "09:00-12:00, 14:00-17:00"; an empty field means a day off.
    """
    shown = WorkingHoursFilterForm(request.POST if request.method == "POST" else request.GET)
    doctor = shown.cleaned_data["practitioner"] if shown.is_valid() else None
    can_set = (
        permission_scope(user=request.user, resource=Resource.SCHEDULE, action=Action.UPDATE) is not None
    )
    status = 200
    if request.method == "POST":
        form = WorkingHoursForm(request.POST)
        status = 400
        if form_submit(request, form, _hours_set) is not None:
            messages.success(request, "Working hours saved.")
            url = reverse("scheduling:hours", kwargs={"hospital_code": hospital_code})
            return redirect(f"{url}?{urlencode({'practitioner': form.cleaned_data['practitioner']})}")
    else:
        form = WorkingHoursForm(
            initial={
                "practitioner": request.GET.get("practitioner", ""),
                "weekday": working_weekdays()[0],
                "slot_minutes": "15",
            }
        )
        if not shown.is_valid():
            shown.add_error(None, "Choose a doctor from the list.")
            status = 400
    doctors = bookable_practitioners(user=request.user)
    page = working_hours_list(
        user=request.user, practitioner_user_id=doctor, page_number=request.GET.get("page", 1)
    )
    names = dict(doctors)
    context = {
        **_rights(request),
        "form": form,
        "shown": shown,
        "can_set": can_set,
        "weekdays": weekday_choices(),
        "doctors": doctors,
        "page": page,
        "rows": [
            (row, names.get(row.practitioner_user_id, f"#{row.practitioner_user_id}"))
            for row in page.object_list
        ],
    }
    return render(request, "scheduling/working_hours.html", context, status=status)


def _hours_set(*, practitioner: int, **hours: Any) -> list[WorkingHours]:
    """working_hours_set as the form names it (the doctor is `practitioner`)."""
    return working_hours_set(practitioner_user_id=practitioner, **hours)


# The portal: a patient books their own appointment

# The booking page's query (doctor, date, time, minutes) and the posted form's fields (the service's names).
PORTAL_QUERY = {
    "doctor": "practitioner_user_id",
    "date": "local_date",
    "time": "local_time",
    "minutes": "duration_minutes",
}
# Where a refusal's details go on the posted form.
PORTAL_FIELDS = {"practitioner": "practitioner_user_id", "date": "local_date", "time": "local_time"}


@hospital_page("GET", "POST")
def portal_book(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """A patient books their own appointment: a doctor (by department), one of the doctor's free
    times over the coming days, the reason, then "Book this appointment". Staff are sent to the
    desk's booking form; the hospital's booking rules are the service's to enforce."""
    return _portal_book(request, hospital_code)


def _portal_book(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    if _rights(request)["can_book"]:
        return redirect("scheduling:book", hospital_code=hospital_code)
    rules = portal_rules(user=request.user)
    own = patient_own_record(user=request.user)
    context: dict[str, Any] = {"rules": rules, "own_record": own}
    if own is None or not rules.self_booking_enabled:
        return render(
            request, "scheduling/portal_book.html", context, status=400 if request.method == "POST" else 200
        )
    context["window"] = booking_window(rules=rules, now=wallclock.now(), zone=hospital_zone())
    context["departments"] = portal_doctors(user=request.user)
    if request.method == "POST":
        form = PortalBookForm(request.POST)
        patient = booking_patient_get(
            user=request.user, patient_id=own.pk, client_address=client_address(request)
        )
        appointment = form_submit(request, form, appointment_book, field_names=PORTAL_FIELDS, patient=patient)
        if appointment is not None:
            messages.success(request, f"Booked: you will see {_doctor_on(appointment)}.")
            return redirect("hospital-home", hospital_code=hospital_code)
        typed = {query: request.POST.get(field, "") for query, field in PORTAL_QUERY.items()}
        return _portal_page(request, context, typed, book_form=form, status=400)
    return _portal_page(request, context, request.GET.dict())


def _portal_page(
    request: HospitalRequest,
    context: dict[str, Any],
    typed: dict[str, str],
    *,
    book_form: PortalBookForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The booking page as chosen so far: the doctor's free times from the date, or, with a time
    chosen, the confirmation step (its reason and "Book this appointment")."""
    times = PortalTimesForm({key: typed.get(key, "") for key in ("doctor", "date", "time", "minutes")})
    context["form"] = times
    if not times.is_valid():
        times.add_error(None, CHECK_FIELDS)
        return render(request, "scheduling/portal_book.html", context, status=400)
    chosen = times.cleaned_data
    context["chosen"] = {**chosen, "date": chosen["date"] or context["window"].first}
    if chosen["doctor"] is None:
        return render(request, "scheduling/portal_book.html", context, status=status)
    try:
        context["free"] = portal_free_times(
            user=request.user, practitioner_user_id=chosen["doctor"], first_date=context["chosen"]["date"]
        )
    except ApplicationError as exc:
        form_error_show(times, exc, field_names={"practitioner": "doctor"})
        return render(request, "scheduling/portal_book.html", context, status=400)
    if chosen["time"] is not None and chosen["minutes"] is not None and chosen["date"] is not None:
        starts = datetime.datetime.combine(chosen["date"], chosen["time"])
        context["confirm"] = {
            "starts": starts,
            "ends": starts + datetime.timedelta(minutes=chosen["minutes"]),
        }
        context["book_form"] = book_form or PortalBookForm(initial={"reason": typed.get("reason", "")})
        context["form"] = context["book_form"]
    return render(request, "scheduling/portal_book.html", context, status=status)


@hospital_page("GET", "POST")
def booking_rules(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """The hospital's rules for patients booking and cancelling their own appointments online:
    shown to staff, set by those who set the working hours (the administrator)."""
    rules, can_set = booking_rules_for(user=request.user)
    if request.method == "POST":
        if not can_set:  # before reading the form, so a refused sender learns no more than that
            raise NotAllowed("Only the hospital's administrator sets the booking rules.")
        form = BookingRulesForm(request.POST)
        if form_submit(request, form, booking_rules_update) is not None:
            messages.success(request, "The booking rules are saved; they apply to the next booking.")
            return redirect("scheduling:rules", hospital_code=hospital_code)
    else:
        fields = ("self_booking_enabled", "max_days_ahead", "cancel_notice_hours", "max_upcoming")
        form = BookingRulesForm(initial={name: getattr(rules, name) for name in fields})
    context = {**_rights(request), "form": form, "rules": rules, "can_set": can_set}
    return render(request, "scheduling/booking_rules.html", context, status=400 if form.is_bound else 200)


# Calendars


def _calendar_links(
    name: str, hospital_code: str, step: int, date: datetime.date, **query: Any
) -> dict[str, str]:
    """The previous and next day (step 1) or week (step 7) of a calendar, keeping its filter."""
    url = reverse(f"scheduling:{name}", kwargs={"hospital_code": hospital_code})
    kept = {key: value for key, value in query.items() if value}
    return {
        direction: f"{url}?{urlencode({'date': (date + datetime.timedelta(days=days)).isoformat(), **kept})}"
        for direction, days in (("previous", -step), ("next", step))
    }


def _practitioner_calendar(request: HospitalRequest, hospital_code: str, *, week: bool) -> HttpResponse:
    form = DayFilterForm(request.GET)
    doctors = calendar_doctors(user=request.user)
    context: dict[str, Any] = {**_rights(request), "form": form, "doctors": doctors, "week": week}
    if not form.is_valid():
        form.add_error(None, "Check the date and the doctor.")
        context.update(date=_today(), calendar=None)
        return render(request, "scheduling/calendar.html", context, status=400)
    date = form.cleaned_data["date"] or _today()
    doctor = form.cleaned_data["doctor"]
    if doctor is None:
        own = [pk for pk, _ in doctors if pk == request.user.pk]  # a doctor's own calendar first
        doctor = own[0] if own else (doctors[0][0] if doctors else None)
    dates = week_of(date) if week else [date]
    name = "calendar-week" if week else "calendar-day"
    context.update(date=date, doctor=doctor, dates=dates, calendar=None, view_name=name)
    context.update(_calendar_links(name, hospital_code, 7 if week else 1, date, doctor=doctor))
    if doctor is not None:
        try:
            context["calendar"] = practitioner_calendar(
                user=request.user,
                practitioner_user_id=doctor,
                dates=dates,
                client_address=client_address(request),
            )
        except ApplicationError as exc:
            form_error_show(form, exc)
            return render(request, "scheduling/calendar.html", context, status=400)
    return render(request, "scheduling/calendar.html", context)


@hospital_page()
def calendar_day(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """One doctor's day: their working hours' slots, free ones to book, appointments by status."""
    return _practitioner_calendar(request, hospital_code, week=False)


@hospital_page()
def calendar_week(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """One doctor's week from the first day of the hospital's working week, a column a day."""
    return _practitioner_calendar(request, hospital_code, week=True)


@hospital_page()
def calendar_department(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """A department's doctors side by side on one day (columns = doctors, rows = times)."""
    form = DepartmentDayForm(request.GET)
    departments = calendar_departments(user=request.user)
    context: dict[str, Any] = {**_rights(request), "form": form, "departments": departments}
    if not form.is_valid():
        form.add_error(None, "Check the date and the department.")
        context.update(date=_today(), calendar=None)
        return render(request, "scheduling/calendar_department.html", context, status=400)
    date = form.cleaned_data["date"] or _today()
    chosen = form.cleaned_data["department"] or (departments[0].pk if departments else None)
    context.update(date=date, department_id=chosen, calendar=None, department=None)
    context.update(_calendar_links("calendar-department", hospital_code, 1, date, department=chosen))
    if chosen is not None:
        try:
            context["department"], context["calendar"] = department_calendar(
                user=request.user, department_id=chosen, date=date, client_address=client_address(request)
            )
        except ApplicationError as exc:
            form_error_show(form, exc)
            return render(request, "scheduling/calendar_department.html", context, status=400)
    return render(request, "scheduling/calendar_department.html", context)
