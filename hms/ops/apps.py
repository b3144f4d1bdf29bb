from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "hms.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from hms.ops.logs import request_finished_clear

        request_finished.connect(request_finished_clear, dispatch_uid="hms.ops.logs")
