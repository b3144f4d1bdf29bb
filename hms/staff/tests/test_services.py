import pytest

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.core.exceptions import ApplicationError, NotAllowed
from hms.staff.accounts import staff_account_disable
from hms.staff.models import Department, StaffMember
from hms.staff.services import department_create, staff_member_add
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import CrossHospitalWrite, NoHospitalSelected


@pytest.fixture
def dmc(make_hospital):
    return make_hospital("DMC001")


@pytest.fixture
def admin(dmc, make_user):
    return make_user("dmc_admin", role=Role.ADMIN, hospital=dmc)


@pytest.fixture
def doctor(dmc, make_user):
    return make_user("dr_who", role=Role.DOCTOR, hospital=dmc)


def _nothing_written():
    return not StaffMember.objects.exists() and not AuditEvent.objects.exists()


# Departments


@pytest.mark.django_db
def test_admin_creates_a_department_and_it_is_audited(admin):
    with hospital_context("DMC001") as tenant:
        department = department_create(acting_user=admin, name=" Cardiology ", code="card")
        stored = Department.objects.get()
        event = AuditEvent.objects.get()
    assert department.pk == stored.pk and department._state.db == tenant.alias
    assert (stored.name, stored.code, stored.is_active) == ("Cardiology", "CARD", True)
    assert (event.action, event.resource, event.actor_id) == ("department.create", "Department", admin.pk)
    assert event.detail["department_id"] == stored.pk


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "code"), [("cardiology", "C2"), ("Other", "CARD")])
def test_department_name_and_code_are_unique_in_the_hospital(admin, name, code):
    with hospital_context("DMC001"):
        department_create(acting_user=admin, name="Cardiology", code="CARD")
        with pytest.raises(ApplicationError, match="already has a department"):
            department_create(acting_user=admin, name=name, code=code)
        assert Department.objects.count() == 1
        assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_the_same_department_name_is_fine_in_another_hospital(admin, make_hospital, make_user):
    th = make_hospital("TH001")
    th_admin = make_user("th_admin", role=Role.ADMIN, hospital=th)
    with hospital_context("DMC001"):
        department_create(acting_user=admin, name="Cardiology", code="CARD")
    with hospital_context("TH001"):
        department_create(acting_user=th_admin, name="Cardiology", code="CARD")
        assert Department.objects.count() == 1


@pytest.mark.django_db
def test_a_department_needs_a_name_and_a_code(admin):
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError, match="not valid") as raised:
            department_create(acting_user=admin, name="  ", code="")
        assert set(raised.value.details) == {"name", "code"}
        assert not Department.objects.exists() and not AuditEvent.objects.exists()


# Adding staff


@pytest.mark.django_db
def test_admin_adds_a_doctor_with_specialty_and_licence(admin, doctor):
    with hospital_context("DMC001"):
        department = department_create(acting_user=admin, name="Cardiology", code="CARD")
        member = staff_member_add(
            acting_user=admin,
            user=doctor,
            department=department,
            specialty="Cardiology",
            licence_number="L-1",
        )
        stored = StaffMember.objects.get()
        event = AuditEvent.objects.get(action="staff.add")
    assert stored.pk == member.pk
    assert (stored.user_id, stored.role, stored.department_id) == (doctor.pk, Role.DOCTOR, department.pk)
    assert (stored.specialty, stored.licence_number, stored.is_active) == ("Cardiology", "L-1", True)
    assert event.resource == "StaffMember" and event.actor_id == admin.pk
    assert event.detail == {
        "staff_member_id": stored.pk,
        "user_id": doctor.pk,
        "role": "DOCTOR",
        "department_id": department.pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "specialty", "licence", "field"),
    [
        (Role.DOCTOR, "", "L-1", "specialty"),
        (Role.DOCTOR, "Cardiology", "", "licence_number"),
        (Role.NURSE, "Cardiology", "", "specialty"),
        (Role.RECEPTIONIST, "", "L-1", "licence_number"),
        (Role.ADMIN, "", "L-1", "licence_number"),
    ],
)
def test_specialty_and_licence_rules(admin, dmc, make_user, role, specialty, licence, field):
    user = make_user("someone", role=role, hospital=dmc)
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError, match="not valid") as raised:
            staff_member_add(acting_user=admin, user=user, specialty=specialty, licence_number=licence)
        assert field in raised.value.details
        assert _nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "licence"), [(Role.NURSE, "N-1"), (Role.NURSE, ""), (Role.RECEPTIONIST, "")]
)
def test_nurses_and_receptionists_need_no_specialty(admin, dmc, make_user, role, licence):
    user = make_user("someone", role=role, hospital=dmc)
    with hospital_context("DMC001"):
        member = staff_member_add(acting_user=admin, user=user, licence_number=licence)
        assert StaffMember.objects.get().pk == member.pk
    assert (member.role, member.licence_number) == (role, licence)


