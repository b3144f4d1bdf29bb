"""Prescriptions and lab orders: prescribe through the medication safety checks (a refusal or an
unconfirmed warning answers 422 saying which, and whether an override reason can pass it), order a
test or panel, mark the specimen collected, enter a result and verify it (four eyes); every read
through the orders pages' selectors, so care scope and a patient's view (verified results only)
apply unchanged."""

from typing import Any

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from hms.api.base import HospitalAPIView
from hms.api.errors import problem
from hms.api.pagination import page_serializer
from hms.api.patients import CURSOR
from hms.api.serializers import InputSerializer, validated
from hms.core.ids import MAX_ID
from hms.orders.models import MAX_DURATION_DAYS, LabOrder, LabResult, Prescription
from hms.orders.selectors import lab_order_detail, lab_orders_for_patient, prescriptions_for_patient
from hms.orders.services import (
    OverrideRequired,
    PrescriptionRefused,
    lab_order_collect,
    lab_order_create,
    lab_result_enter,
    lab_result_verify,
    prescription_create,
)
from hms.orders.services.medication_safety import findings_data

# --- what the API answers ----------------------------------------------------------------


class PrescriptionSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(help_text="As shown: a course past its last day is completed.")
    voided = serializers.BooleanField(source="is_voided")

    class Meta:
        model = Prescription
        fields = [
            "id",
            "encounter",
            "patient",
            "prescriber_id",
            "formulary_drug",
            "drug_name",
            "drug_code",
            "strength",
            "dose",
            "dose_unit",
            "route",
            "frequency",
            "duration_days",
            "quantity",
            "instructions",
            "free_text_reason",
            "override_reason",
            "overridden_warnings",
            "status",
            "starts_at",
            "ends_at",
            "stop_reason",
            "voided",
        ]
        read_only_fields = fields

    def get_status(self, prescription: Prescription) -> str:
        return getattr(prescription, "shown_status", None) or prescription.current_status(timezone.now())


PrescriptionPageSerializer = page_serializer("PrescriptionPageSerializer", PrescriptionSerializer)


class LabResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = LabResult
        fields = [
            "id",
            "value_numeric",
            "value_text",
            "unit",
            "loinc_code",
            "entered_value",
            "entered_unit",
            "reference_low",
            "reference_high",
            "critical_low",
            "critical_high",
            "reference_text",
            "reference_note",
            "flag",
            "egfr",
            "egfr_note",
            "comment",
            "entered_by_id",
            "entered_at",
            "verified_by_id",
            "verified_at",
            "superseded_at",
            "correction_reason",
        ]
        read_only_fields = fields


class LabOrderSerializer(serializers.ModelSerializer):
    results = LabResultSerializer(
        source="visible_results", many=True, help_text="The current result first; a patient: verified only."
    )
    voided = serializers.BooleanField(source="is_voided")

    class Meta:
        model = LabOrder
        fields = [
            "id",
            "encounter",
            "patient",
            "ordered_by_id",
            "ordered_at",
            "test_code",
            "test_name",
            "panel_code",
            "priority",
            "status",
            "clinical_note",
            "collected_at",
            "cancel_reason",
            "voided",
            "results",
        ]
        read_only_fields = fields


LabOrderPageSerializer = page_serializer("LabOrderPageSerializer", LabOrderSerializer)


class FindingSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="allergy, dose_per_day, duplicate_class...")
    message = serializers.CharField()


