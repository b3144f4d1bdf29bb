"""GET/PATCH /api/v1/hospitals/<CODE>/clinical-profile: the ADMIN's, through clinical_profile_update."""

import pytest

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.clinical.models import ClinicalProfile
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db

URL = "/api/v1/hospitals/CP001/clinical-profile"


@pytest.fixture
def hospital(make_hospital):
    return make_hospital("CP001", time_zone="America/New_York")


def test_the_admin_reads_the_defaults_then_changes_them(hospital, make_user, api_for):
    admin = api_for(make_user("cp-admin", role=Role.ADMIN, hospital=hospital))
    shown = admin.get(URL)
    assert shown.status_code == 200
    assert shown.json()["country"] == "US"
    assert shown.json()["lab_units"] == "CONVENTIONAL"
    changed = admin.patch(
        URL,
        {"lab_unit_overrides": {"2345-7": "SI"}, "working_days": [1, 2, 3, 4, 5, 6]},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["lab_unit_overrides"] == {"2345-7": "SI"}
    assert changed.json()["working_days"] == [1, 2, 3, 4, 5, 6]
    with hospital_context("CP001"):
        assert ClinicalProfile.objects.get().working_days == [1, 2, 3, 4, 5, 6]
        assert AuditEvent.objects.filter(action="clinical_profile.update").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"diagnosis_code_system": "snomed-ct"}, "diagnosis_code_system"),
        ({"working_days": []}, "working_days"),
        ({"working_days": [0]}, "working_days"),
        ({"lab_unit_overrides": {"glucose": "SI"}}, "lab_unit_overrides"),
        ({"weight_unit": "stone"}, "weight_unit"),
    ],
)
def test_what_cannot_be_saved_is_a_400_and_nothing_changes(hospital, make_user, api_for, body, field):
    admin = api_for(make_user("cp-admin", role=Role.ADMIN, hospital=hospital))
    response = admin.patch(URL, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert any(key.split(".")[0] == field for key in response.json()["errors"])
    with hospital_context("CP001"):
        assert not ClinicalProfile.objects.exists()


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST])
def test_other_roles_are_refused(hospital, make_user, api_for, role):
    client = api_for(make_user("cp-other", role=role, hospital=hospital))
    assert client.get(URL).status_code == 403
    assert client.patch(URL, {"lab_units": "SI"}, content_type="application/json").status_code == 403
