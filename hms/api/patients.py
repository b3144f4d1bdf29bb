"""Patients: register (a likely duplicate answers 409 until `confirm_duplicate`), search and list,
read, update; their identifiers; record a death, or take back one recorded by mistake. The same
services and selectors as the patient pages, so the same rights, rules and audit rows."""

from collections.abc import Callable

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from hms.accounts.permissions import Action, Resource, permission_require
from hms.api.base import HospitalAPIView
from hms.api.errors import Conflict
from hms.api.pagination import page_serializer
from hms.api.serializers import InputSerializer, input_from_form, validated
from hms.core.pages import page_of
from hms.patients.forms import DeathUndoForm, IdentifierForm, NextOfKinForm
from hms.patients.models import NextOfKin, Patient, PatientIdentifier
from hms.patients.selectors import SUMMARY_FIELDS, patient_detail, patient_page, patient_search
from hms.patients.services import (
    CONTACT_FIELDS,
    PossibleDuplicate,
    patient_death_record,
    patient_death_undo,
    patient_identifier_add,
    patient_register,
    patient_update,
)

# --- what the API answers ----------------------------------------------------------------


class IdentifierSerializer(serializers.ModelSerializer):
    class Meta:
        model = PatientIdentifier
        fields = ["id", "system", "value"]
        read_only_fields = fields


class NextOfKinSerializer(serializers.ModelSerializer):
    class Meta:
        model = NextOfKin
        fields = ["id", "name", "relationship", "phone"]
        read_only_fields = fields


DECEASED_AT_HELP = (
    "When the patient died (POST .../death); null while no death is recorded, or once a mistaken "
    "record is taken back (POST .../death/undo)."
)


class PatientSummarySerializer(serializers.ModelSerializer):
    """A patient as lists show them."""

    class Meta:
        model = Patient
        fields = list(SUMMARY_FIELDS)  # what the lists read of each patient, in their one query
        read_only_fields = fields
        extra_kwargs = {"deceased_at": {"help_text": DECEASED_AT_HELP}}


class PatientSerializer(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text="Empty when not known.")
    identifiers = IdentifierSerializer(many=True, read_only=True)
    next_of_kin = NextOfKinSerializer(many=True, read_only=True)

    class Meta:
        model = Patient
        fields = ["id", "mrn", *CONTACT_FIELDS, "deceased_at", "identifiers", "next_of_kin"]
        read_only_fields = fields
        extra_kwargs = {"deceased_at": {"help_text": DECEASED_AT_HELP}}


PatientPageSerializer = page_serializer("PatientPageSerializer", PatientSummarySerializer)


IdentifierPageSerializer = page_serializer("IdentifierPageSerializer", IdentifierSerializer)


# --- what the API takes --------------------------------------------------------------------


# As the patient page's forms take them.
IdentifierInput = input_from_form("IdentifierInput", IdentifierForm)
NextOfKinInput = input_from_form("NextOfKinInput", NextOfKinForm)


class PatientUpdateInput(InputSerializer):
    """The details the record page's form changes; send only those that change. A patient with one
    name only has the other empty (never both)."""

    given_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    family_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, help_text="Not after the hospital's today.")
    birth_date_estimated = serializers.BooleanField(
        required=False,
        help_text="The birth date was worked out from an age. A new birth_date sent without it is "
        "taken as known.",
    )
    sex = serializers.ChoiceField(choices=Patient.Sex.choices, required=False)
    sex_for_clinical_use = serializers.ChoiceField(
        choices=Patient.ClinicalSex.choices,
        required=False,
        allow_blank=True,
        help_text="female or male: which sex's reference ranges apply where `sex` is other or "
        "unknown (or differs); empty when not recorded.",
    )
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    address = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class PatientRegisterInput(PatientUpdateInput):
    given_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    family_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    birth_date = serializers.DateField(help_text="Not after the hospital's today.")
    mrn = serializers.CharField(
        max_length=32, required=False, help_text="Leave out to have the next MRN generated (the usual way)."
    )
    identifiers = IdentifierInput(many=True, required=False)
    next_of_kin = NextOfKinInput(many=True, required=False)
    confirm_duplicate = serializers.BooleanField(
        default=False,
        help_text="Register even though a patient with the same birth date and a similar name exists "
        "(after a 409 naming them, once you have checked it is not the same person).",
    )


