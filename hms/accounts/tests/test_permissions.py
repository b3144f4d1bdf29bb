import pytest

from hms.accounts.models import Role
from hms.accounts.permissions import MATRIX, Action, Resource, Scope, permission_require, permission_scope
from hms.core.exceptions import NotAllowed
from hms.tenancy.context import hospital_context
from hms.tenancy.exceptions import NoHospitalSelected

CLINICAL = [
    Resource.ENCOUNTER,
    Resource.OBSERVATION,
    Resource.DIAGNOSIS,
    Resource.ALLERGY,
    Resource.NOTE,
    Resource.PRESCRIPTION,
    Resource.LAB_ORDER,
    Resource.LAB_RESULT,
]


@pytest.fixture
def dmc(make_hospital):
    return make_hospital("DMC001")


@pytest.fixture
def users(dmc, make_user):
    return {
        role: make_user(f"u_{role.lower()}", role=role, hospital=dmc)
        for role in Role
        if role != Role.SUPERADMIN
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "resource", "action", "expected"),
    [
        (Role.DOCTOR, Resource.NOTE, Action.SIGN, Scope.CARE),
        (Role.DOCTOR, Resource.PATIENT, Action.VIEW, Scope.ALL),
        (Role.NURSE, Resource.OBSERVATION, Action.CREATE, Scope.ALL),
        (Role.NURSE, Resource.NOTE, Action.CREATE, None),
        (Role.RECEPTIONIST, Resource.PATIENT, Action.CREATE, Scope.ALL),
        (Role.RECEPTIONIST, Resource.APPOINTMENT, Action.CREATE, Scope.ALL),
        (Role.RECEPTIONIST, Resource.NOTE, Action.VIEW, None),
        (Role.PATIENT, Resource.LAB_RESULT, Action.VIEW, Scope.OWN),
        (Role.PATIENT, Resource.PATIENT, Action.UPDATE, None),
        (Role.ADMIN, Resource.STAFF, Action.CREATE, Scope.ALL),
        (Role.ADMIN, Resource.NOTE, Action.VIEW, None),
    ],
)
def test_the_matrix_answers_with_a_scope(users, role, resource, action, expected):
    with hospital_context("DMC001"):
        assert permission_scope(user=users[role], resource=resource, action=action) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.ADMIN])
def test_front_office_roles_read_no_clinical_record(users, role):
    with hospital_context("DMC001"):
        for resource in CLINICAL:
            assert permission_scope(user=users[role], resource=resource, action=Action.VIEW) is None


@pytest.mark.django_db
def test_a_superadmin_gets_nothing_inside_a_hospital(dmc, make_user):
    root = make_user("root", role=Role.SUPERADMIN)
    with hospital_context("DMC001"):
        for resource in Resource:
            for action in Action:
                assert permission_scope(user=root, resource=resource, action=action) is None


@pytest.mark.django_db
def test_a_user_of_another_hospital_gets_nothing(users, make_hospital):
    make_hospital("TH001")
    with hospital_context("TH001"):
        for user in users.values():
            assert permission_scope(user=user, resource=Resource.PATIENT, action=Action.VIEW) is None


@pytest.mark.django_db
def test_an_inactive_user_gets_nothing(users):
    doctor = users[Role.DOCTOR]
    doctor.is_active = False
    with hospital_context("DMC001"):
        assert permission_scope(user=doctor, resource=Resource.PATIENT, action=Action.VIEW) is None


@pytest.mark.django_db
def test_permission_require_says_what_was_refused(users):
    with hospital_context("DMC001"), pytest.raises(NotAllowed, match="receptionist may not view note"):
        permission_require(user=users[Role.RECEPTIONIST], resource=Resource.NOTE, action=Action.VIEW)


@pytest.mark.django_db
def test_the_matrix_needs_a_hospital(users):
    with pytest.raises(NoHospitalSelected):
        permission_scope(user=users[Role.DOCTOR], resource=Resource.PATIENT, action=Action.VIEW)


def test_a_patient_only_ever_gets_their_own_records():
    assert set(MATRIX[Role.PATIENT].values()) == {Scope.OWN}
    # Views only, but for booking and cancelling their own appointments (within the
    # hospital's online booking rules, hms.scheduling.rules).
    changes = {(resource, action) for resource, action in MATRIX[Role.PATIENT] if action != Action.VIEW}
    assert changes == {(Resource.APPOINTMENT, Action.CREATE), (Resource.APPOINTMENT, Action.UPDATE)}


def test_the_documented_matrix_is_the_one_in_the_code():
    from pathlib import Path

    from hms.accounts.permissions import matrix_as_markdown

    doc = (Path(__file__).resolve().parents[3] / "docs" / "clinical" / "permissions.md").read_text()
    assert matrix_as_markdown() in doc
