"""What other apps' rules read of a patient: the sex their reference ranges are for, and whether
the patient is alive."""

from django.utils import timezone

from hms.clinical.ranges import clinical_sex
from hms.core.exceptions import ApplicationError
from hms.patients.dates import hospital_zone
from hms.patients.models import Patient


def patient_clinical_sex(patient: Patient) -> str:
    """female or male as reference ranges read them, or "" when neither is known: the sex for
    clinical use where it is recorded, else the recorded sex where it is female or male.
    Labs, vital signs and scores call this rather than reading `patient.sex`."""
    return clinical_sex(patient.sex, patient.sex_for_clinical_use)


def patient_alive_require(patient: Patient, *, refused: str) -> None:
    """ApplicationError (saying `refused`, e.g. "No appointment can be booked") for a patient
    recorded as deceased."""
    if patient.deceased_at is not None:
        died = timezone.localtime(patient.deceased_at, hospital_zone())
        raise ApplicationError(f"{patient.full_name} is recorded as deceased ({died:%d %b %Y}). {refused}.")
