from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hms.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from hms.audit.services import audit_refusal, audit_spool_drain
        from hms.core.http import refusal_listener_add
        from hms.tenancy.moving import before_switch

        # Events recorded while a hospital was read-only join its log before a move completes.
        before_switch(audit_spool_drain)
        # Refused attempts on a hospital's pages are in its log too, with outcome "denied".
        refusal_listener_add(audit_refusal)
