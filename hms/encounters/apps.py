from django.apps import AppConfig
from django.db.models import QuerySet


class EncountersConfig(AppConfig):
    name = "hms.encounters"
    label = "encounters"
    verbose_name = "Encounters"

    def ready(self) -> None:
        from hms.care.access import care_source_add
        from hms.encounters.models import Encounter

        def seen(user_id: int) -> "QuerySet[Encounter]":
            """An encounter that was not voided puts the patient in the practitioner's care."""
            return Encounter.objects.live().filter(practitioner_user_id=user_id)

        care_source_add("encounters.encounter", seen)