@pytest.mark.django_db
def test_licence_numbers_are_unique_when_set(admin, dmc, doctor, make_user):
    nurse = make_user("nurse", role=Role.NURSE, hospital=dmc)
    other_nurse = make_user("nurse2", role=Role.NURSE, hospital=dmc)
    receptionist = make_user("reception", role=Role.RECEPTIONIST, hospital=dmc)
    with hospital_context("DMC001"):
        staff_member_add(acting_user=admin, user=doctor, specialty="GP", licence_number="L-1")
        with pytest.raises(ApplicationError, match="L-1"):
            staff_member_add(acting_user=admin, user=nurse, licence_number="L-1")
        # Blank licence numbers do not clash with one another.
        staff_member_add(acting_user=admin, user=other_nurse)
        staff_member_add(acting_user=admin, user=receptionist)
        assert StaffMember.objects.count() == 3
        assert AuditEvent.objects.filter(action="staff.add").count() == 3


@pytest.mark.django_db
def test_a_user_is_added_once(admin, doctor):
    with hospital_context("DMC001"):
        staff_member_add(acting_user=admin, user=doctor, specialty="GP", licence_number="L-1")
        with pytest.raises(ApplicationError, match="already on this hospital's staff"):
            staff_member_add(acting_user=admin, user=doctor, specialty="GP", licence_number="L-2")
        assert StaffMember.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PATIENT])
def test_only_staff_roles_may_be_added(admin, dmc, make_user, role):
    user = make_user("pat", role=role, hospital=dmc)
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError, match="staff role"):
            staff_member_add(acting_user=admin, user=user)
        assert _nothing_written()


@pytest.mark.django_db
def test_a_superadmin_account_is_not_staff_of_the_hospital(admin, make_user):
    root = make_user("root", role=Role.SUPERADMIN)
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError, match="There is no account named root in this hospital"):
            staff_member_add(acting_user=admin, user=root)
        assert _nothing_written()


@pytest.mark.django_db
def test_an_inactive_department_is_refused(admin, doctor):
    with hospital_context("DMC001"):
        department = department_create(acting_user=admin, name="Closed", code="CL")
        Department.objects.filter(pk=department.pk).update(is_active=False)
        department.refresh_from_db()
        with pytest.raises(ApplicationError, match="not valid") as raised:
            staff_member_add(
                acting_user=admin, user=doctor, department=department, specialty="GP", licence_number="1"
            )
        assert "department" in raised.value.details
        assert not StaffMember.objects.exists()


# Deactivating


@pytest.mark.django_db
def test_deactivation_keeps_the_row_and_is_audited(admin, doctor):
    with hospital_context("DMC001"):
        member = staff_member_add(acting_user=admin, user=doctor, specialty="GP", licence_number="L-1")
        staff_account_disable(acting_user=admin, staff_member=member)
        stored = StaffMember.objects.get()
        event = AuditEvent.objects.get(action="staff.deactivate")
        with pytest.raises(ApplicationError, match="already inactive"):
            staff_account_disable(acting_user=admin, staff_member=member)
        assert AuditEvent.objects.filter(action="staff.deactivate").count() == 1
    assert member.is_active is False and stored.is_active is False
    assert event.resource == "StaffMember"
    assert event.detail == {"staff_member_id": stored.pk, "user_id": doctor.pk}


@pytest.mark.django_db
def test_an_admin_cannot_deactivate_themselves(admin):
    with hospital_context("DMC001"):
        member = staff_member_add(acting_user=admin, user=admin)
        with pytest.raises(ApplicationError, match="yourself"):
            staff_account_disable(acting_user=admin, staff_member=member)
        assert StaffMember.objects.get().is_active


