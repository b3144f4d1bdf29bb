"""The hospital's audit log, for its administrators: the audit page's filters and rows; reading
it is itself recorded (`audit.view`), as on the page."""

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from hms.accounts.permissions import Action, Resource, permission_require
from hms.api.base import HospitalAPIView
from hms.api.pagination import page_serializer
from hms.api.patients import CURSOR
from hms.audit.forms import AuditLogFilterForm
from hms.audit.selectors import AuditFilters, audit_event_page
from hms.core.exceptions import ApplicationError


class AuditRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="event.pk")
    occurred_at = serializers.DateTimeField(source="event.occurred_at")
    user = serializers.CharField(help_text="The user's name as the page shows it.")
    username = serializers.CharField()
    role = serializers.CharField()
    action = serializers.CharField()
    resource = serializers.CharField()
    patient = serializers.CharField(
        help_text="The patient's name and MRN; empty for an event about no patient."
    )
    outcome = serializers.CharField()
    address = serializers.CharField()


AuditPageSerializer = page_serializer("AuditPageSerializer", AuditRowSerializer)


FILTERS = [
    OpenApiParameter("username", str, description="Only this user's events."),
    OpenApiParameter("mrn", str, description="Only events about the patient with this MRN."),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="From this day (yyyy-mm-dd)."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="To this day, inclusive (yyyy-mm-dd)."),
    OpenApiParameter("action", str, description="Only actions starting with this ('patient.')."),
]


class AuditLog(HospitalAPIView):
    @extend_schema(
        operation_id="audit_events_list",
        parameters=[*FILTERS, CURSOR],
        responses={200: AuditPageSerializer},
        summary="The hospital's audit log, newest first (ADMIN)",
    )
    def get(self, request: Request, hospital_code: str) -> Response:
        permission_require(user=self.acting_user, resource=Resource.AUDIT_LOG, action=Action.VIEW)
        form = AuditLogFilterForm(request.query_params)
        if not form.is_valid():
            raise ApplicationError(
                "Some filters are not valid.",
                details={field: [str(m) for m in messages] for field, messages in form.errors.items()},
            )
        data = form.cleaned_data
        filters = AuditFilters(
            username=data["username"],
            mrn=data["mrn"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            action_prefix=data["action"],
        )
        log = audit_event_page(
            user=self.acting_user,
            filters=filters,
            page_number=self.paginator.page_number(request),
            client_address=self.client_address,
        )
        return self.paginator.response(log.page, AuditRowSerializer(log.rows, many=True).data)


urlpatterns = [path("audit-events", AuditLog.as_view(), name="audit-events")]
