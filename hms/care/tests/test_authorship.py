"""Voiding or finishing a clinical record is for its author under CARE scope (ADR 0011)."""

import pytest

from hms.care.tests.factories import CareAssignmentFactory
from hms.core.exceptions import NotAllowed
from hms.encounters.models import Encounter
from hms.encounters.services import encounter_finish, encounter_void, observation_void
from hms.encounters.tests.factories import EncounterFactory, ObservationFactory
from hms.orders.services import lab_order_cancel, prescription_void
from hms.orders.tests.factories import LabOrderFactory, PrescriptionFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(people, patient):
    """Dr A's encounter with the patient, a prescription and a lab order of theirs; Dr B has the
    patient in care too (sent as a walk-in)."""
    with hospital_context("TH001"):
        encounter = EncounterFactory(patient=patient, practitioner_user_id=people.doctor.pk)
        CareAssignmentFactory(patient=patient, clinician_user_id=people.other_doctor.pk)
        return {
            "encounter": encounter,
            "prescription": PrescriptionFactory(encounter=encounter, prescriber_id=people.doctor.pk),
            "order": LabOrderFactory(encounter=encounter, ordered_by_id=people.doctor.pk),
            "observation": ObservationFactory(encounter=encounter, recorded_by_id=people.nurse.pk),
        }


def test_another_doctor_in_care_may_not_void_or_finish_what_they_did_not_write(people, visit):
    b = people.other_doctor
    with hospital_context("TH001"):
        refusals = [
            lambda: encounter_finish(acting_user=b, encounter=visit["encounter"].pk),
            lambda: encounter_void(acting_user=b, encounter=visit["encounter"].pk, reason="not mine"),
            lambda: prescription_void(acting_user=b, prescription_id=visit["prescription"].pk, reason="x"),
            lambda: lab_order_cancel(acting_user=b, order_id=visit["order"].pk, reason="x"),
            lambda: observation_void(acting_user=b, observation=visit["observation"].pk, reason="x"),
        ]
        for attempt in refusals:
            with pytest.raises(NotAllowed, match="Only the clinician who recorded"):
                attempt()
        assert Encounter.objects.get().status == Encounter.Status.IN_PROGRESS


def test_the_author_may_and_a_nurse_voids_any_vital_sign(people, visit):
    a = people.doctor
    with hospital_context("TH001"):
        prescription_void(acting_user=a, prescription_id=visit["prescription"].pk, reason="wrong drug")
        lab_order_cancel(acting_user=a, order_id=visit["order"].pk, reason="not needed")
        observation_void(acting_user=people.nurse, observation=visit["observation"].pk, reason="typo")
        encounter_finish(acting_user=a, encounter=visit["encounter"].pk)
        assert Encounter.objects.get().status == Encounter.Status.FINISHED
