"""The hospital's staff and departments, read as the staff page reads them (its viewers only)."""

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from hms.accounts.permissions import Action, Resource, permission_require, permission_scope
from hms.api.base import HospitalAPIView
from hms.api.pagination import page_serializer
from hms.api.patients import CURSOR
from hms.api.serializers import InputSerializer, validated
from hms.core.pages import page_of
from hms.staff.models import Department
from hms.staff.selectors import StaffEntry, department_list, staff_list


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "code", "is_active"]
        read_only_fields = fields


class StaffEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="member.pk")
    username = serializers.CharField()
    full_name = serializers.CharField()
    role = serializers.CharField(source="member.role")
    department = serializers.SerializerMethodField()
    specialty = serializers.CharField(source="member.specialty")
    licence_number = serializers.CharField(source="member.licence_number")
    is_active = serializers.BooleanField(source="member.is_active")

    def get_department(self, entry: StaffEntry) -> str | None:
        department = entry.member.department
        return department.name if department is not None else None


StaffPageSerializer = page_serializer("StaffPageSerializer", StaffEntrySerializer)


DepartmentPageSerializer = page_serializer("DepartmentPageSerializer", DepartmentSerializer)


class StaffQuery(InputSerializer):
    department = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Only this department's staff (its id)."
    )


class StaffList(HospitalAPIView):
    @extend_schema(
        operation_id="staff_list",
        parameters=[StaffQuery, CURSOR],
        responses={200: StaffPageSerializer},
        summary="The hospital's staff, oldest first (the administrator also sees disabled accounts)",
    )
    def get(self, request: Request, hospital_code: str) -> Response:
        user = self.acting_user
        wanted = validated(StaffQuery, request.query_params).get("department")
        permission_require(user=user, resource=Resource.STAFF, action=Action.VIEW)
        departments = department_list(user=user)
        department = next((d for d in departments if d.pk == wanted), None)
        if wanted is not None and department is None:
            return self.paginator.response(page_of([], 1), [])  # as the page: no such department, nobody
        page = staff_list(
            user=user,
            department=department,
            include_inactive=permission_scope(user=user, resource=Resource.STAFF, action=Action.UPDATE)
            is not None,
            page_number=self.paginator.page_number(request),
        )
        return self.paginator.response(page, StaffEntrySerializer(page.object_list, many=True).data)


class DepartmentList(HospitalAPIView):
    @extend_schema(
        operation_id="departments_list",
        parameters=[CURSOR],
        responses={200: DepartmentPageSerializer},
        summary="The hospital's departments, A-Z",
    )
    def get(self, request: Request, hospital_code: str) -> Response:
        permission_require(user=self.acting_user, resource=Resource.STAFF, action=Action.VIEW)
        page = page_of(department_list(user=self.acting_user), self.paginator.page_number(request))
        data: Any = DepartmentSerializer(page.object_list, many=True).data
        return self.paginator.response(page, data)


urlpatterns = [
    path("staff", StaffList.as_view(), name="staff"),
    path("departments", DepartmentList.as_view(), name="departments"),
]