class SafetyProblemSerializer(serializers.Serializer):
    """The 422 of a prescription the medication safety checks stopped (a problem body, with these)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    overridable = serializers.BooleanField(
        help_text="True: send the same prescription again with override_reason to prescribe despite the "
        "warnings. False: refused whatever the reason (an allergy, a dose far beyond the limit)."
    )
    override_fields = serializers.ListField(
        child=serializers.CharField(), help_text="['override_reason'] or []."
    )
    refusals = FindingSerializer(many=True)
    warnings = FindingSerializer(many=True)
    allergies = serializers.ListField(
        child=serializers.CharField(), help_text="The allergies that refused it."
    )


# --- what the API takes --------------------------------------------------------------------


class PrescriptionInput(InputSerializer):
    formulary_drug = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="A formulary drug's id..."
    )
    drug_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="...or the drug's name."
    )
    strength = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    drug_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    dose = serializers.DecimalField(max_digits=10, decimal_places=3)
    dose_unit = serializers.ChoiceField(choices=Prescription.DoseUnit.choices)
    route = serializers.ChoiceField(choices=Prescription.Route.choices)
    frequency = serializers.ChoiceField(choices=Prescription.Frequency.choices)
    duration_days = serializers.IntegerField(
        min_value=1, max_value=MAX_DURATION_DAYS, required=False, allow_null=True, help_text="None for STAT."
    )
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    instructions = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    free_text_reason = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why a drug outside the formulary.",
    )
    override_reason = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why prescribe despite the warnings (after a 422 with overridable true).",
    )


class LabOrderInput(InputSerializer):
    test_code = serializers.CharField(
        max_length=16, help_text="A catalogue test's LOINC code or a panel (CBC)."
    )
    priority = serializers.ChoiceField(choices=LabOrder.Priority.choices, default=LabOrder.Priority.ROUTINE)
    clinical_note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class LabResultInput(InputSerializer):
    value = serializers.CharField(max_length=64, help_text="A number, or the test's text answer.")
    unit = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="The unit of a number (UCUM, such as mmol/L or mg/dL): none is assumed, so a number "
        "without one is refused; left out for a text answer. Stored with its LOINC code.",
    )
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


def _safety_problem(error: PrescriptionRefused | OverrideRequired) -> HttpResponse:
    """The checks' findings as a 422: what stopped it, and whether a reason can pass it."""
    review = error.review
    overridable = isinstance(error, OverrideRequired)
    field = "override_reason" if overridable else "drug_name"
    messages = [finding.message for finding in (review.warnings if overridable else review.refusals)]
    return problem(
        422,
        error.message,
        errors={field: messages},
        kind="override-required" if overridable else "prescription-refused",
        extra={
            "overridable": overridable,
            "override_fields": ["override_reason"] if overridable else [],
            "refusals": findings_data(review.refusals),
            "warnings": findings_data(review.warnings),
            "allergies": review.allergies,
        },
    )


# --- the endpoints -------------------------------------------------------------------------


