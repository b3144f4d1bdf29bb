"""Critical results: the alerts awaiting the caller's acknowledgement, one alert, and the
acknowledgement with its read-back. Through the alert pages' selectors and service, so who sees
which alert, the read-back check and the audit rows are theirs; an overdue alert is escalated
before it is read, as the pages do."""

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from hms.accounts.permissions import Action, Resource, permission_require
from hms.alerts.forms import AcknowledgeForm
from hms.alerts.models import CriticalAlert
from hms.alerts.selectors import AlertEntry, critical_alert_detail, critical_alerts_to_acknowledge_page
from hms.alerts.services import critical_alert_acknowledge, critical_alerts_escalate
from hms.api.appointments import PatientRefSerializer, PersonRefSerializer
from hms.api.base import HospitalAPIView
from hms.api.pagination import page_serializer
from hms.api.patients import CURSOR
from hms.api.serializers import input_from_form, validated

# --- what the API answers ----------------------------------------------------------------


def _person(user_id: int | None, name: str) -> dict[str, Any] | None:
    return None if user_id is None else {"id": user_id, "name": name}


class CriticalAlertSerializer(serializers.Serializer):
    """An alert as the alert pages show it, with the people on it."""

    id = serializers.IntegerField(source="alert.pk")
    patient = serializers.SerializerMethodField()
    text = serializers.CharField(
        source="alert.text", help_text="As the pages show it: 'Potassium 6.9 mmol/L (HH)'."
    )
    resource = serializers.CharField(
        source="alert.resource",
        help_text="The kind of record the value is on: LabResult (a validated lab result) or "
        "Observation (a vital sign).",
    )
    record_id = serializers.IntegerField(source="alert.record_id", help_text="That record's id.")
    value = serializers.DecimalField(
        source="alert.value",
        max_digits=14,
        decimal_places=4,
        normalize_output=True,
        help_text="The value a read-back must state.",
    )
    unit = serializers.CharField(source="alert.unit", help_text="UCUM; empty for a value without one.")
    flag = serializers.CharField(
        source="alert.flag", help_text="LL (critically low) or HH (critically high)."
    )
    state = serializers.ChoiceField(source="alert.state", choices=CriticalAlert.State.choices)
    clinician = serializers.SerializerMethodField(help_text="The clinician responsible for acting on it.")
    raised_at = serializers.DateTimeField(source="alert.raised_at")
    due_at = serializers.DateTimeField(
        source="alert.due_at", help_text="Escalated if not acknowledged by then."
    )
    escalated_at = serializers.DateTimeField(source="alert.escalated_at", allow_null=True)
    escalated_to = serializers.SerializerMethodField(
        help_text="The second clinician (or administrator) it was escalated to; null if not escalated."
    )
    acknowledged_at = serializers.DateTimeField(source="alert.acknowledged_at", allow_null=True)
    acknowledged_by = serializers.SerializerMethodField(help_text="null while it awaits acknowledgement.")
    read_back = serializers.CharField(
        source="alert.read_back", help_text="What the clinician read back; empty until acknowledged."
    )

    @extend_schema_field(PatientRefSerializer)
    def get_patient(self, entry: AlertEntry) -> dict[str, Any]:
        patient = entry.alert.patient
        return {"id": patient.pk, "mrn": patient.mrn, "name": patient.full_name}

    @extend_schema_field(PersonRefSerializer)
    def get_clinician(self, entry: AlertEntry) -> dict[str, Any] | None:
        return _person(entry.alert.clinician_id, entry.clinician)

    @extend_schema_field(PersonRefSerializer(allow_null=True))
    def get_escalated_to(self, entry: AlertEntry) -> dict[str, Any] | None:
        return _person(entry.alert.escalated_to_id, entry.escalated_to)

    @extend_schema_field(PersonRefSerializer(allow_null=True))
    def get_acknowledged_by(self, entry: AlertEntry) -> dict[str, Any] | None:
        return _person(entry.alert.acknowledged_by_id, entry.acknowledged_by)


CriticalAlertPageSerializer = page_serializer("CriticalAlertPageSerializer", CriticalAlertSerializer)


# --- what the API takes --------------------------------------------------------------------


# As the alert pages' form takes it; the service checks that it states the value.
AcknowledgeInput = input_from_form("AcknowledgeInput", AcknowledgeForm)


# --- the endpoints -------------------------------------------------------------------------


class _AlertView(HospitalAPIView):
    def _alert(self, alert_id: int) -> Any:
        entry = critical_alert_detail(
            user=self.acting_user, alert_id=alert_id, client_address=self.client_address
        )
        return CriticalAlertSerializer(entry).data


class CriticalAlertList(_AlertView):
    @extend_schema(
        operation_id="critical_alerts_list",
        parameters=[CURSOR],
        responses={200: CriticalAlertPageSerializer},
        summary="The critical results awaiting your acknowledgement, oldest first (a doctor's start page)",
    )
    def get(self, request: Request, hospital_code: str) -> Response:
        # As the start page: an overdue alert is escalated first, so a late timer never hides one.
        critical_alerts_escalate()
        page = critical_alerts_to_acknowledge_page(
            user=self.acting_user,
            page_number=self.paginator.page_number(request),
            client_address=self.client_address,
        )
        return self.paginator.response(page, CriticalAlertSerializer(page.object_list, many=True).data)


class CriticalAlertRead(_AlertView):
    @extend_schema(
        operation_id="critical_alerts_retrieve",
        responses={200: CriticalAlertSerializer},
        summary="One critical result alert (yours; the administrator: any)",
    )
    def get(self, request: Request, hospital_code: str, alert_id: int) -> Response:
        critical_alerts_escalate()
        return Response(self._alert(alert_id))


class CriticalAlertAcknowledge(_AlertView):
    @extend_schema(
        operation_id="critical_alerts_acknowledge",
        request=AcknowledgeInput,
        responses={200: CriticalAlertSerializer},
        summary="Acknowledge an alert addressed to you, with a read-back that states the value "
        "(400, nothing recorded, if it does not)",
    )
    def post(self, request: Request, hospital_code: str, alert_id: int) -> Response:
        # Who may acknowledge at all is checked before the body is read, as on the pages.
        permission_require(user=self.acting_user, resource=Resource.CRITICAL_ALERT, action=Action.UPDATE)
        data = validated(AcknowledgeInput, request.data)
        alert = critical_alert_acknowledge(
            acting_user=self.acting_user,
            alert_id=alert_id,
            read_back=data["read_back"],
            client_address=self.client_address,
        )
        return Response(self._alert(alert.pk))


urlpatterns = [
    path("critical-alerts", CriticalAlertList.as_view(), name="critical-alerts"),
    path("critical-alerts/<id:alert_id>", CriticalAlertRead.as_view(), name="critical-alert"),
    path(
        "critical-alerts/<id:alert_id>/acknowledge",
        CriticalAlertAcknowledge.as_view(),
        name="critical-alert-acknowledge",
    ),
]
