"""The hospital's clinical profile (units, diagnosis code system, working week, growth charts):
read and changed by its ADMIN, through the same service as the profile page."""

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from hms.accounts.permissions import Action, Resource, permission_require
from hms.api.base import HospitalAPIView
from hms.api.serializers import InputSerializer, validated
from hms.clinical.forms import LOINC_CODE
from hms.clinical.models import ClinicalProfile, LabUnits
from hms.clinical.profiles import PROFILE_FIELDS, clinical_profile, clinical_profile_update


class ClinicalProfileSerializer(serializers.ModelSerializer):
    updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="null while the country's defaults stand (never saved)."
    )

    class Meta:
        model = ClinicalProfile
        fields = [*PROFILE_FIELDS, "updated_at"]
        read_only_fields = fields


class ClinicalProfileInput(InputSerializer, serializers.ModelSerializer):
    """The settings to change; send only those that change. The diagnosis code system must have
    its code set installed (ICD-10 WHO or ICD-10-CM in this version)."""

    # The model's fields give the rest, each optional and offering the values its field lists.
    lab_unit_overrides = serializers.DictField(
        child=serializers.ChoiceField(choices=LabUnits.choices),
        required=False,
        help_text="LOINC code of a test -> SI or CONVENTIONAL, where it differs from lab_units. "
        "Replaces the whole set.",
    )
    working_days = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        required=False,
        help_text="ISO weekday numbers, 1 = Monday ... 7 = Sunday.",
    )

    class Meta:
        model = ClinicalProfile
        fields = PROFILE_FIELDS

    def validate_lab_unit_overrides(self, value: dict[str, str]) -> dict[str, str]:
        wrong = sorted(code for code in value if not LOINC_CODE.fullmatch(code))
        if wrong:
            raise serializers.ValidationError(f"Not a LOINC code: {', '.join(wrong)}.")
        return value


class ClinicalProfileDetail(HospitalAPIView):
    @extend_schema(
        operation_id="clinical_profile_retrieve",
        responses={200: ClinicalProfileSerializer},
        summary="The hospital's clinical profile (its country's defaults until first saved)",
    )
    def get(self, request: Request, hospital_code: str) -> Response:
        permission_require(user=self.acting_user, resource=Resource.CLINICAL_PROFILE, action=Action.VIEW)
        return Response(ClinicalProfileSerializer(clinical_profile()).data)

    @extend_schema(
        operation_id="clinical_profile_partial_update",
        request=ClinicalProfileInput,
        responses={200: ClinicalProfileSerializer},
        summary="Change the clinical profile (audited); what is entered next follows it",
    )
    def patch(self, request: Request, hospital_code: str) -> Response:
        changes: dict[str, Any] = validated(ClinicalProfileInput, request.data)
        profile = clinical_profile_update(
            acting_user=self.acting_user, client_address=self.client_address, **changes
        )
        return Response(ClinicalProfileSerializer(profile).data)


urlpatterns = [
    path("clinical-profile", ClinicalProfileDetail.as_view(), name="clinical-profile"),
]
