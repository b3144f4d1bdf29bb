"""The clinical profile: a country's defaults until saved, the ADMIN's changes audited, bad input refused."""

import pytest

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.clinical.models import ClinicalProfile
from hms.clinical.profiles import clinical_profile, clinical_profile_update, country_defaults, working_day
from hms.core.exceptions import ApplicationError, NotAllowed
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import NoHospitalSelected


@pytest.mark.parametrize(
    ("time_zone", "country", "lab_units", "temperature", "code_system", "working_days"),
    [
        ("Asia/Dhaka", "BD", "SI", "Cel", "icd10-who", [7, 1, 2, 3, 4]),
        ("America/New_York", "US", "CONVENTIONAL", "[degF]", "icd10-cm", [1, 2, 3, 4, 5]),
        ("Europe/London", "GB", "SI", "Cel", "icd10-who", [1, 2, 3, 4, 5]),
        ("UTC", "", "SI", "Cel", "icd10-who", [1, 2, 3, 4, 5]),
    ],
)
def test_a_new_hospital_takes_its_countrys_conventions(
    make_hospital, time_zone, country, lab_units, temperature, code_system, working_days
):
    make_hospital("CP001", time_zone=time_zone)
    with hospital_context("CP001"):
        profile = clinical_profile()
        assert (profile.country, profile.lab_units, profile.temperature_unit) == (
            country,
            lab_units,
            temperature,
        )
        assert profile.diagnosis_code_system == code_system
        assert list(profile.working_days) == working_days
        assert not ClinicalProfile.objects.exists(), "reading the defaults saves nothing"


def test_bangladesh_works_sunday_to_thursday():
    days = country_defaults("bd").working_days
    assert 5 not in days and 6 not in days  # Friday and Saturday
    assert set(days) == {7, 1, 2, 3, 4}


def test_the_admin_changes_the_profile_and_the_change_is_audited(make_hospital, make_user):
    hospital = make_hospital("CP002", time_zone="Europe/London")
    admin = make_user("cp_admin", role=Role.ADMIN, hospital=hospital)
    with hospital_context("CP002"):
        clinical_profile_update(
            acting_user=admin,
            lab_units="CONVENTIONAL",
            working_days=["6", "1", "2"],
            lab_unit_overrides={"2345-7": "SI"},
        )
        profile = clinical_profile()
        assert profile.pk == 1 and profile.lab_units == "CONVENTIONAL"
        assert profile.working_days == [1, 2, 6]
        assert profile.lab_units_for("2345-7") == "SI"
        assert profile.lab_units_for("2160-0") == "CONVENTIONAL"
        assert working_day(6) and not working_day(7)
        event = AuditEvent.objects.get(action="clinical_profile.update")
        assert event.detail["changed"]["lab_units"] == ["SI", "CONVENTIONAL"]
        assert event.actor_username == "cp_admin"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"diagnosis_code_system": "snomed-ct"}, "diagnosis_code_system"),
        ({"diagnosis_code_system": "icd-9"}, "diagnosis_code_system"),
        ({"working_days": []}, "working_days"),
        ({"working_days": [1, 1]}, "working_days"),
        ({"working_days": [0, 8]}, "working_days"),
        ({"working_days": ["monday"]}, "working_days"),
        ({"country": "Bangladesh"}, "country"),
        ({"lab_units": "metric"}, "lab_units"),
        ({"temperature_unit": "K"}, "temperature_unit"),
        ({"lab_unit_overrides": {"2345-7": "mmol"}}, "lab_unit_overrides"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(make_hospital, make_user, changes, field):
    hospital = make_hospital("CP003", time_zone="Asia/Dhaka")
    admin = make_user("cp3_admin", role=Role.ADMIN, hospital=hospital)
    with hospital_context("CP003"):
        with pytest.raises(ApplicationError) as refused:
            clinical_profile_update(acting_user=admin, **changes)
        assert field in refused.value.details
        assert not ClinicalProfile.objects.exists()
        assert not AuditEvent.objects.filter(action="clinical_profile.update").exists()


def test_only_the_admin_may_change_the_profile(make_hospital, make_user):
    hospital = make_hospital("CP004")
    doctor = make_user("cp_doc", role=Role.DOCTOR, hospital=hospital)
    with hospital_context("CP004"), pytest.raises(NotAllowed):
        clinical_profile_update(acting_user=doctor, lab_units="CONVENTIONAL")


def test_another_hospitals_admin_is_refused_and_nothing_is_saved(make_hospital, make_user):
    make_hospital("CP005")
    other = make_hospital("CP006")
    stranger = make_user("cp6_admin", role=Role.ADMIN, hospital=other)
    with hospital_context("CP005"):
        with pytest.raises(NotAllowed):
            clinical_profile_update(acting_user=stranger, lab_units="CONVENTIONAL")
        assert not ClinicalProfile.objects.exists()


def test_nothing_runs_without_a_hospital_selected(make_hospital, make_user):
    hospital = make_hospital("CP007")
    admin = make_user("cp7_admin", role=Role.ADMIN, hospital=hospital)
    with pytest.raises(NoHospitalSelected):
        clinical_profile()
    with pytest.raises(NoHospitalSelected):
        clinical_profile_update(acting_user=admin, lab_units="CONVENTIONAL")
