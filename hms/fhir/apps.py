from django.apps import AppConfig


class FhirConfig(AppConfig):
    """HL7 FHIR R4 (4.0.1) per hospital at /fhir/<CODE>/: a facade over the clinical apps'
    selectors and services (no models of its own)."""

    name = "hms.fhir"
    label = "fhir"
    verbose_name = "FHIR R4"
