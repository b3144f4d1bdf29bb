from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "hms.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from hms.api import auth, schema  # noqa: F401 - token receivers, the OpenAPI Bearer scheme
