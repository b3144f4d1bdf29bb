"""Appointments and free slots: list (by dates, doctor, patient, status), read, book, reschedule,
cancel and move through the statuses, with the scheduling services the day list, the booking form
and the portal use: staff within the matrix, a patient their own within the hospital's online
booking rules. A time already taken (the doctor's or the patient's) answers 409."""

import datetime
from typing import Any

from django.core.paginator import Page
from django.db.models import Q, QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, Scope, permission_require
from hms.api.base import HospitalAPIView
from hms.api.errors import Conflict
from hms.api.pagination import page_serializer
from hms.api.patients import CURSOR
from hms.api.serializers import InputSerializer, validated
from hms.audit.records import AuditedList
from hms.care.access import patient_scope_filter
from hms.core.exceptions import ApplicationError
from hms.core.ids import MAX_ID
from hms.scheduling.models import FREE_STATUSES, Appointment
from hms.scheduling.portal import portal_free_times
from hms.scheduling.selectors import (
    AppointmentEntry,
    appointment_entries,
    appointment_get,
    booking_patient_get,
    practitioner_free_slots,
    with_encounter_flag,
)
from hms.scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    appointment_status_set,
)
from hms.scheduling.wallclock import hospital_zone, local_day_bounds

# The API's filtered list (the pages read a day, a calendar or one patient's appointments).
APPOINTMENT_SEARCH = AuditedList("appointment.search", Appointment)

# --- what the API answers ----------------------------------------------------------------


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PatientRefSerializer(PersonRefSerializer):
    mrn = serializers.CharField()


class AppointmentSerializer(serializers.Serializer):
    """An appointment as the day list shows it, with the moves the caller may make to it now."""

    id = serializers.IntegerField(source="appointment.pk")
    patient = serializers.SerializerMethodField()
    practitioner = serializers.SerializerMethodField()
    starts_at = serializers.DateTimeField(source="starts_local")
    ends_at = serializers.DateTimeField(source="ends_local")
    duration_minutes = serializers.IntegerField(source="appointment.duration_minutes")
    status = serializers.ChoiceField(source="appointment.status", choices=Appointment.Status.choices)
    reason = serializers.CharField(source="appointment.reason")
    cancel_reason = serializers.CharField(source="appointment.cancel_reason")
    next_statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=Appointment.Status.choices),
        help_text="The statuses you may move it to now (POST .../status); cancelled: POST .../cancel.",
    )

    @extend_schema_field(PatientRefSerializer)
    def get_patient(self, entry: AppointmentEntry) -> dict[str, Any]:
        patient = entry.patient
        return {"id": patient.pk, "mrn": patient.mrn, "name": f"{patient.given_name} {patient.family_name}"}

    @extend_schema_field(PersonRefSerializer)
    def get_practitioner(self, entry: AppointmentEntry) -> dict[str, Any]:
        return {"id": entry.appointment.practitioner_user_id, "name": entry.practitioner_name}


AppointmentPageSerializer = page_serializer("AppointmentPageSerializer", AppointmentSerializer)


class SlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(source="starts_local")
    ends_at = serializers.DateTimeField(source="ends_local")
    minutes = serializers.IntegerField()


class FreeDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    slots = SlotSerializer(many=True)


class FreeSlotsSerializer(serializers.Serializer):
    practitioner = PersonRefSerializer()
    days = FreeDaySerializer(many=True)


# --- what the API takes --------------------------------------------------------------------


class AppointmentQuery(InputSerializer):
    date_from = serializers.DateField(
        required=False, help_text="From this day (the hospital's local date, yyyy-mm-dd)."
    )
    date_to = serializers.DateField(required=False, help_text="To this day, inclusive.")
    practitioner = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="The doctor's user id."
    )
    patient = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="The patient's id."
    )
    status = serializers.ChoiceField(choices=Appointment.Status.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        first, last = attrs.get("date_from"), attrs.get("date_to")
        if first and last and last < first:
            raise serializers.ValidationError({"date_to": ["The last day comes before the first."]})
        return attrs


class FreeSlotsQuery(InputSerializer):
    practitioner = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The doctor's user id.")
    date = serializers.DateField(
        help_text="The day (the hospital's local date); a patient gets 7 days from it."
    )


class WhenInput(InputSerializer):
    """The start, either as an instant with its offset or as the hospital's local date and time."""

    starts_at = serializers.DateTimeField(
        required=False, help_text="An instant with its UTC offset (2026-01-05T09:30:00+00:00)."
    )
    date = serializers.DateField(required=False, help_text="Or the hospital's local date...")
    time = serializers.TimeField(required=False, help_text="...and local wall-clock time (hh:mm).")
    duration_minutes = serializers.IntegerField(min_value=5, max_value=480, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "starts_at" not in attrs and not ("date" in attrs and "time" in attrs):
            raise serializers.ValidationError({"starts_at": ["Give starts_at, or date and time."]})
        return attrs


class BookInput(WhenInput):
    patient = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The patient's id (a patient: their own)."
    )
    practitioner = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The doctor's user id.")
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class CancelInput(InputSerializer):
    reason = serializers.CharField(max_length=255)


class StatusInput(InputSerializer):
    status = serializers.ChoiceField(choices=Appointment.Status.choices)
    reason = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="", help_text="Needed to cancel."
    )


