from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """The platform's security log and the keys that make it and the audit logs tamper-evident."""

    name = "hms.security"
    label = "security"
    verbose_name = "Security log"

    def ready(self) -> None:
        from hms.security import receivers  # noqa: F401 - connects the sign-in signals
