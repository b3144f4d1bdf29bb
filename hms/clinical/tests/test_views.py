"""The ADMIN's clinical profile page: shows the profile (the country's defaults until saved), saves
through clinical_profile_update, refuses what the service refuses, and is the ADMIN's alone."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.clinical.models import ClinicalProfile
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db

URL = reverse("clinical:profile", kwargs={"hospital_code": "TH001"})
SAVED = {
    "country": "bd",
    "lab_units": "CONVENTIONAL",
    "lab_unit_overrides": "2345-7 si\n\n14682-9 = SI",
    "weight_unit": "kg",
    "height_unit": "cm",
    "temperature_unit": "Cel",
    "diagnosis_code_system": "icd10-who",
    "working_days": ["7", "1", "2", "3", "4"],
    "growth_reference": "who",
}


@pytest.fixture
def hospital(make_hospital):
    return make_hospital("TH001", time_zone="Asia/Dhaka")


@pytest.fixture
def login(client, make_user, hospital):
    def as_role(role):
        client.force_login(make_user(f"user-{role.lower()}", role=role, hospital=hospital))

    return as_role


def test_the_admin_sees_the_countrys_defaults_with_unavailable_code_systems_marked(client, login):
    login(Role.ADMIN)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "the country of the hospital&rsquo;s time zone (BD)" in page
    form = response.context["form"]
    assert form.initial["working_days"] == [7, 1, 2, 3, 4]
    assert '<option value="icd11" disabled>ICD-11 (WHO) (not available in this version)</option>' in page
    assert '<option value="snomed-ct" disabled>SNOMED CT (not available in this version)</option>' in page
    with hospital_context("TH001"):
        assert not ClinicalProfile.objects.exists()


def test_the_admin_saves_the_profile_and_it_is_audited(client, login):
    login(Role.ADMIN)
    response = client.post(URL, SAVED)
    assert response.status_code == 302
    assert response["Location"] == URL
    with hospital_context("TH001"):
        profile = ClinicalProfile.objects.get()
        assert AuditEvent.objects.filter(action="clinical_profile.update").count() == 1
    assert (profile.country, profile.lab_units) == ("BD", "CONVENTIONAL")
    assert profile.lab_unit_overrides == {"2345-7": "SI", "14682-9": "SI"}
    assert profile.working_days == [1, 2, 3, 4, 7]
    page = client.get(URL).content.decode()
    assert "LOINC 2345-7: SI units" in page
    assert "until you save them" not in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"diagnosis_code_system": "snomed-ct"}, "SNOMED CT has no code set installed in this version."),
        ({"working_days": []}, "This field is required."),
        ({"lab_unit_overrides": "2345-7 mg/dL"}, "Line 1 (2345-7 mg/dL)"),
        ({"lab_unit_overrides": "2345-7 SI\n2345-7 CONVENTIONAL"}, "test 2345-7 is given twice"),
        ({"country": "B1"}, "two-letter ISO code"),
        ({"weight_unit": "stone"}, "Select a valid choice"),
    ],
)
def test_what_cannot_be_saved_answers_400_with_the_reason_and_saves_nothing(client, login, change, message):
    login(Role.ADMIN)
    response = client.post(URL, {**SAVED, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    with hospital_context("TH001"):
        assert not ClinicalProfile.objects.exists()


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.PATIENT])
def test_only_the_admin_opens_or_saves_the_page(client, login, role):
    login(role)
    assert client.get(URL).status_code == 403
    assert client.post(URL, SAVED).status_code == 403
    with hospital_context("TH001"):
        assert not ClinicalProfile.objects.exists()


def test_the_admins_start_page_links_to_it(client, login):
    login(Role.ADMIN)
    page = client.get(reverse("hospital-home", kwargs={"hospital_code": "TH001"})).content.decode()
    assert f'href="{URL}"' in page


def _queries(client):
    with (
        hospital_context("TH001") as tenant,
        CaptureQueriesContext(connections[tenant.alias]) as hospital,
        CaptureQueriesContext(connections["default"]) as shared,
    ):
        assert client.get(URL).status_code == 200
    return len(hospital), len(shared)


def test_the_page_costs_the_same_queries_for_few_or_many_overrides(client, login):
    login(Role.ADMIN)
    client.post(URL, {**SAVED, "lab_unit_overrides": "2345-7 SI"})
    _queries(client)  # the connections are open and warm
    few = _queries(client)
    many = "\n".join(f"{1000 + n}-{n % 10} SI" for n in range(30))
    assert client.post(URL, {**SAVED, "lab_unit_overrides": many}).status_code == 302
    assert _queries(client) == few
    assert few[0] <= 3  # the profile row (and the session's reads), nothing per override