class DeathRecordInput(InputSerializer):
    deceased_at = serializers.DateTimeField(
        help_text="The date and time of death, with its UTC offset (without one: the hospital's local "
        "time). Not in the future, not before the birth date."
    )
    confirm = serializers.BooleanField(
        default=False, help_text="true: you confirm that the patient has died (refused without it)."
    )


# As the record page's form takes it.
DeathUndoInput = input_from_form("DeathUndoInput", DeathUndoForm)


class PatientSearchQuery(InputSerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="As the patient list's search: an MRN, an identifier, a birth date (yyyy-mm-dd) or "
        "the start of a name ('amina oka', 'okafor, amina'). Without it: every patient, A-Z.",
    )


CURSOR = OpenApiParameter("cursor", str, description="The pagination cursor (from `next` or `previous`).")


# --- the endpoints -------------------------------------------------------------------------


class _PatientView(HospitalAPIView):
    def _patient_to_change(self, patient_id: int) -> Patient:
        """The patient a change is for, read once (and audited as a view) by one who may change
        patients: one who may not is refused (403) before anything is read."""
        permission_require(user=self.acting_user, resource=Resource.PATIENT, action=Action.UPDATE)
        return patient_detail(
            user=self.acting_user, patient_id=patient_id, client_address=self.client_address
        )

    def _answer(self, patient: Patient, changed: Patient) -> Response:
        """The record read (and audited) once before the change, with the fields as saved: its
        identifiers and next of kin are those read then, which these changes do not touch."""
        for field in (*CONTACT_FIELDS, "deceased_at"):
            setattr(patient, field, getattr(changed, field))
        return Response(PatientSerializer(patient).data)


class PatientList(HospitalAPIView):
    @extend_schema(
        operation_id="patients_list",
        parameters=[PatientSearchQuery, CURSOR],
        responses={200: PatientPageSerializer},
        summary="Search the hospital's patients (or list them A-Z); the read is audited",
    )
    def get(self, request: Request, hospital_code: str) -> Response:
        query = validated(PatientSearchQuery, request.query_params).get("q", "").strip()
        number = self.paginator.page_number(request)
        if query:
            page = patient_search(
                user=self.acting_user, query=query, page_number=number, client_address=self.client_address
            )
        else:
            page = patient_page(user=self.acting_user, page_number=number, client_address=self.client_address)
        return self.paginator.response(page, PatientSummarySerializer(page.object_list, many=True).data)

    @extend_schema(
        operation_id="patients_create",
        request=PatientRegisterInput,
        responses={201: PatientSerializer},
        summary="Register a patient (409 for a likely duplicate, until confirm_duplicate)",
    )
    def post(self, request: Request, hospital_code: str) -> Response:
        data = validated(PatientRegisterInput, request.data)
        try:
            patient = patient_register(
                acting_user=self.acting_user,
                **{field: data[field] for field in CONTACT_FIELDS if field in data},
                mrn=data.get("mrn"),
                identifiers=[(row["system"], row["value"]) for row in data.get("identifiers", [])],
                next_of_kin=[dict(row) for row in data.get("next_of_kin", [])],
                confirm_not_duplicate=data["confirm_duplicate"],
                client_address=self.client_address,
            )
        except PossibleDuplicate as warning:
            raise Conflict(
                warning.message,
                details={
                    "confirm_duplicate": ["Check the likely duplicates, then send true to register anyway."]
                },
                extra={"candidates": [{"mrn": c.mrn, "name": c.name} for c in warning.candidates]},
            ) from warning
        patient = patient_detail(
            user=self.acting_user, patient_id=patient.pk, client_address=self.client_address
        )
        return Response(PatientSerializer(patient).data, status=201)