def _when(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "starts_at": data.get("starts_at"),
        "local_date": data.get("date"),
        "local_time": data.get("time"),
    }


# --- reads ---------------------------------------------------------------------------------


def appointment_search(
    *, user: User, filters: dict[str, Any], page_number: int, client_address: str | None
) -> Page:
    """One page of the appointments the user may see (a patient: their own), by the filters, in
    time order; audited with the rows and their patients."""
    zone = hospital_zone()
    queryset: QuerySet[Appointment] = Appointment.objects.filter(
        patient_scope_filter(user=user, resource=Resource.APPOINTMENT, action=Action.VIEW)
    )
    if "date_from" in filters:
        queryset = queryset.filter(starts_at__gte=local_day_bounds(date=filters["date_from"], zone=zone)[0])
    if "date_to" in filters:
        queryset = queryset.filter(starts_at__lt=local_day_bounds(date=filters["date_to"], zone=zone)[1])
    for name, field in (
        ("practitioner", "practitioner_user_id"),
        ("patient", "patient_id"),
        ("status", "status"),
    ):
        if name in filters:
            queryset = queryset.filter(**{field: filters[name]})
    queryset = with_encounter_flag(queryset.select_related("patient")).order_by("starts_at", "id")
    page = APPOINTMENT_SEARCH.page(queryset, page_number, user, client_address, filters=_plain(filters))
    page.object_list = appointment_entries(list(page.object_list), user)
    return page


def _plain(filters: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime.date) else value
        for key, value in filters.items()
    }


def _taken(appointment: dict[str, Any], error: ApplicationError) -> ApplicationError:
    """The refusal as a 409 when the time asked for is held by a live appointment of the doctor or the
    patient (the double-booking rule), as it is otherwise."""
    start, end = appointment["start"], appointment["end"]
    if start is None:
        return error
    held = (
        Appointment.objects.filter(starts_at__lt=end, ends_at__gt=start)
        .filter(Q(practitioner_user_id=appointment["practitioner"]) | Q(patient_id=appointment["patient"]))
        .exclude(status__in=FREE_STATUSES)
        .exclude(pk=appointment.get("id") or 0)
    )
    if not held.exists():
        return error
    return Conflict(error.message, details={"starts_at": [error.message]})