# Who may call them


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.PATIENT])
def test_only_an_admin_may_manage_staff(admin, doctor, dmc, make_user, role):
    caller = make_user("caller", role=role, hospital=dmc)
    with hospital_context("DMC001"):
        member = staff_member_add(acting_user=admin, user=doctor, specialty="GP", licence_number="L-1")
        events = AuditEvent.objects.count()
        with pytest.raises(NotAllowed):
            department_create(acting_user=caller, name="Cardiology", code="CARD")
        with pytest.raises(NotAllowed):
            staff_member_add(acting_user=caller, user=caller)
        with pytest.raises(NotAllowed):
            staff_account_disable(acting_user=caller, staff_member=member)
        assert not Department.objects.exists()
        assert StaffMember.objects.count() == 1 and StaffMember.objects.get().is_active
        assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_a_superadmin_is_not_a_hospital_admin(dmc, doctor, make_user):
    root = make_user("root", role=Role.SUPERADMIN)
    with hospital_context("DMC001"):
        with pytest.raises(NotAllowed):
            department_create(acting_user=root, name="Cardiology", code="CARD")
        with pytest.raises(NotAllowed):
            staff_member_add(acting_user=root, user=doctor, specialty="GP", licence_number="L-1")
        assert not Department.objects.exists() and _nothing_written()


def test_a_refusal_is_not_an_application_error_so_forms_do_not_swallow_it():
    assert not issubclass(NotAllowed, ApplicationError)


# Isolation between hospitals


@pytest.mark.django_db
def test_a_dmc_admin_cannot_add_a_th_user_to_dmc_staff(admin, make_hospital, make_user):
    th_doctor = make_user("th_doc", role=Role.DOCTOR, hospital=make_hospital("TH001"))
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError, match="There is no account named th_doc in this hospital"):
            staff_member_add(acting_user=admin, user=th_doctor, specialty="GP", licence_number="L-1")
        assert _nothing_written()


@pytest.mark.django_db
def test_a_dmc_admin_cannot_act_in_th(admin, make_hospital, make_user):
    th = make_hospital("TH001")
    th_doctor = make_user("th_doc", role=Role.DOCTOR, hospital=th)
    th_admin = make_user("th_admin", role=Role.ADMIN, hospital=th)
    with hospital_context("TH001"):
        member = staff_member_add(acting_user=th_admin, user=th_doctor, specialty="GP", licence_number="L-1")
        events = AuditEvent.objects.count()
        with pytest.raises(NotAllowed):
            department_create(acting_user=admin, name="Cardiology", code="CARD")
        with pytest.raises(NotAllowed):
            staff_member_add(acting_user=admin, user=th_admin)
        with pytest.raises(NotAllowed):
            staff_account_disable(acting_user=admin, staff_member=member)
        assert not Department.objects.exists()
        assert StaffMember.objects.count() == 1 and StaffMember.objects.get().is_active
        assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_a_department_or_member_of_another_hospital_is_refused(admin, doctor, make_hospital, make_user):
    th = make_hospital("TH001")
    th_admin = make_user("th_admin", role=Role.ADMIN, hospital=th)
    th_nurse = make_user("th_nurse", role=Role.NURSE, hospital=th)
    with hospital_context("TH001"):
        th_department = department_create(acting_user=th_admin, name="Cardiology", code="CARD")
        th_member = staff_member_add(acting_user=th_admin, user=th_nurse)
    with hospital_context("DMC001"):
        with pytest.raises(ApplicationError, match="not valid") as raised:
            staff_member_add(
                acting_user=admin, user=doctor, department=th_department, specialty="GP", licence_number="L-1"
            )
        assert "department" in raised.value.details
        with pytest.raises((ApplicationError, CrossHospitalWrite)):
            staff_account_disable(acting_user=admin, staff_member=th_member)
        assert _nothing_written()
    with hospital_context("TH001"):
        assert StaffMember.objects.get().is_active


@pytest.mark.django_db
def test_nothing_runs_without_a_hospital_selected(admin, doctor):
    with pytest.raises(NoHospitalSelected):
        department_create(acting_user=admin, name="Cardiology", code="CARD")
    with pytest.raises(NoHospitalSelected):
        staff_member_add(acting_user=admin, user=doctor, specialty="GP", licence_number="L-1")
    with pytest.raises(NoHospitalSelected):
        staff_account_disable(acting_user=admin, staff_member=StaffMember(pk=1, user_id=doctor.pk))
    with hospital_context("DMC001"):
        assert not Department.objects.exists() and _nothing_written()
