"""Scheduling pages: the day's appointments, booking, rescheduling, cancelling, working hours.

Views parse the form, call a service or selector, and render. A refused change is
shown beside its form with status 400; NotFound answers 404 and NotAllowed 403.
Times are shown in the hospital's time zone.
"""

import datetime
import re
import zoneinfo
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from hms.accounts.permissions import Action, Resource, permission_require, permission_scope
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.core.http import client_address, refusals_as_http
from hms.scheduling import wallclock
from hms.scheduling.models import Appointment, WorkingHours
from hms.scheduling.selectors import (
    appointment_day_list,
    appointment_get,
    bookable_practitioners,
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
from hms.scheduling.wallclock import date_check

TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)", re.ASCII)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
PERIOD = re.compile(r"\s*(\S+)\s*-\s*(\S+)\s*")
STATUS_BUTTONS = (
    Appointment.Status.ARRIVED,
    Appointment.Status.IN_CONSULTATION,
    Appointment.Status.COMPLETED,
    Appointment.Status.NO_SHOW,
)


class FormErrors(dict[str, list[str]]):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)


def _zone(request: HttpRequest) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(request.hospital.time_zone)  # type: ignore[attr-defined]


def _today(request: HttpRequest) -> datetime.date:
    return wallclock.now().astimezone(_zone(request)).date()


def _parse_date(value: str, field: str, errors: FormErrors) -> datetime.date | None:
    value = value.strip()
    try:
        date = datetime.date.fromisoformat(value) if DATE.fullmatch(value) else None
    except ValueError:
        date = None
    if date is None:
        errors.add(
            field, f"{value!r} is not a date (yyyy-mm-dd)." if value else "Enter a date as yyyy-mm-dd."
        )
        return None
    try:
        date_check(date)
    except ApplicationError as exc:
        errors.add(field, exc.message)
        return None
    return date


def _parse_time(value: str, field: str, errors: FormErrors) -> datetime.time | None:
    match = TIME.fullmatch(value.strip())
    if match is None:
        errors.add(field, "Enter a time as hh:mm (24-hour clock).")
        return None
    return datetime.time(int(match.group(1)), int(match.group(2)))


def _parse_int(value: str, field: str, errors: FormErrors, message: str) -> int | None:
    value = value.strip()
    if value.isascii() and value.isdigit() and len(value) <= 12:
        return int(value)
    errors.add(field, message)
    return None


def _error_context(exc: ApplicationError) -> dict[str, Any]:
    return {"error": exc.message, "errors": exc.details}


