"""Invoices and payments through the API: the billing pages' rules, rights and refusals."""

from decimal import Decimal

import pytest

from hms.api.tests.clinic import NOW, OTHER, problem, url
from hms.billing.models import PriceListItem
from hms.billing.tests.factories import PriceListItemFactory
from hms.scheduling.tests.factories import AppointmentFactory
from hms.tenancy.context import hospital_context

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def visit(clinic):
    """An encounter of the patient in care with a haemoglobin test ordered, priced at 25.00."""
    with hospital_context("CL001"):
        PriceListItemFactory(
            code="718-7", name="Haemoglobin", category=PriceListItem.Category.LAB, unit_price=Decimal("25.00")
        )
    doctor = clinic.api("doctor")
    encounter = doctor.post(url(f"patients/{clinic.in_care.pk}/encounters"), {}, content_type=JSON).json()[
        "id"
    ]
    doctor.post(url(f"encounters/{encounter}/lab-orders"), {"test_code": "718-7"}, content_type=JSON)
    return encounter


def _invoice(clinic, encounter, who="reception"):
    return clinic.api(who).post(url(f"encounters/{encounter}/invoices"), content_type=JSON)


def _accept_all(clinic, invoice_id, who="reception"):
    api = clinic.api(who)
    proposed = api.get(url(f"invoices/{invoice_id}/proposed-lines")).json()
    lines = [{k: line[k] for k in ("source_kind", "source_id", "item_code", "quantity")} for line in proposed]
    return api.post(url(f"invoices/{invoice_id}/lines"), {"lines": lines}, content_type=JSON)


def test_draft_lines_issue_and_pay(clinic, visit):
    opened = _invoice(clinic, visit)
    assert opened.status_code == 201, opened.content
    invoice = opened.json()
    assert invoice["status"] == "draft" and invoice["number"] is None and invoice["lines"] == []
    twice = problem(_invoice(clinic, visit), 409)
    assert twice["invoice_id"] == invoice["id"]
    api = clinic.api("reception")
    (proposed,) = api.get(url(f"invoices/{invoice['id']}/proposed-lines")).json()
    assert proposed["item_code"] == "718-7" and proposed["unit_price"] == "25.00"
    added = _accept_all(clinic, invoice["id"])
    assert added.status_code == 201, added.content
    assert added.json()["total"] == "25.00" and len(added.json()["lines"]) == 1
    again = {
        "lines": [
            {
                "source_kind": "lab_order",
                "source_id": proposed["source_id"],
                "item_code": "718-7",
                "quantity": "1",
            }
        ]
    }
    assert (
        "already on this invoice"
        in problem(api.post(url(f"invoices/{invoice['id']}/lines"), again, content_type=JSON), 400)["detail"]
    )
    assert (
        "lines"
        in problem(api.post(url(f"invoices/{invoice['id']}/lines"), {}, content_type=JSON), 400)["errors"]
    )
    pay = url(f"invoices/{invoice['id']}/payments")
    problem(api.post(pay, {"amount": "10.00", "method": "cash"}, content_type=JSON), 400)  # a draft
    issued = api.post(url(f"invoices/{invoice['id']}/issue"), content_type=JSON)
    assert issued.status_code == 200, issued.content
    assert issued.json()["status"] == "issued" and issued.json()["number"]
    problem(api.post(url(f"invoices/{invoice['id']}/issue"), content_type=JSON), 400)
    part = api.post(pay, {"amount": "10.00", "method": "cash"}, content_type=JSON)
    assert part.status_code == 201 and part.json()["balance"] == "15.00"
    assert (
        "amount"
        in problem(api.post(pay, {"amount": "100.00", "method": "card"}, content_type=JSON), 400)["errors"]
    )
    assert (
        "method"
        in problem(api.post(pay, {"amount": "1.00", "method": "gold"}, content_type=JSON), 400)["errors"]
    )
    paid = api.post(pay, {"amount": "15.00", "method": "card", "reference": "slip 42"}, content_type=JSON)
    assert paid.json()["status"] == "paid" and paid.json()["balance"] == "0.00"
    listed = api.get(url(f"patients/{clinic.in_care.pk}/invoices")).json()["results"]
    assert [(i["id"], i["total"], i["paid"]) for i in listed] == [(invoice["id"], "25.00", "25.00")]


def test_who_may_bill(clinic, visit):
    for who in ("doctor", "nurse", "patient"):
        problem(_invoice(clinic, visit, who), 403)
    invoice = _invoice(clinic, visit, "admin").json()
    for who in ("doctor", "nurse"):
        problem(clinic.api(who).get(url(f"invoices/{invoice['id']}")), 403)
    problem(_invoice(clinic, 99999999), 404)


def test_a_patient_reads_their_own_issued_invoices_only(clinic):
    with hospital_context("CL001"):
        AppointmentFactory(patient=clinic.own, practitioner_user_id=clinic.users["doctor"].pk, starts_at=NOW)
        PriceListItemFactory(code="718-7", category=PriceListItem.Category.LAB)
    doctor = clinic.api("doctor")
    encounter = doctor.post(url(f"patients/{clinic.own.pk}/encounters"), {}, content_type=JSON).json()["id"]
    doctor.post(url(f"encounters/{encounter}/lab-orders"), {"test_code": "718-7"}, content_type=JSON)
    invoice = _invoice(clinic, encounter).json()
    patient = clinic.api("patient")
    missing = problem(patient.get(url("invoices/99999999")), 404)
    assert problem(patient.get(url(f"invoices/{invoice['id']}")), 404) == missing  # a draft
    assert patient.get(url(f"patients/{clinic.own.pk}/invoices")).json()["results"] == []
    _accept_all(clinic, invoice["id"])
    clinic.api("reception").post(url(f"invoices/{invoice['id']}/issue"), content_type=JSON)
    assert patient.get(url(f"invoices/{invoice['id']}")).json()["total"] == "10.00"
    assert [i["id"] for i in patient.get(url(f"patients/{clinic.own.pk}/invoices")).json()["results"]] == [
        invoice["id"]
    ]
    problem(
        patient.post(
            url(f"invoices/{invoice['id']}/payments"), {"amount": "1", "method": "cash"}, content_type=JSON
        ),
        403,
    )
    problem(patient.get(url(f"patients/{clinic.in_care.pk}/invoices")), 404)


def test_another_hospitals_invoice_looks_missing(clinic, visit):
    invoice = _invoice(clinic, visit).json()
    outsider = clinic.api("outsider")
    foreign = problem(outsider.get(url(f"invoices/{invoice['id']}")), 404)
    assert foreign == problem(outsider.get(url(f"invoices/{invoice['id']}", "NOSUCH1")), 404)
    problem(outsider.get(url(f"invoices/{invoice['id']}", OTHER)), 403)  # a doctor: no billing rights
