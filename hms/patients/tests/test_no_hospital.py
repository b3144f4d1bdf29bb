"""Nothing about patients runs, and nothing is written anywhere, without a hospital selected."""

import pytest

from hms.accounts.models import Role
from hms.audit.services import audit_chain_verify, audit_record
from hms.patients.models import Patient
from hms.patients.selectors import patient_page, patient_search
from hms.patients.services import mrn_generate, patient_register
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import NoHospitalSelected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "call",
    [
        lambda user: patient_register(
            acting_user=user, given_name="Ada", family_name="Lovelace", birth_date="1815-12-10"
        ),
        lambda user: mrn_generate(),
        lambda user: patient_page(user=user),
        lambda user: patient_search(user=user, query="Lov"),
        lambda user: audit_record(acting_user=user, action="patient.list", resource="Patient"),
        lambda user: audit_chain_verify(),
    ],
    ids=["register", "mrn", "page", "search", "audit", "verify"],
)
def test_refused_without_a_hospital_and_nothing_written(make_hospital, make_user, call):
    hospital = make_hospital("TH001")
    doctor = make_user("doc", role=Role.DOCTOR, hospital=hospital)
    with pytest.raises(NoHospitalSelected):
        call(doctor)
    with hospital_context(hospital):
        assert Patient.objects.count() == 0
        assert audit_chain_verify().events_checked == 0
