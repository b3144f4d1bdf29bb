"""The desk's list of visits with no live invoice: hospital-wide on the billing home, per patient."""

import pytest

from hms.audit.models import AuditEvent
from hms.billing.selectors import visits_to_invoice
from hms.billing.services import invoice_create_for_encounter, invoice_void
from hms.core.exceptions import NotAllowed, NotFound
from hms.tenancy.context import hospital_context

from .conftest import CODE

pytestmark = pytest.mark.django_db


def _listed(page):
    return [visit.encounter_id for visit in page.object_list]


def test_visits_without_a_live_invoice_are_listed_until_invoiced(people, clinic):
    with hospital_context(CODE):
        everyone = visits_to_invoice(user=people.receptionist)
        assert set(_listed(everyone)) == {clinic.encounter.pk, clinic.other_encounter.pk}
        expected_name = people.doctor.get_full_name() or people.doctor.get_username()
        assert {v.doctor_name for v in everyone.object_list} == {expected_name}
        invoice = invoice_create_for_encounter(
            acting_user=people.receptionist, encounter_id=clinic.encounter.pk
        )
        assert _listed(visits_to_invoice(user=people.receptionist)) == [clinic.other_encounter.pk]
        # A voided invoice leaves the visit to be invoiced again.
        invoice_void(acting_user=people.admin, invoice_id=invoice.pk, reason="Wrong patient")
        assert clinic.encounter.pk in _listed(visits_to_invoice(user=people.admin))
        mine = visits_to_invoice(
            user=people.receptionist, patient_id=clinic.patient.pk, client_address="10.1.1.1"
        )
        assert _listed(mine) == [clinic.encounter.pk]
        event = AuditEvent.objects.filter(action="invoice.visits_to_invoice").last()
    assert (event.patient_id, event.client_address) == (clinic.patient.pk, "10.1.1.1")
    assert event.detail["encounter_ids"] == [clinic.encounter.pk]


def test_voided_visits_are_not_listed(people, clinic):
    from django.utils import timezone

    with hospital_context(CODE):
        clinic.other_encounter.voided_at = timezone.now()
        clinic.other_encounter.void_reason = "Started twice"
        clinic.other_encounter.save()
        assert _listed(visits_to_invoice(user=people.receptionist)) == [clinic.encounter.pk]


def test_only_the_desk_sees_the_list(people, clinic):
    with hospital_context(CODE):
        for user in (people.doctor, people.nurse, people.patient_user):
            with pytest.raises(NotAllowed):
                visits_to_invoice(user=user)
        with pytest.raises(NotFound):
            visits_to_invoice(user=people.receptionist, patient_id="999999")


def test_the_billing_home_links_each_visit_to_its_invoice_page(client, people, clinic):
    client.force_login(people.receptionist)
    home = client.get(f"/h/{CODE}/billing/").content.decode()
    link = f"/h/{CODE}/billing/encounters/{clinic.encounter.pk}/"
    assert link in home and "Invoice this visit" in home
    assert client.get(link).status_code == 200
    invoices = client.get(f"/h/{CODE}/billing/patients/{clinic.patient.pk}/").content.decode()
    assert link in invoices