class PatientDetail(_PatientView):
    @extend_schema(
        operation_id="patients_retrieve", responses={200: PatientSerializer}, summary="One patient"
    )
    def get(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        patient = patient_detail(
            user=self.acting_user, patient_id=patient_id, client_address=self.client_address
        )
        return Response(PatientSerializer(patient).data)

    @extend_schema(
        operation_id="patients_partial_update",
        request=PatientUpdateInput,
        responses={200: PatientSerializer},
        summary="Change a patient's demographics or contact details (the MRN never changes)",
    )
    def patch(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        changes = validated(PatientUpdateInput, request.data)
        patient = self._patient_to_change(patient_id)
        updated = patient_update(
            acting_user=self.acting_user, patient=patient, client_address=self.client_address, **changes
        )
        return self._answer(patient, updated)


class PatientIdentifierList(_PatientView):
    @extend_schema(
        operation_id="patients_identifiers_list",
        parameters=[CURSOR],
        responses={200: IdentifierPageSerializer},
        summary="A patient's other numbers (national ID, insurance...)",
    )
    def get(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        patient = patient_detail(
            user=self.acting_user, patient_id=patient_id, client_address=self.client_address
        )
        page = page_of(list(patient.identifiers.all()), self.paginator.page_number(request))
        return self.paginator.response(page, IdentifierSerializer(page.object_list, many=True).data)

    @extend_schema(
        operation_id="patients_identifiers_create",
        request=IdentifierInput,
        responses={201: IdentifierSerializer},
        summary="Record another number the patient is known by",
    )
    def post(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        data = validated(IdentifierInput, request.data)
        row = patient_identifier_add(
            acting_user=self.acting_user,
            patient=self._patient_to_change(patient_id),
            client_address=self.client_address,
            **data,
        )
        return Response(IdentifierSerializer(row).data, status=201)


class _DeathView(_PatientView):
    def _death_change(
        self,
        request: Request,
        patient_id: int,
        action: Action,
        input_class: type[serializers.Serializer],
        service: Callable[..., Patient],
    ) -> Response:
        """`service` (the record or its undoing) for one the matrix lets do `action` to deaths:
        one who may not is refused (403) before the body or the record is read, as on the page."""
        permission_require(user=self.acting_user, resource=Resource.DEATH, action=action)
        data = validated(input_class, request.data)
        patient = patient_detail(
            user=self.acting_user, patient_id=patient_id, client_address=self.client_address
        )
        changed = service(
            acting_user=self.acting_user, patient=patient, client_address=self.client_address, **data
        )
        return self._answer(patient, changed)


class PatientDeathRecord(_DeathView):
    @extend_schema(
        operation_id="patients_death_record",
        request=DeathRecordInput,
        responses={200: PatientSerializer},
        summary="Record that the patient has died (a doctor or the administrator, confirming it)",
    )
    def post(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        return self._death_change(request, patient_id, Action.CREATE, DeathRecordInput, patient_death_record)


class PatientDeathUndo(_DeathView):
    @extend_schema(
        operation_id="patients_death_undo",
        request=DeathUndoInput,
        responses={200: PatientSerializer},
        summary="Take back a death recorded by mistake (the administrator, with the reason)",
    )
    def post(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        return self._death_change(request, patient_id, Action.VOID, DeathUndoInput, patient_death_undo)


urlpatterns = [
    path("patients", PatientList.as_view(), name="patients"),
    path("patients/<id:patient_id>", PatientDetail.as_view(), name="patient"),
    path("patients/<id:patient_id>/identifiers", PatientIdentifierList.as_view(), name="patient-identifiers"),
    path("patients/<id:patient_id>/death", PatientDeathRecord.as_view(), name="patient-death"),
    path("patients/<id:patient_id>/death/undo", PatientDeathUndo.as_view(), name="patient-death-undo"),
]
