from django.apps import AppConfig


class FleetappConfig(AppConfig):
    name = "bench.fleetapp"
    label = "fleetapp"
    verbose_name = "Benchmark tenant app"
    default_auto_field = "django.db.models.BigAutoField"
