from django.apps import AppConfig


class CareConfig(AppConfig):
    """Record-level access, voiding, care assignments and break-the-glass (tenant database)."""

    name = "hms.care"
    label = "care"
    verbose_name = "Care"

    def ready(self) -> None:
        from hms.audit.services import audit_detail_source_add
        from hms.care.access import care_source_add
        from hms.care.emergency import emergency_audit_detail
        from hms.care.models import CareAssignment, EmergencyAccess

        audit_detail_source_add(emergency_audit_detail)

        care_source_add(
            "care_assignment", lambda user_id: CareAssignment.objects.open().filter(clinician_user_id=user_id)
        )
        care_source_add(
            "emergency_access", lambda user_id: EmergencyAccess.objects.open().filter(user_id=user_id)
        )
