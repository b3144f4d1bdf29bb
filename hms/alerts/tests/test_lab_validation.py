"""Laboratory validation is separate from the clinician's review: a laboratory scientist (LAB)
enters and verifies results; a verified critical one then waits for the ordering doctor's
acknowledgement. Nurses and doctors keep the part they had."""

import pytest
from django.urls import reverse

from hms.accounts.permissions import Action, Resource, permission_require
from hms.alerts.models import CriticalAlert
from hms.alerts.tests.helpers import POTASSIUM, the_alert
from hms.core.exceptions import ApplicationError, NotAllowed
from hms.orders import services
from hms.tenancy.context import hospital_context


def _entered(doctor, by, encounter, value="6.9"):
    order = services.lab_order_create(acting_user=doctor, encounter_id=encounter.pk, test_code=POTASSIUM)[0]
    services.lab_order_collect(acting_user=by, order_id=order.pk)
    return services.lab_result_enter(acting_user=by, order_id=order.pk, value=value, unit="mmol/L")


@pytest.mark.django_db
def test_a_scientist_enters_and_another_validates_then_the_doctor_reviews(
    doctor, scientist, second_scientist, encounter
):
    with hospital_context("DMC001"):
        result = _entered(doctor, scientist, encounter)
        with pytest.raises(ApplicationError, match="four-eyes"):
            services.lab_result_verify(acting_user=scientist, result_id=result.pk)
        assert not CriticalAlert.objects.exists()

        services.lab_result_verify(acting_user=second_scientist, result_id=result.pk)

        alert = the_alert()
        assert (alert.clinician_id, alert.raised_by_id) == (doctor.pk, second_scientist.pk)


@pytest.mark.django_db
def test_a_scientist_reads_no_other_clinical_record(scientist, encounter):
    with hospital_context("DMC001"):
        for resource in (Resource.ENCOUNTER, Resource.NOTE, Resource.OBSERVATION, Resource.PRESCRIPTION):
            with pytest.raises(NotAllowed):
                permission_require(user=scientist, resource=resource, action=Action.VIEW)
        with pytest.raises(NotAllowed):
            permission_require(user=scientist, resource=Resource.CRITICAL_ALERT, action=Action.VIEW)


@pytest.mark.django_db
def test_where_a_doctor_verifies_as_before_the_critical_result_still_waits_for_acknowledgement(
    doctor, colleague, nurse, encounter, departments
):
    with hospital_context("DMC001"):
        result = _entered(doctor, nurse, encounter)
        services.lab_result_verify(acting_user=doctor, result_id=result.pk)
        assert the_alert().clinician_id == doctor.pk
        assert the_alert().state == CriticalAlert.State.OPEN


@pytest.mark.django_db
def test_the_laboratorys_start_page_is_its_worklist(client, scientist, doctor, encounter):
    with hospital_context("DMC001"):
        services.lab_order_create(acting_user=doctor, encounter_id=encounter.pk, test_code=POTASSIUM)
    client.force_login(scientist)
    home = client.get(reverse("hospital-home", kwargs={"hospital_code": "DMC001"}))
    assert home.status_code == 302
    worklist = client.get(home["Location"])
    assert worklist.status_code == 200 and "Uddin" in worklist.content.decode()
