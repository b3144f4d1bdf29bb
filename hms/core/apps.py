from importlib import import_module

from django.apps import AppConfig, apps
from django.utils.module_loading import module_has_submodule


class CoreConfig(AppConfig):
    name = "hms.core"
    label = "core"

    def ready(self) -> None:
        from django.urls import register_converter

        from hms.core.converters import RecordIdConverter

        register_converter(RecordIdConverter, "id")
        system_checks_load()


def system_checks_load() -> None:
    """Import every HMS app's `checks` module, whose system checks register themselves on import.

    One place for it, so that an app's checks cannot be left out by forgetting an import
    in its ready(). Called once every app is loaded (from CoreConfig.ready).
    """
    for config in apps.get_app_configs():
        if config.name.startswith("hms.") and module_has_submodule(config.module, "checks"):
            import_module(f"{config.name}.checks")
