from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "hms.alerts"
    label = "alerts"
    verbose_name = "Critical result alerts"
