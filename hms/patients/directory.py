"""The current hospital's patients by MRN and by id, for the audit log's filter and rows
(registered with hms.audit.patients in hms.patients.apps). Queries run in the current
hospital's database only: another hospital's MRN is not found here."""

from collections.abc import Iterable

from hms.patients.models import Patient


def patient_id_for_mrn(mrn: str) -> int | None:
    return Patient.objects.filter(mrn=mrn.strip()).values_list("pk", flat=True).first()


def patient_labels(ids: Iterable[int]) -> dict[int, str]:
    """ "Karim Uddin (MRN 000000018)" by patient id, in one query."""
    wanted = {pk for pk in ids if pk is not None}
    if not wanted:
        return {}
    rows = Patient.objects.filter(pk__in=wanted).values_list("pk", "given_name", "family_name", "mrn")
    return {pk: f"{given} {family} (MRN {mrn})" for pk, given, family, mrn in rows}
