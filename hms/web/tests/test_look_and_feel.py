"""The look rules a server can check: the current page marked in the menu, every field of the
main forms labelled, friendly 404 and 403 pages with a way back, one stylesheet with a status
colour for every status value, and no inline styles or scripts in any template."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from hms.accounts.models import Role
from hms.billing.models import Invoice
from hms.encounters.models import Encounter
from hms.orders.models import LabOrder
from hms.scheduling.models import Appointment

HMS = Path(settings.BASE_DIR) / "hms"
# The REST API's documentation page is Swagger UI, with its own stylesheets, served from our
# static files (drf-spectacular-sidecar, hms/api/static): no page of the application uses them.
API_DOCS_SHEETS = {
    "api/templates/api/swagger_ui.html": ("{{ swagger_ui_css }}", "{% static 'api/docs.css' %}"),
}
CSS = (HMS / "static" / "hms" / "hms.css").read_text(encoding="utf-8")
FIELD = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.I)
CURRENT = re.compile(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>')


def unlabelled(body: str) -> list[str]:
    """Fields of a page with no label: neither a <label for> naming their id, nor a <label>
    around them, nor an aria-label."""
    labels = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', body))
    wrapped = {
        attributes
        for inner in re.findall(r"<label\b[^>]*>(.*?)</label>", body, re.S | re.I)
        for _, attributes in FIELD.findall(inner)
    }
    missing = []
    for _, attributes in FIELD.findall(body):
        if re.search(r'type="(hidden|submit)"', attributes) or "aria-label=" in attributes:
            continue
        if attributes in wrapped:
            continue
        field_id = re.search(r'\bid="([^"]+)"', attributes)
        if field_id is None or field_id[1] not in labels:
            missing.append(attributes.strip())
    return missing


def _url(name, **kwargs):
    return reverse(name, kwargs={"hospital_code": "TH001", **kwargs})


@pytest.fixture
def th001(make_hospital):
    return make_hospital("TH001")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "marked"),
    [("billing:home", "Billing"), ("billing:outstanding", "Billing"), ("staff:index", "Staff")],
)
def test_the_menu_marks_the_current_page(client, make_user, th001, page, marked):
    client.force_login(make_user("boss", role=Role.ADMIN, hospital=th001))
    body = client.get(_url(page)).content.decode()
    assert [label for _, label in CURRENT.findall(body)] == [marked]


@pytest.mark.django_db
def test_a_doctors_own_appointments_link_is_marked_not_the_days(client, make_user, th001):
    doctor = make_user("dr", role=Role.DOCTOR, hospital=th001)
    client.force_login(doctor)
    body = client.get(_url("scheduling:day") + f"?doctor={doctor.pk}").content.decode()
    assert [label for _, label in CURRENT.findall(body)] == ["My appointments"]


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["billing:settings", "billing:price-list", "billing:takings", "staff:index"])
def test_every_field_of_the_main_forms_is_labelled(client, make_user, th001, page):
    client.force_login(make_user("boss", role=Role.ADMIN, hospital=th001))
    response = client.get(_url(page))
    assert response.status_code == 200
    assert unlabelled(response.content.decode()) == []


@pytest.mark.django_db
def test_the_sign_in_form_is_labelled(client):
    assert unlabelled(client.get(reverse("login")).content.decode()) == []


@pytest.mark.django_db
def test_the_404_page_is_friendly_with_a_way_back_and_the_same_everywhere(client, make_user, th001):
    client.force_login(make_user("boss", role=Role.ADMIN, hospital=th001))
    inside = client.get(_url("billing:invoice", invoice_id=999999))
    outside = client.get("/no-such-page/")
    assert inside.status_code == outside.status_code == 404
    assert inside.content == outside.content
    body = inside.content.decode()
    assert "Page not found" in body and 'href="/">Go to your start page' in body


@pytest.mark.django_db
def test_the_403_page_says_why_and_offers_a_way_back(client, make_user, th001):
    client.force_login(make_user("desk", role=Role.RECEPTIONIST, hospital=th001))
    response = client.get(_url("billing:settings"))
    body = response.content.decode()
    assert response.status_code == 403
    assert "Not allowed" in body and "administrator" in body and "Go to your start page" in body


@pytest.mark.parametrize(
    "statuses",
    [Appointment.Status.values, Encounter.Status.values, Invoice.Status.values, LabOrder.Status.values],
)
def test_every_status_has_a_colour_in_the_one_stylesheet(statuses):
    for value in statuses:
        assert re.search(rf"\.status-{value}\b", CSS), value


def test_no_template_carries_inline_styles_or_scripts_or_a_stylesheet_of_its_own():
    found = []
    for template in HMS.rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for pattern in (
            r"<style\b",
            r"\sstyle=",
            r"<script\b(?![^>]*\bsrc=)",
            r"\son[a-z]+=",
            r"_style\.html",
        ):
            if re.search(pattern, text, re.I):
                found.append(f"{template.relative_to(HMS)}: {pattern}")
        for sheet in re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', text):
            if sheet in API_DOCS_SHEETS.get(str(template.relative_to(HMS)), ()):
                continue
            if "hms/hms.css" not in sheet and "hms/print.css" not in sheet:
                found.append(f"{template.relative_to(HMS)}: stylesheet {sheet}")
    assert found == []
