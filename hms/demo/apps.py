from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "hms.demo"
    label = "demo"
    verbose_name = "Demo data"
