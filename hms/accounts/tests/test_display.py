"""Display names of users, units as people write them, lab tests by their everyday names."""

import pytest
from django.template import Context, Template

from hms.accounts.display import display_name, display_name_with_role, display_names
from hms.accounts.models import Role, User
from hms.core.display import lab_test_name, unit_label


def _user(username, role, first="", last=""):
    return User(username=username, role=role, first_name=first, last_name=last)


def test_a_doctor_is_dr_with_first_and_last_name():
    doctor = _user("habib.ullah.doctor", Role.DOCTOR, "Habib", "Ullah")
    assert display_name(doctor) == "Dr Habib Ullah"
    assert display_name_with_role(doctor) == "Dr Habib Ullah"


def test_others_by_name_with_their_role_and_the_username_as_last_resort():
    nurse = _user("rahima", Role.NURSE, "Rahima", "Khatun")
    assert display_name(nurse) == "Rahima Khatun"
    assert display_name_with_role(nurse) == "Rahima Khatun (Nurse)"
    nameless = _user("habib.ullah.doctor", Role.DOCTOR)
    assert display_name(nameless) == "habib.ullah.doctor"  # no "Dr" before a username
    assert display_name_with_role(nameless) == "habib.ullah.doctor (Doctor)"
    assert display_name(None) == ""


@pytest.mark.django_db
def test_display_names_read_every_user_in_one_query(django_assert_num_queries):
    doctor = User.objects.create(username="d", role=Role.SUPERADMIN, first_name="Ada", last_name="Lovelace")
    other = User.objects.create(username="e", role=Role.SUPERADMIN)
    with django_assert_num_queries(1):
        assert display_names([doctor.pk, other.pk, None]) == {doctor.pk: "Ada Lovelace", other.pk: "e"}
    with django_assert_num_queries(0):
        assert display_names([None]) == {}


@pytest.mark.parametrize(
    ("ucum", "shown"),
    [
        ("[degF]", "°F"),
        ("Cel", "°C"),
        ("10*3/uL", "×10³/µL"),
        ("10*6/uL", "×10⁶/µL"),
        ("mm[Hg]", "mmHg"),
        ("/min", "/min"),
        ("kg/m2", "kg/m²"),
        ("%", "%"),
        ("10*9/L", "×10⁹/L"),
        ("umol/L", "µmol/L"),
        ("mg/dL", "mg/dL"),
        ("", ""),
    ],
)
def test_units_are_written_as_people_write_them(ucum, shown):
    assert unit_label(ucum) == shown


def test_lab_tests_have_everyday_names():
    assert lab_test_name("6690-2", "Leukocytes (WBC) [#/volume] in Blood") == "White blood cells"
    assert lab_test_name("58410-2") == "Full blood count"
    assert lab_test_name("2276-4", "Ferritin [Mass/volume] in Serum or Plasma") == "Ferritin"
    assert lab_test_name("9999-9") == "9999-9"


def test_the_template_filters():
    doctor = _user("habib.ullah.doctor", Role.DOCTOR, "Habib", "Ullah")
    template = Template(
        "{% load display %}{{ doctor|display_name }}|{{ unit|unit_label }}|{{ code|lab_test_name:name }}"
    )
    shown = template.render(Context({"doctor": doctor, "unit": "10*3/uL", "code": "6690-2", "name": "x"}))
    assert shown == "Dr Habib Ullah|×10³/µL|White blood cells"
