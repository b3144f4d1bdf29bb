from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hms.core"
    label = "core"

    def ready(self) -> None:
        from django.urls import register_converter

        from hms.core.converters import RecordIdConverter

        register_converter(RecordIdConverter, "id")
