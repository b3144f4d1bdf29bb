from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hms.audit"
    label = "audit"
    verbose_name = "Audit log"
