from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "hms.clinical"
    label = "clinical"
    verbose_name = "Clinical profile and reference data"