def _span(
    data: dict[str, Any], default_minutes: int
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    if data.get("starts_at") is not None:
        start = data["starts_at"]
    elif data.get("date") and data.get("time"):
        start = datetime.datetime.combine(data["date"], data["time"], tzinfo=hospital_zone())
    else:
        return None, None
    try:
        return start, start + datetime.timedelta(minutes=data.get("duration_minutes") or default_minutes)
    except OverflowError:  # the end of the calendar: no appointment can hold that time
        return None, None


# --- the endpoints -------------------------------------------------------------------------


class _AppointmentView(HospitalAPIView):
    def _read(self, appointment_id: int) -> Any:
        entry = appointment_get(
            user=self.acting_user, appointment_id=appointment_id, client_address=self.client_address
        )
        return AppointmentSerializer(entry).data


class AppointmentList(_AppointmentView):
    @extend_schema(
        operation_id="appointments_list",
        parameters=[AppointmentQuery, CURSOR],
        responses={200: AppointmentPageSerializer},
        summary="Appointments in time order, by dates, doctor, patient and status (a patient: their own)",
    )
    def get(self, request: Request, hospital_code: str) -> Response:
        filters = validated(AppointmentQuery, request.query_params)
        page = appointment_search(
            user=self.acting_user,
            filters=filters,
            page_number=self.paginator.page_number(request),
            client_address=self.client_address,
        )
        return self.paginator.response(page, AppointmentSerializer(page.object_list, many=True).data)

    @extend_schema(
        operation_id="appointments_create",
        request=BookInput,
        responses={201: AppointmentSerializer},
        summary="Book an appointment (409 if the doctor or the patient is already booked then)",
    )
    def post(self, request: Request, hospital_code: str) -> Response:
        data = validated(BookInput, request.data)
        patient = booking_patient_get(
            user=self.acting_user, patient_id=data["patient"], client_address=self.client_address
        )
        try:
            booked = appointment_book(
                acting_user=self.acting_user,
                patient=patient,
                practitioner_user_id=data["practitioner"],
                duration_minutes=data.get("duration_minutes") or 15,
                reason=data["reason"],
                client_address=self.client_address,
                **_when(data),
            )
        except ApplicationError as error:
            start, end = _span(data, 15)
            wanted = {"start": start, "end": end, "practitioner": data["practitioner"], "patient": patient.pk}
            raise _taken(wanted, error) from error
        return Response(self._read(booked.pk), status=201)


class AppointmentDetail(_AppointmentView):
    @extend_schema(operation_id="appointments_retrieve", responses={200: AppointmentSerializer})
    def get(self, request: Request, hospital_code: str, appointment_id: int) -> Response:
        return Response(self._read(appointment_id))


class AppointmentReschedule(_AppointmentView):
    @extend_schema(
        operation_id="appointments_reschedule",
        request=WhenInput,
        responses={200: AppointmentSerializer},
        summary="Move a booked appointment to another time, same doctor (staff; 409 if that time is taken)",
    )
    def post(self, request: Request, hospital_code: str, appointment_id: int) -> Response:
        data = validated(WhenInput, request.data)
        current = appointment_get(
            user=self.acting_user, appointment_id=appointment_id, client_address=self.client_address
        ).appointment
        try:
            appointment_reschedule(
                acting_user=self.acting_user,
                appointment_id=current.pk,
                duration_minutes=data.get("duration_minutes"),
                client_address=self.client_address,
                **_when(data),
            )
        except ApplicationError as error:
            start, end = _span(data, current.duration_minutes)
            wanted = {
                "start": start,
                "end": end,
                "practitioner": current.practitioner_user_id,
                "patient": current.patient_id,
                "id": current.pk,
            }
            raise _taken(wanted, error) from error
        return Response(self._read(current.pk))


class AppointmentCancel(_AppointmentView):
    @extend_schema(
        operation_id="appointments_cancel",
        request=CancelInput,
        responses={200: AppointmentSerializer},
        summary="Cancel an appointment, with a reason (a patient: their own, with the notice asked)",
    )
    def post(self, request: Request, hospital_code: str, appointment_id: int) -> Response:
        data = validated(CancelInput, request.data)
        appointment_cancel(
            acting_user=self.acting_user,
            appointment_id=appointment_id,
            reason=data["reason"],
            client_address=self.client_address,
        )
        return Response(self._read(appointment_id))


class AppointmentStatus(_AppointmentView):
    @extend_schema(
        operation_id="appointments_status",
        request=StatusInput,
        responses={200: AppointmentSerializer},
        summary="Move an appointment along its statuses (booked, arrived, in consultation, completed...)",
    )
    def post(self, request: Request, hospital_code: str, appointment_id: int) -> Response:
        data = validated(StatusInput, request.data)
        appointment_status_set(
            acting_user=self.acting_user,
            appointment_id=appointment_id,
            new_status=data["status"],
            reason=data["reason"],
            client_address=self.client_address,
        )
        return Response(self._read(appointment_id))


class FreeSlots(HospitalAPIView):
    @extend_schema(
        operation_id="appointments_free_slots",
        parameters=[FreeSlotsQuery],
        responses={200: FreeSlotsSerializer},
        summary="A doctor's free slots: a day for staff, 7 days within the booking rules for a patient",
    )
    def get(self, request: Request, hospital_code: str) -> Response:
        data = validated(FreeSlotsQuery, request.query_params)
        user = self.acting_user
        if permission_require(user=user, resource=Resource.APPOINTMENT, action=Action.VIEW) == Scope.OWN:
            times = portal_free_times(
                user=user, practitioner_user_id=data["practitioner"], first_date=data["date"]
            )
            name, days = times.practitioner_name, [{"date": d.date, "slots": d.slots} for d in times.days]
        else:
            free = practitioner_free_slots(
                user=user, practitioner_user_id=data["practitioner"], date=data["date"]
            )
            name, days = free.practitioner_name, [{"date": free.date, "slots": free.slots}]
        body = {"practitioner": {"id": data["practitioner"], "name": name}, "days": days}
        return Response(FreeSlotsSerializer(body).data)


urlpatterns = [
    path("appointments", AppointmentList.as_view(), name="appointments"),
    path("appointments/free-slots", FreeSlots.as_view(), name="free-slots"),
    path("appointments/<id:appointment_id>", AppointmentDetail.as_view(), name="appointment"),
    path(
        "appointments/<id:appointment_id>/reschedule",
        AppointmentReschedule.as_view(),
        name="appointment-reschedule",
    ),
    path("appointments/<id:appointment_id>/cancel", AppointmentCancel.as_view(), name="appointment-cancel"),
    path("appointments/<id:appointment_id>/status", AppointmentStatus.as_view(), name="appointment-status"),
]
