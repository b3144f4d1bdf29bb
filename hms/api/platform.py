"""The platform operator's hospitals (SUPERADMIN): list, provision one with its first ADMIN,
suspend, reactivate. The console's services (hms.platform.services), so the same rules and the
same security-log rows; no clinical data."""

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from hms.api.base import PlatformAPIView
from hms.api.pagination import page_serializer
from hms.api.patients import CURSOR
from hms.api.serializers import InputSerializer
from hms.core.exceptions import ApplicationError
from hms.hospitals.models import Hospital
from hms.platform.forms import HospitalNewForm
from hms.platform.selectors import hospital_console_page
from hms.platform.services import console_hospital, hospital_create, hospital_reactivate, hospital_suspend


class HospitalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hospital
        fields = ["code", "name", "status", "time_zone"]
        read_only_fields = fields


class HospitalRowSerializer(serializers.Serializer):
    code = serializers.CharField(source="hospital.code")
    name = serializers.CharField(source="hospital.name")
    status = serializers.ChoiceField(source="hospital.status", choices=Hospital.Status.choices)
    time_zone = serializers.CharField(source="hospital.time_zone")
    users = serializers.IntegerField(help_text="Active accounts.")
    schema_current = serializers.BooleanField(help_text="Whether its database runs this code's schema.")


HospitalPageSerializer = page_serializer("HospitalPageSerializer", HospitalRowSerializer)


class HospitalNewInput(InputSerializer):
    """As the console's form (hms.platform.forms.HospitalNewForm), which checks it again."""

    code = serializers.CharField(max_length=32, help_text="2-32 capital letters, digits and underscores.")
    name = serializers.CharField(max_length=200)
    time_zone = serializers.CharField(max_length=64, default="UTC", help_text="As in Asia/Dhaka.")
    admin_username = serializers.CharField(max_length=150)
    admin_email = serializers.EmailField()
    admin_first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    admin_last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class HospitalCreatedSerializer(serializers.Serializer):
    hospital = HospitalSerializer()
    admin_username = serializers.CharField(help_text="Empty if the first administrator could not be made.")
    set_password_link = serializers.CharField(
        help_text="The first administrator's one-time 'set your password' link: hand it over in person."
    )
    admin_problem = serializers.CharField(help_text="Why the first administrator was not made, if so.")


class HospitalQuery(InputSerializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Code or name contains."
    )
    status = serializers.ChoiceField(choices=Hospital.Status.choices, required=False, allow_blank=True)


class HospitalList(PlatformAPIView):
    @extend_schema(
        operation_id="hospitals_list",
        parameters=[HospitalQuery, CURSOR],
        responses={200: HospitalPageSerializer},
        summary="The platform's hospitals, by code (SUPERADMIN)",
    )
    def get(self, request: Request) -> Response:
        query = HospitalQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        paginator = self.paginator
        page = hospital_console_page(
            acting_user=self.acting_user,
            query=query.validated_data.get("q", "").strip(),
            status=query.validated_data.get("status", ""),
            page_number=paginator.page_number(request),
        )
        return paginator.response(page, HospitalRowSerializer(page.object_list, many=True).data)

    @extend_schema(
        operation_id="hospitals_create",
        request=HospitalNewInput,
        responses={201: HospitalCreatedSerializer},
        summary="Provision a hospital and its first administrator (SUPERADMIN)",
    )
    def post(self, request: Request) -> Response:
        data = HospitalNewInput(data=request.data)
        data.is_valid(raise_exception=True)
        form = HospitalNewForm({key: str(value) for key, value in data.validated_data.items()})
        if not form.is_valid():
            errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
            raise ApplicationError("The hospital's details are not valid.", details=errors)
        created = hospital_create(acting_user=self.acting_user, **form.cleaned_data)
        link = request.build_absolute_uri(created.set_password_path) if created.set_password_path else ""
        body: dict[str, Any] = {
            "hospital": created.hospital,
            "admin_username": created.admin_username,
            "set_password_link": link,
            "admin_problem": created.admin_problem,
        }
        return Response(HospitalCreatedSerializer(body).data, status=201)


class _HospitalAction(PlatformAPIView):
    def _act(self, code: str, service: Any) -> Response:
        hospital = console_hospital(acting_user=self.acting_user, code=code)
        hospital = service(acting_user=self.acting_user, hospital=hospital)
        hospital.refresh_from_db()
        return Response(HospitalSerializer(hospital).data)


class HospitalSuspend(_HospitalAction):
    @extend_schema(
        operation_id="hospitals_suspend",
        request=None,
        responses={200: HospitalSerializer},
        summary="Suspend a hospital: its users are refused until it is reactivated (SUPERADMIN)",
    )
    def post(self, request: Request, hospital_code: str) -> Response:
        return self._act(hospital_code, hospital_suspend)


class HospitalReactivate(_HospitalAction):
    @extend_schema(
        operation_id="hospitals_reactivate",
        request=None,
        responses={200: HospitalSerializer},
        summary="Reactivate a suspended hospital (SUPERADMIN)",
    )
    def post(self, request: Request, hospital_code: str) -> Response:
        return self._act(hospital_code, hospital_reactivate)


urlpatterns = [
    path("hospitals/", HospitalList.as_view(), name="hospitals"),
    path("hospitals/<str:hospital_code>/suspend", HospitalSuspend.as_view(), name="hospital-suspend"),
    path(
        "hospitals/<str:hospital_code>/reactivate", HospitalReactivate.as_view(), name="hospital-reactivate"
    ),
]
