from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "hms.patients"
    label = "patients"
    verbose_name = "Patients"
