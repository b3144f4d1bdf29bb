import pytest
from django.db import IntegrityError, transaction

from hms.accounts.models import Role, User


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.SUPERADMIN])
def test_every_role_but_superadmin_needs_a_hospital(role):
    # Bypass the form and model validation: the database itself must refuse the row.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username=f"nohospital-{role.lower()}", role=role, hospital=None)
    assert not User.objects.filter(username=f"nohospital-{role.lower()}").exists()


@pytest.mark.django_db
def test_a_superadmin_may_have_no_hospital():
    user = User.objects.create(username="root", role=Role.SUPERADMIN, hospital=None)
    user.refresh_from_db()
    assert user.hospital_id is None
    assert user.is_superadmin


@pytest.mark.django_db
def test_removing_the_hospital_of_a_staff_member_is_refused(make_hospital, make_user):
    user = make_user("nurse", role=Role.NURSE, hospital=make_hospital("TH001"))
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(hospital=None)
    user.refresh_from_db()
    assert user.hospital.code == "TH001"


@pytest.mark.django_db
def test_may_enter_only_their_own_hospital_unless_superadmin(make_hospital, make_user):
    th = make_hospital("TH001")
    dmc = make_hospital("DMC001")
    doctor = make_user("doc", role=Role.DOCTOR, hospital=th)
    patient = make_user("pat", role=Role.PATIENT, hospital=dmc)
    platform = make_user("root", role=Role.SUPERADMIN, hospital=None)
    superadmin_with_home = make_user("babo", role=Role.SUPERADMIN, hospital=th)

    assert doctor.may_enter(th.pk) is True
    assert doctor.may_enter(dmc.pk) is False
    assert patient.may_enter(dmc.pk) is True
    assert patient.may_enter(th.pk) is False
    assert platform.may_enter(th.pk) is True
    assert platform.may_enter(dmc.pk) is True
    assert superadmin_with_home.may_enter(dmc.pk) is True


@pytest.mark.django_db
def test_is_superadmin_follows_the_role_not_the_django_flags(make_hospital, make_user):
    admin = make_user("adm", role=Role.ADMIN, hospital=make_hospital("TH001"))
    admin.is_superuser = admin.is_staff = True
    assert admin.is_superadmin is False
    assert admin.may_enter(admin.hospital_id + 1000) is False
