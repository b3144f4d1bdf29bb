from django.apps import AppConfig


class HospitalsConfig(AppConfig):
    name = "hms.hospitals"
    label = "hospitals"
    verbose_name = "Hospitals"