def _base(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = request.user
    return {
        "hospital": request.hospital,  # type: ignore[attr-defined]
        "time_zone": request.hospital.time_zone,  # type: ignore[attr-defined]
        "can_book": permission_scope(user=user, resource=Resource.APPOINTMENT, action=Action.CREATE)
        is not None,
        "update_scope": permission_scope(user=user, resource=Resource.APPOINTMENT, action=Action.UPDATE),
        **extra,
    }


def _day_url(hospital_code: str, date: object = "", doctor: object = "") -> str:
    query = {key: value for key, value in (("date", date), ("doctor", doctor)) if value}
    url = reverse("scheduling:day", kwargs={"hospital_code": hospital_code})
    return f"{url}?{urlencode(query)}" if query else url


@login_required
@refusals_as_http
def day_list(request: HttpRequest, hospital_code: str) -> HttpResponse:
    """The hospital's appointments on one local date, optionally for one doctor."""
    errors = FormErrors()
    raw_date, raw_doctor = request.GET.get("date", ""), request.GET.get("doctor", "")
    date = _parse_date(raw_date, "date", errors) if raw_date.strip() else _today(request)
    doctor = (
        _parse_int(raw_doctor, "doctor", errors, "Choose a doctor from the list.")
        if raw_doctor.strip()
        else None
    )
    context = _base(
        request,
        date=date or _today(request),
        raw_date=raw_date,
        doctor=doctor,
        errors=errors,
        status_buttons=STATUS_BUTTONS,
    )
    if errors:
        context["error"] = "Check the date and the doctor."
        context["doctors"] = bookable_practitioners(user=request.user)
        return render(request, "scheduling/day_list.html", context, status=400)
    assert date is not None
    page = appointment_day_list(
        user=request.user,
        date=date,
        practitioner_user_id=doctor,
        page_number=request.GET.get("page", 1),
        client_address=client_address(request),
    )
    context.update(
        page=page,
        doctors=bookable_practitioners(user=request.user),
        previous_day=date - datetime.timedelta(days=1),
        next_day=date + datetime.timedelta(days=1),
    )
    return render(request, "scheduling/day_list.html", context)


@login_required
@refusals_as_http
@require_POST
def appointment_status(request: HttpRequest, hospital_code: str, appointment_id: str) -> HttpResponse:
    """A status button of the day list (arrived, in consultation, completed, no-show)."""
    status = request.POST.get("status", "")
    try:
        appointment = appointment_status_set(
            acting_user=request.user,
            appointment_id=appointment_id,
            new_status=status,
            client_address=client_address(request),
        )
    except (NotFound, NotAllowed):
        raise
    except ApplicationError as exc:
        back = _day_url(hospital_code, request.POST.get("date", ""), request.POST.get("doctor", ""))
        context = _base(request, back=back, **_error_context(exc))
        return render(request, "scheduling/refused.html", context, status=400)
    messages.success(request, f"Appointment {appointment.pk} is now {appointment.get_status_display()}.")
    return redirect(_day_url(hospital_code, request.POST.get("date", ""), request.POST.get("doctor", "")))


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def appointment_cancel_form(request: HttpRequest, hospital_code: str, appointment_id: str) -> HttpResponse:
    """Cancel an appointment, with a reason."""
    if request.method == "POST":
        try:
            appointment = appointment_cancel(
                acting_user=request.user,
                appointment_id=appointment_id,
                reason=request.POST.get("reason", ""),
                client_address=client_address(request),
            )
        except (NotFound, NotAllowed):
            raise
        except ApplicationError as exc:
            entry = appointment_get(
                user=request.user, appointment_id=appointment_id, client_address=client_address(request)
            )
            context = _base(
                request, entry=entry, reason=request.POST.get("reason", ""), **_error_context(exc)
            )
            return render(request, "scheduling/cancel.html", context, status=400)
        messages.success(request, f"Appointment {appointment.pk} is cancelled.")
        local = appointment.starts_at.astimezone(_zone(request)).date()
        return redirect(_day_url(hospital_code, local.isoformat()))
    entry = appointment_get(
        user=request.user, appointment_id=appointment_id, client_address=client_address(request)
    )
    return render(request, "scheduling/cancel.html", _base(request, entry=entry, errors={}))


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def appointment_reschedule_form(
    request: HttpRequest, hospital_code: str, appointment_id: str
) -> HttpResponse:
    """Move a booked appointment to another date and time (wall clock of the hospital)."""
    if request.method == "GET":
        entry = appointment_get(
            user=request.user, appointment_id=appointment_id, client_address=client_address(request)
        )
        form = {
            "date": entry.starts_local.date().isoformat(),
            "time": f"{entry.starts_local:%H:%M}",
            "duration_minutes": str(entry.appointment.duration_minutes),
        }
        return render(
            request, "scheduling/reschedule.html", _base(request, entry=entry, form=form, errors={})
        )

    form = {key: request.POST.get(key, "") for key in ("date", "time", "duration_minutes")}
    errors = FormErrors()
    date = _parse_date(form["date"], "date", errors)
    time = _parse_time(request.POST.get("slot") or form["time"], "time", errors)
    duration = _parse_int(
        form["duration_minutes"], "duration_minutes", errors, "Enter the duration in whole minutes."
    )
    exc: ApplicationError
    if errors:
        exc = ApplicationError("Check the highlighted fields.", details=errors)
    else:
        try:
            appointment = appointment_reschedule(
                acting_user=request.user,
                appointment_id=appointment_id,
                local_date=date,
                local_time=time,
                duration_minutes=duration,
                client_address=client_address(request),
            )
        except (NotFound, NotAllowed):
            raise
        except ApplicationError as raised:
            exc = raised
        else:
            local = appointment.starts_at.astimezone(_zone(request))
            messages.success(request, f"Appointment {appointment.pk} moved to {local:%Y-%m-%d %H:%M %Z}.")
            return redirect(_day_url(hospital_code, local.date().isoformat()))
    entry = appointment_get(
        user=request.user, appointment_id=appointment_id, client_address=client_address(request)
    )
    context = _base(request, entry=entry, form=form, **_error_context(exc))
    return render(request, "scheduling/reschedule.html", context, status=400)


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def appointment_book_form(request: HttpRequest, hospital_code: str) -> HttpResponse:
    """Book an appointment: patient by MRN, doctor, local date and time, duration, reason.

    "Show free slots" re-displays the form with the doctor's free slots that day; each
    slot is a button that books it.
    """
    permission_require(user=request.user, resource=Resource.APPOINTMENT, action=Action.CREATE)
    fields = ("mrn", "practitioner", "date", "time", "duration_minutes", "reason")
    source = request.POST if request.method == "POST" else request.GET
    form = {key: source.get(key, "") for key in fields}
    if request.method == "GET":
        form["duration_minutes"] = form["duration_minutes"] or "15"
        form["date"] = form["date"] or _today(request).isoformat()
    context = _base(request, form=form, errors={}, doctors=bookable_practitioners(user=request.user))
    errors = FormErrors()

    if request.method == "GET" or request.POST.get("action") == "slots":
        if form["practitioner"].strip():
            date = _parse_date(form["date"], "date", errors)
            practitioner = _parse_int(
                form["practitioner"], "practitioner", errors, "Choose a doctor from the list."
            )
            if not errors:
                try:
                    context["free"] = practitioner_free_slots(
                        user=request.user, practitioner_user_id=practitioner, date=date
                    )
                except (NotFound, NotAllowed):
                    raise
                except ApplicationError as exc:
                    context.update(_error_context(exc))
                    return render(request, "scheduling/book.html", context, status=400)
        if errors:
            context.update(error="Check the highlighted fields.", errors=errors)
            return render(request, "scheduling/book.html", context, status=400)
        return render(request, "scheduling/book.html", context)

    date = _parse_date(form["date"], "date", errors)
    practitioner = _parse_int(form["practitioner"], "practitioner", errors, "Choose a doctor from the list.")
    time = _parse_time(request.POST.get("slot") or form["time"], "time", errors)
    duration = _parse_int(
        form["duration_minutes"], "duration_minutes", errors, "Enter the duration in whole minutes."
    )
    try:
        if errors:
            raise ApplicationError("Check the highlighted fields.", details=errors)
        patient = patient_for_booking(user=request.user, mrn=form["mrn"])
        appointment = appointment_book(
            acting_user=request.user,
            patient=patient,
            practitioner_user_id=practitioner,
            local_date=date,
            local_time=time,
            duration_minutes=duration if duration is not None else 0,
            reason=form["reason"],
            client_address=client_address(request),
        )
    except (NotFound, NotAllowed):
        raise
    except ApplicationError as exc:
        context.update(_error_context(exc))
        return render(request, "scheduling/book.html", context, status=400)
    local = appointment.starts_at.astimezone(_zone(request))
    messages.success(
        request, f"Booked {patient.family_name}, {patient.given_name} for {local:%Y-%m-%d %H:%M %Z}."
    )
    return redirect(_day_url(hospital_code, local.date().isoformat(), appointment.practitioner_user_id))


@login_required
@refusals_as_http
def patient_appointment_list(request: HttpRequest, hospital_code: str, patient_id: str) -> HttpResponse:
    """A patient's appointments, latest first (a patient sees only their own)."""
    page = patient_appointments(
        user=request.user,
        patient_id=patient_id,
        page_number=request.GET.get("page", 1),
        client_address=client_address(request),
    )
    return render(request, "scheduling/patient_appointments.html", _base(request, page=page))


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def working_hours(request: HttpRequest, hospital_code: str) -> HttpResponse:
    """The doctors' working hours; an administrator sets one weekday of one doctor at a time.

    Periods are typed as "09:00-12:00, 14:00-17:00"; an empty field means a day off.
    """
    source = request.POST if request.method == "POST" else request.GET
    form = {key: source.get(key, "") for key in ("practitioner", "weekday", "periods", "slot_minutes")}
    form["slot_minutes"] = form["slot_minutes"] or "15"
    errors = FormErrors()
    doctor = (
        _parse_int(form["practitioner"], "practitioner", errors, "Choose a doctor from the list.")
        if form["practitioner"].strip()
        else None
    )
    can_set = (
        permission_scope(user=request.user, resource=Resource.SCHEDULE, action=Action.UPDATE) is not None
    )
    context = _base(
        request,
        form=form,
        errors=errors,
        can_set=can_set,
        weekdays=WorkingHours.Weekday.choices,
        doctors=bookable_practitioners(user=request.user),
    )
    status = 200
    if request.method == "POST":
        weekday = _parse_int(form["weekday"], "weekday", errors, "Choose a day of the week.")
        slot = _parse_int(form["slot_minutes"], "slot_minutes", errors, "Enter the slot length in minutes.")
        periods = _parse_periods(form["periods"], errors)
        if doctor is None and "practitioner" not in errors:
            errors.add("practitioner", "Choose a doctor from the list.")
        try:
            if errors:
                raise ApplicationError("Check the highlighted fields.", details=errors)
            working_hours_set(
                acting_user=request.user,
                practitioner_user_id=doctor,
                weekday=weekday if weekday is not None else -1,
                periods=periods,
                slot_minutes=slot if slot is not None else 0,
                client_address=client_address(request),
            )
        except (NotFound, NotAllowed):
            raise
        except ApplicationError as exc:
            context.update(_error_context(exc))
            status = 400
        else:
            messages.success(request, "Working hours saved.")
            url = reverse("scheduling:hours", kwargs={"hospital_code": hospital_code})
            return redirect(f"{url}?{urlencode({'practitioner': doctor})}")
    elif errors:
        context["error"] = "Choose a doctor from the list."
        status = 400
    context["page"] = working_hours_list(
        user=request.user,
        practitioner_user_id=None if "practitioner" in errors else doctor,
        page_number=request.GET.get("page", 1),
    )
    names = dict(context["doctors"])
    context["rows"] = [
        (row, names.get(row.practitioner_user_id, f"#{row.practitioner_user_id}"))
        for row in context["page"].object_list
    ]
    return render(request, "scheduling/working_hours.html", context, status=status)


def _parse_periods(value: str, errors: FormErrors) -> list[tuple[datetime.time, datetime.time]]:
    periods = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        match = PERIOD.fullmatch(part)
        start = TIME.fullmatch(match.group(1)) if match else None
        end = TIME.fullmatch(match.group(2)) if match else None
        if start is None or end is None:
            errors.add("periods", f"{part!r} is not a period like 09:00-12:00.")
            continue
        periods.append(
            (
                datetime.time(int(start.group(1)), int(start.group(2))),
                datetime.time(int(end.group(1)), int(end.group(2))),
            )
        )
    return periods