class PatientPrescriptions(HospitalAPIView):
    @extend_schema(
        operation_id="prescriptions_list",
        parameters=[CURSOR],
        responses={200: PrescriptionPageSerializer},
        summary="A patient's prescriptions: those running first, then the rest, newest first",
    )
    def get(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        records = prescriptions_for_patient(
            user=self.acting_user,
            patient_id=patient_id,
            page_number=self.paginator.page_number(request),
            client_address=self.client_address,
        )
        return self.paginator.response(
            records.page, PrescriptionSerializer(records.page.object_list, many=True).data
        )


class EncounterPrescriptions(HospitalAPIView):
    @extend_schema(
        operation_id="prescriptions_create",
        request=PrescriptionInput,
        responses={201: PrescriptionSerializer, 422: SafetyProblemSerializer},
        summary="Prescribe in an encounter; the medication safety checks answer 422 (overridable or not)",
    )
    def post(self, request: Request, hospital_code: str, encounter_id: int) -> Response | HttpResponse:
        data = validated(PrescriptionInput, request.data)
        try:
            prescription = prescription_create(
                acting_user=self.acting_user,
                encounter_id=encounter_id,
                client_address=self.client_address,
                **data,
            )
        except (PrescriptionRefused, OverrideRequired) as error:
            return _safety_problem(error)
        return Response(PrescriptionSerializer(prescription).data, status=201)


class _LabOrderView(HospitalAPIView):
    def _order(self, order_id: int) -> Any:
        order = lab_order_detail(user=self.acting_user, order_id=order_id, client_address=self.client_address)
        return LabOrderSerializer(order).data


class PatientLabOrders(HospitalAPIView):
    @extend_schema(
        operation_id="lab_orders_list",
        parameters=[CURSOR],
        responses={200: LabOrderPageSerializer},
        summary="A patient's lab orders with their results, newest first (a patient: verified results only)",
    )
    def get(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        records = lab_orders_for_patient(
            user=self.acting_user,
            patient_id=patient_id,
            page_number=self.paginator.page_number(request),
            client_address=self.client_address,
        )
        return self.paginator.response(
            records.page, LabOrderSerializer(records.page.object_list, many=True).data
        )


class EncounterLabOrders(_LabOrderView):
    @extend_schema(
        operation_id="lab_orders_create",
        request=LabOrderInput,
        responses={201: LabOrderSerializer(many=True)},
        summary="Order a test, or a panel (one order per test), in an encounter",
    )
    def post(self, request: Request, hospital_code: str, encounter_id: int) -> Response:
        data = validated(LabOrderInput, request.data)
        orders = lab_order_create(
            acting_user=self.acting_user,
            encounter_id=encounter_id,
            client_address=self.client_address,
            **data,
        )
        return Response([self._order(order.pk) for order in orders], status=201)


class LabOrderRead(_LabOrderView):
    @extend_schema(
        operation_id="lab_orders_retrieve", responses={200: LabOrderSerializer}, summary="One lab order"
    )
    def get(self, request: Request, hospital_code: str, order_id: int) -> Response:
        return Response(self._order(order_id))


class LabOrderCollect(_LabOrderView):
    @extend_schema(
        operation_id="lab_orders_collect",
        request=None,
        responses={200: LabOrderSerializer},
        summary="Record that the specimen was taken",
    )
    def post(self, request: Request, hospital_code: str, order_id: int) -> Response:
        lab_order_collect(acting_user=self.acting_user, order_id=order_id, client_address=self.client_address)
        return Response(self._order(order_id))


class LabOrderResult(_LabOrderView):
    @extend_schema(
        operation_id="lab_results_create",
        request=LabResultInput,
        responses={201: LabOrderSerializer},
        summary="Enter the result of a collected specimen (it then awaits verification)",
    )
    def post(self, request: Request, hospital_code: str, order_id: int) -> Response:
        data = validated(LabResultInput, request.data)
        lab_result_enter(
            acting_user=self.acting_user, order_id=order_id, client_address=self.client_address, **data
        )
        return Response(self._order(order_id), status=201)


class LabResultVerify(_LabOrderView):
    @extend_schema(
        operation_id="lab_results_verify",
        request=None,
        responses={200: LabOrderSerializer},
        summary="Verify a result (a doctor, not the one who entered it); final from then on",
    )
    def post(self, request: Request, hospital_code: str, result_id: int) -> Response:
        result = lab_result_verify(
            acting_user=self.acting_user, result_id=result_id, client_address=self.client_address
        )
        return Response(self._order(result.order_id))


urlpatterns = [
    path(
        "patients/<id:patient_id>/prescriptions", PatientPrescriptions.as_view(), name="patient-prescriptions"
    ),
    path(
        "encounters/<id:encounter_id>/prescriptions",
        EncounterPrescriptions.as_view(),
        name="encounter-prescriptions",
    ),
    path("patients/<id:patient_id>/lab-orders", PatientLabOrders.as_view(), name="patient-lab-orders"),
    path(
        "encounters/<id:encounter_id>/lab-orders", EncounterLabOrders.as_view(), name="encounter-lab-orders"
    ),
    path("lab-orders/<id:order_id>", LabOrderRead.as_view(), name="lab-order"),
    path("lab-orders/<id:order_id>/collect", LabOrderCollect.as_view(), name="lab-order-collect"),
    path("lab-orders/<id:order_id>/results", LabOrderResult.as_view(), name="lab-order-results"),
    path("lab-results/<id:result_id>/verify", LabResultVerify.as_view(), name="lab-result-verify"),
]
