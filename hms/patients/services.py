"""Writes of patient data; each writes its audit row in the same transaction."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from hms.accounts.models import User
from hms.audit.services import audit_record
from hms.core.exceptions import ApplicationError
from hms.patients.models import Patient
from hms.tenancy.context import current_tenant


def patient_register(
    *,
    acting_user: User,
    mrn: str,
    given_name: str,
    family_name: str,
    birth_date: datetime.date,
    sex: str = Patient.Sex.UNKNOWN,
    phone: str = "",
    email: str = "",
    address: str = "",
    client_address: str | None = None,
) -> Patient:
    """Register a patient in the current hospital; the MRN must be new there."""
    alias = current_tenant().alias
    patient = Patient(
        mrn=mrn,
        given_name=given_name,
        family_name=family_name,
        birth_date=birth_date,
        sex=sex,
        phone=phone,
        email=email,
        address=address,
    )
    try:
        patient.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise ApplicationError("The patient's details are not valid.", details=exc.message_dict) from exc
    with transaction.atomic(using=alias):
        if Patient.objects.filter(mrn=mrn).exists():
            raise ApplicationError(f"A patient with MRN {mrn} is already registered here.")
        patient.save(using=alias)
        audit_record(
            acting_user=acting_user,
            action="patient.create",
            resource="Patient",
            patient_id=patient.pk,
            client_address=client_address,
        )
    return patient
