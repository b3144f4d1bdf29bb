"""The desk's list of visits with no live invoice: hospital-wide on the billing home, per patient."""

import pytest

from hms.audit.models import AuditEvent
from hms.billing.selectors import visits_to_invoice
from hms.billing.services import invoice_create_for_encounter, invoice_void
from hms.core.exceptions import NotAllowed, NotFound
from hms.tenancy.context import hospital_context

from .conftest import CODE, url

pytestmark = pytest.mark.django_db


def _listed(page):
    return [visit.encounter_id for visit in page.object_list]


def test_visits_without_a_live_invoice_are_listed_until_invoiced(
    receptionist, doctor, admin, encounter, other_encounter, patient
):
    with hospital_context(CODE):
        everyone = visits_to_invoice(user=receptionist)
        assert set(_listed(everyone)) == {encounter.pk, other_encounter.pk}
        expected_name = doctor.get_full_name() or doctor.get_username()
        assert {v.doctor_name for v in everyone.object_list} == {expected_name}
        invoice = invoice_create_for_encounter(acting_user=receptionist, encounter_id=encounter.pk)
        assert _listed(visits_to_invoice(user=receptionist)) == [other_encounter.pk]
        # A voided invoice leaves the visit to be invoiced again.
        invoice_void(acting_user=admin, invoice_id=invoice.pk, reason="Wrong patient")
        assert encounter.pk in _listed(visits_to_invoice(user=admin))
        mine = visits_to_invoice(user=receptionist, patient_id=patient.pk, client_address="10.1.1.1")
        assert _listed(mine) == [encounter.pk]
        event = AuditEvent.objects.filter(action="invoice.visits_to_invoice").last()
    assert (event.patient_id, event.client_address) == (patient.pk, "10.1.1.1")
    assert event.detail["encounter_ids"] == [encounter.pk]


def test_voided_visits_are_not_listed(receptionist, other_encounter, encounter):
    from django.utils import timezone

    with hospital_context(CODE):
        other_encounter.voided_at = timezone.now()
        other_encounter.void_reason = "Started twice"
        other_encounter.save()
        assert _listed(visits_to_invoice(user=receptionist)) == [encounter.pk]


def test_only_the_desk_sees_the_list(doctor, nurse, patient_user, receptionist):
    with hospital_context(CODE):
        for user in (doctor, nurse, patient_user):
            with pytest.raises(NotAllowed):
                visits_to_invoice(user=user)
        with pytest.raises(NotFound):
            visits_to_invoice(user=receptionist, patient_id="999999")


def test_the_billing_home_links_each_visit_to_its_invoice_page(client, receptionist, encounter, patient):
    client.force_login(receptionist)
    home = client.get(url("home")).content.decode()
    link = url("encounter", encounter_id=encounter.pk)
    assert link in home and "Invoice this visit" in home
    assert client.get(link).status_code == 200
    invoices = client.get(url("patient-invoices", patient_id=patient.pk)).content.decode()
    assert link in invoices
