import pytest
from django.db import connections

from hms.patients.models import Patient
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import CrossHospitalWrite, NoHospitalSelected
from hms.tenancy.router import HospitalRouter


@pytest.mark.django_db
def test_tenant_query_without_hospital_raises_instead_of_using_default():
    with pytest.raises(NoHospitalSelected, match="No hospital is selected"):
        list(Patient.objects.all())
    with pytest.raises(NoHospitalSelected):
        Patient.objects.create(mrn="X1", given_name="A", family_name="B", birth_date="2000-01-01")
    # The shared database has no patient table at all: nothing could have fallen back there.
    with connections["default"].cursor() as cursor:
        tables = connections["default"].introspection.table_names(cursor)
    assert "patients_patient" not in tables


@pytest.mark.django_db
def test_tenant_models_go_to_the_current_hospitals_database(make_hospital):
    make_hospital("TH001")
    make_hospital("DMC001")
    with hospital_context("TH001"):
        Patient.objects.create(mrn="T1", given_name="Tara", family_name="One", birth_date="1990-01-01")
    with hospital_context("DMC001"):
        assert list(Patient.objects.values_list("mrn", flat=True)) == []
        Patient.objects.create(mrn="D1", given_name="Dan", family_name="Two", birth_date="1980-01-01")
    with hospital_context("TH001"):
        assert list(Patient.objects.values_list("mrn", flat=True)) == ["T1"]


@pytest.mark.django_db
def test_object_loaded_in_one_hospital_cannot_be_saved_into_another(make_hospital):
    make_hospital("TH001")
    make_hospital("DMC001")
    with hospital_context("TH001"):
        patient = Patient.objects.create(mrn="T1", given_name="A", family_name="B", birth_date="1990-01-01")
    with hospital_context("DMC001"):
        patient.given_name = "Changed"
        with pytest.raises(CrossHospitalWrite):
            patient.save()
        assert not Patient.objects.exists()


def test_allow_migrate_keeps_each_app_where_it_belongs():
    router = HospitalRouter()
    assert router.allow_migrate("default", "accounts") is True
    assert router.allow_migrate("default", "patients") is False
    assert router.allow_migrate("default", "audit") is False
    assert router.allow_migrate("hospital_TH001", "patients") is True
    assert router.allow_migrate("hospital_TH001", "auth") is False
    assert router.allow_migrate("hospital_TH001", "hospitals") is False
    assert router.allow_migrate("tenant_template_abc", "patients") is True
