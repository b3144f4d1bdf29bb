from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hms.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from hms.audit.services import audit_spool_drain
        from hms.tenancy.moving import before_switch

        # Events recorded while a hospital was read-only join its log before a move completes.
        before_switch(audit_spool_drain)
