"""Ids in addresses that no database could hold, or that are not ids at all, answer 404 on every page."""

import pytest

from hms.accounts.models import Role

HUGE = "99999999999999999999999"  # beyond 64 bits: SQLite raises OverflowError if it gets that far
JUNK = [HUGE, "-1", "0", "%C2%B2", "1e3", "abc"]
PAGES = [
    "/h/TH001/patients/{id}/",
    "/h/TH001/encounters/{id}/",
    "/h/TH001/encounters/patients/{id}/",
    "/h/TH001/encounters/notes/{id}/",
    "/h/TH001/orders/patients/{id}/prescriptions/",
    "/h/TH001/orders/patients/{id}/lab/",
    "/h/TH001/orders/lab/orders/{id}/",
    "/h/TH001/scheduling/patients/{id}/",
    "/h/TH001/scheduling/{id}/reschedule/",
    "/h/TH001/billing/invoices/{id}/",
    "/h/TH001/billing/patients/{id}/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DOCTOR, Role.RECEPTIONIST])
def test_junk_ids_answer_404_or_403_never_500(client, make_hospital, make_user, role):
    hospital = make_hospital("TH001")
    client.force_login(make_user("someone", role=role, hospital=hospital))
    for page in PAGES:
        for junk in JUNK:
            path = page.format(id=junk)
            assert client.get(path).status_code in (403, 404), path
