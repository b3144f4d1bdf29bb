"""One outpatient visit, end to end, through the real pages.

An administrator, a doctor, a nurse, a receptionist and a patient (portal account) of
one hospital each sign in with their own browser (a test client) and do their part:
working hours and prices; registration, portal link, booking a free slot offered by
the page, arrival; the encounter with vital signs, an allergy, a diagnosis found by
search, a signed and amended note, a prescription (and one refused for the allergy),
a lab test collected, resulted and verified; the invoice issued and paid in two parts;
the patient reading all of it; refusals for those who may not look. Every form posted
is one the page rendered (its action and field names, and for a choice, an option it
offers), so a renamed field or a lost link fails here. At the end no page answered
500, the audit chain verifies and each person's actions are logged for the patient.

The clock is not patched: the doctor works every day, and reception books the last
free slot the page offers today, or tomorrow once today's hours are over.
"""

import datetime
import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.test import Client

from hms.accounts.models import Role
from hms.audit.models import AuditEvent
from hms.audit.services import audit_chain_verify
from hms.billing.models import Invoice, Payment
from hms.encounters.models import Allergy, ClinicalNote, Diagnosis, Encounter, Observation
from hms.orders.models import LabOrder, LabResult, Prescription
from hms.patients.models import Patient
from hms.scheduling.models import Appointment, WorkingHours
from hms.tenancy.context import hospital_context

CODE = "JRN001"
H = f"/h/{CODE}"
HEART_RATE, SYSTOLIC, DIASTOLIC = "8867-4", "8480-6", "8462-4"
TEMPERATURE, WEIGHT, HEIGHT = "8310-5", "29463-7", "8302-2"
GLUCOSE = "2345-7"


# Reading pages as a browser does: forms (action, fields, options, buttons) and links


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # what the browser sends untouched
    names: set[str] = field(default_factory=set)
    options: dict[str, list[str]] = field(default_factory=dict)  # <select> name -> values offered
    buttons: dict[str, list[str]] = field(default_factory=dict)  # named submit buttons

    def filled(self, values: dict[str, str]) -> dict[str, str]:
        """The form as sent after typing `values` (each must be a field the form has)."""
        unknown = set(values) - self.names - set(self.buttons)
        assert not unknown, f"the form posting to {self.action} has no field {sorted(unknown)}"
        for name, value in values.items():
            offered = self.options.get(name, self.buttons.get(name))
            assert offered is None or value in offered, f"{name}={value!r} is not offered: {offered}"
        return {**self.fields, **values}


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[tuple[str, str]] = []  # (text, href)
        self._form: Form | None = None
        self._link: list | None = None
        self._select: str | None = None
        self._option: list | None = None  # [value or None, selected, text parts]
        self._textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        a = {key: "" if value is None else value for key, value in attrs}
        if tag == "a" and "href" in a:
            self._link = [a["href"], []]
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
        form, name = self._form, a.get("name")
        if form is None:
            return
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image"):
                form.buttons.setdefault(name, []).append(a.get("value", ""))
                return
            form.names.add(name)
            if kind not in ("checkbox", "radio") or "checked" in a:
                form.fields.setdefault(name, a.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "button" and name:
            form.buttons.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select" and name:
            self._select = name
            form.names.add(name)
            form.options[name] = []
        elif tag == "option" and self._select:
            self._option = [a.get("value"), "selected" in a, []]
        elif tag == "textarea" and name:
            form.names.add(name)
            self._textarea = [name, []]

    def handle_data(self, data):
        for open_element in (self._link, self._option, self._textarea):
            if open_element is not None:
                open_element[-1].append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append((" ".join("".join(self._link[1]).split()), self._link[0]))
            self._link = None
        elif tag == "option" and self._option is not None:
            value, selected, text = self._option
            value = " ".join("".join(text).split()) if value is None else value
            name = self._select
            self._form.options[name].append(value)
            if selected or name not in self._form.fields:
                self._form.fields[name] = value
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self._form.fields.setdefault(name, "".join(text).removeprefix("\n"))
            self._textarea = None
        elif tag == "form":
            self._form = None


class Page:
    def __init__(self, url: str, response):
        self.url, self.response, self.status = url, response, response.status_code
        self.html = response.content.decode() if response.get("Content-Type", "").startswith("text/") else ""
        parser = _PageParser()
        parser.feed(self.html)
        self.forms = parser.forms
        self.links = [(text, urljoin(url, href)) for text, href in parser.links]

    @property
    def text(self) -> str:
        """What the page says: tags dropped, entities read, spaces collapsed."""
        shown = re.sub(r"<(style|script)\b.*?</\1>", " ", self.html, flags=re.S)
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", shown)).split())

    @property
    def location(self) -> str:
        return self.response["Location"]

    def form(self, action: str, *, method: str = "post", **hidden: str) -> Form:
        """The form sending to `action` ("" = this page), with these hidden values, if several."""
        target = urljoin(self.url, action)
        found = [
            form
            for form in self.forms
            if form.method == method
            and urljoin(self.url, form.action) == target
            and all(form.fields.get(key) == value for key, value in hidden.items())
        ]
        assert found, f"{self.url} has no {method} form to {target} {hidden or ''}"
        form = found[0]
        form.action = target
        return form

    def forms_to(self, action: str) -> list[Form]:
        return [f for f in self.forms if urljoin(self.url, f.action) == urljoin(self.url, action)]

    def link(self, text: str) -> str:
        """The address of the first link reading `text` (or, failing that, containing it)."""
        for exact in (True, False):
            for shown, href in self.links:
                if shown == text if exact else text in shown:
                    return href
        raise AssertionError(f"{self.url} has no link {text!r}; it has {[t for t, _ in self.links]}")

    def chart_links(self) -> list[tuple[str, str]]:
        """The "Clinical record" links of a patient's page: (text, address)."""
        found = re.search(r'<ul class="chart-links">(.*?)</ul>', self.html, re.S)
        assert found, f"{self.url} has no chart links"
        return [
            (" ".join(unescape(text).split()), urljoin(self.url, unescape(href)))
            for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', found.group(1))
        ]

    def chart(self, label: str) -> str:
        """The address of the "Clinical record" link reading `label`."""
        for text, href in self.chart_links():
            if text == label:
                return href
        raise AssertionError(f"{self.url} has no chart link {label!r}: {self.chart_links()}")

    def row(self, marker: str) -> str:
        """The text of the table row that mentions `marker`."""
        for row in re.findall(r"<tr[^>]*>.*?</tr>", self.html, re.S):
            if marker in row:
                return " ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split())
        raise AssertionError(f"{self.url} has no table row with {marker!r}")


class Person:
    """Someone with their own browser, signed in."""

    def __init__(self, user, journal: list):
        self.user, self.journal = user, journal
        self.client = Client()
        self.client.force_login(user)

    def _answer(self, method: str, url: str, response, expect: int) -> Page:
        self.journal.append((self.user.username, method, url, response.status_code))
        page = Page(url, response)
        assert response.status_code == expect, (
            f"{self.user.username} {method} {url}: {response.status_code}, not {expect}\n{page.text[:1500]}"
        )
        return page

    def get(self, url: str, expect: int = 200) -> Page:
        url = url.split("#")[0]
        return self._answer("GET", url, self.client.get(url), expect)

    def post(self, url: str, data: dict, expect: int = 302) -> Page:
        return self._answer("POST", url, self.client.post(url, data), expect)

    def submit(self, page: Page, action: str, values=None, *, expect: int = 302, method="post", **hidden):
        form = page.form(action, method=method, **hidden)
        data = form.filled(values or {})
        if method == "get":
            return self.get(f"{urlsplit(form.action).path}?{urlencode(data)}", expect)
        return self.post(form.action, data, expect)

    def follow(self, page: Page) -> Page:
        assert page.status == 302, page.status
        return self.get(page.location)


def _id_in(url: str, pattern: str) -> int:
    found = re.search(pattern, url)
    assert found, f"{pattern} not in {url}"
    return int(found.group(1))


@pytest.mark.django_db
def test_an_outpatient_visit_walks_through_every_page(make_hospital, make_user):
    hospital = make_hospital(CODE, name="Journey General Hospital", time_zone="Europe/London")
    journal: list[tuple[str, str, str, int]] = []

    def person(username, role, first="", last=""):
        user = make_user(username, role=role, hospital=hospital)
        user.first_name, user.last_name = first, last
        user.save()
        return Person(user, journal)

    admin = person("ada_admin", Role.ADMIN, "Ada", "Lovelace")
    doctor = person("dr_grey", Role.DOCTOR, "Meredith", "Grey")
    other_doctor = person("dr_house", Role.DOCTOR, "Gregory", "House")
    nurse = person("nurse_joy", Role.NURSE, "Joy", "Okafor")
    desk = person("desk_sam", Role.RECEPTIONIST, "Sam", "Patel")
    portal = person("amara_portal", Role.PATIENT)
    doctor_id = str(doctor.user.pk)

    # 1. Admin: the doctor on the staff, working hours every day of the week, the price list.
    home = admin.get(f"{H}/")
    staff = admin.get(home.link("Staff"))
    staff = admin.follow(
        admin.submit(staff, f"{H}/staff/departments/", {"name": "General practice", "code": "GP"})
    )
    department_id = next(v for v in staff.form(f"{H}/staff/members/").options["department_id"] if v)
    added = admin.submit(
        staff,
        f"{H}/staff/members/",
        {
            "username": "dr_grey",
            "department_id": department_id,
            "specialty": "General practice",
            "licence_number": "GMC-7654321",
        },
    )
    assert "General practice" in admin.follow(added).row("dr_grey")

    hours = admin.get(admin.get(home.link("Appointments")).link("Working hours"))
    for weekday in range(7):
        saved = admin.submit(
            hours,
            f"{H}/scheduling/hours/",
            {"practitioner": doctor_id, "weekday": str(weekday), "periods": "08:00-12:00, 13:00-18:00"},
        )
    hours = admin.follow(saved)
    assert "Working hours saved." in hours.text
    for day in ("Monday", "Wednesday", "Saturday", "Sunday"):
        assert day in hours.text
    with hospital_context(CODE):
        assert WorkingHours.objects.filter(practitioner_user_id=doctor.user.pk, is_active=True).count() == 14

    prices = admin.get(admin.get(home.link("Billing")).link("Price list"))
    for code, name, category, price in (
        ("CONS-GP", "GP consultation", "consultation", "45.00"),
        ("LAB-GLU", "Glucose (blood)", "lab", "17.50"),
    ):
        added = admin.submit(
            prices, "", {"code": code, "name": name, "category": category, "unit_price": price}
        )
        prices = admin.follow(added)
    assert "GP consultation" in prices.row("CONS-GP") and "45.00" in prices.row("CONS-GP")
    assert "Laboratory" in prices.row("LAB-GLU") and "17.50" in prices.row("LAB-GLU")

    # 2. Reception: registers the patient, links their portal account, books a free slot, arrival.
    home = desk.get(f"{H}/")
    registration = desk.get(home.link("Register a patient"))
    registered = desk.submit(
        registration,
        "",
        {
            "given_name": "Amara",
            "family_name": "Nwosu",
            "birth_date": "1988-04-12",
            "sex": "female",
            "phone": "+44 20 7946 0000",
            "national_id": "QQ123456C",
            "kin_name": "Chidi Nwosu",
            "kin_relationship": "Brother",
            "kin_phone": "+44 20 7946 0001",
        },
    )
    patient_id = _id_in(registered.location, r"/patients/(\d+)/$")
    record = desk.follow(registered)
    with hospital_context(CODE):
        patient = Patient.objects.get(pk=patient_id)
    assert f"MRN {patient.mrn}" in record.text
    assert "National ID QQ123456C" in record.text
    assert "Chidi Nwosu (Brother), +44 20 7946 0001" in record.text
    assert len(record.forms_to(f"{H}/patients/{patient_id}/portal/")) == 1
    title = re.search(r"<title>(.*?)</title>", record.html, re.S).group(1)
    assert "<form" not in title
    linked = desk.submit(record, f"{H}/patients/{patient_id}/portal/", {"username": "amara_portal"})
    record = desk.follow(linked)
    assert "This record is linked to the patient account amara_portal" in record.text
    assert not record.forms_to(f"{H}/patients/{patient_id}/portal/")

    other = desk.submit(
        desk.get(home.link("Register a patient")),
        "",
        {"given_name": "Bola", "family_name": "Adeyemi", "birth_date": "1975-09-30", "sex": "male"},
    )
    other_patient_id = _id_in(other.location, r"/patients/(\d+)/$")

    book = desk.get(desk.get(home.link("Appointments")).link("Book an appointment"))
    today = book.form(f"{H}/scheduling/book/").fields["date"]  # in the hospital's time zone
    # The patient picker without JavaScript: search by MRN, choose the patient from the results.
    found = desk.submit(book, f"{H}/scheduling/book/", {"q": patient.mrn, "action": "find"}, expect=200)
    assert str(patient_id) in found.form(f"{H}/scheduling/book/").buttons["patient"]
    chosen = desk.submit(found, f"{H}/scheduling/book/", {"patient": str(patient_id)}, expect=200)
    asked = {"practitioner": doctor_id, "date": today, "action": "slots"}
    slots = desk.submit(chosen, f"{H}/scheduling/book/", asked, expect=200)
    offered = slots.form(f"{H}/scheduling/book/").buttons.get("slot", [])
    if not offered:  # today's hours are over: tomorrow, when every slot is free
        assert "No free slot left that day." in slots.text
        tomorrow = datetime.date.fromisoformat(asked["date"]) + datetime.timedelta(days=1)
        asked["date"] = tomorrow.isoformat()
        slots = desk.submit(chosen, f"{H}/scheduling/book/", asked, expect=200)
        offered = slots.form(f"{H}/scheduling/book/").buttons.get("slot", [])
    assert "Working hours: 08:00–12:00, 13:00–18:00" in slots.text
    assert offered and set(offered) <= {
        f"{h:02d}:{m:02d}" for h in (*range(8, 12), *range(13, 18)) for m in (0, 15, 30, 45)
    }
    slot = offered[-1]  # the last one of the day: furthest from "already begun"
    filled = desk.submit(slots, f"{H}/scheduling/book/", {"slot": slot}, expect=200)  # fills the time only
    assert filled.form(f"{H}/scheduling/book/").fields["time"] == slot
    booked = desk.submit(
        filled,
        f"{H}/scheduling/book/",
        {"duration_minutes": "15", "reason": "Sore throat and fever", "action": "book"},
    )
    day = desk.follow(booked)
    assert f"Booked Nwosu, Amara for {asked['date']} {slot}" in day.text
    appointment_id = int(re.search(r'<tr id="appointment-(\d+)">', day.html).group(1))
    row = day.row(f'id="appointment-{appointment_id}"')
    assert slot in row and "Meredith Grey" in row and patient.mrn in row and "Booked" in row
    status_url = f"{H}/scheduling/{appointment_id}/status/"
    if asked["date"] == today:  # arrival only on the day of the appointment
        day = desk.follow(desk.submit(day, status_url, status="arrived"))
        assert "Arrived" in day.row(f'id="appointment-{appointment_id}"')

    # 3. Doctor: starts the encounter from the appointment, which is then "In consultation".
    record = doctor.get(f"{H}/patients/{patient_id}/")
    encounters = doctor.get(record.chart("Encounters, vital signs, diagnoses, allergies and notes"))
    start = encounters.form(f"{H}/encounters/patients/{patient_id}/start/")
    assert str(appointment_id) in start.options["appointment"]
    started = doctor.submit(
        encounters,
        f"{H}/encounters/patients/{patient_id}/start/",
        {"appointment": str(appointment_id), "reason": "Sore throat"},
    )
    encounter_id = _id_in(started.location, r"/encounters/(\d+)/$")
    visit = doctor.follow(started)
    assert "Encounter of " in visit.text and ": Nwosu, Amara" in visit.text and "In progress" in visit.text
    appointments = doctor.get(record.chart("Appointments"))
    assert "In consultation" in appointments.row(slot)

    # 4. Nurse: vital signs; the fever is flagged H.
    visit = nurse.get(nurse.get(f"{H}/encounters/patients/{patient_id}/").link("Open"))
    vitals = nurse.get(visit.link("Record vital signs"))
    recorded = nurse.submit(
        vitals,
        "",
        {
            f"value_{HEART_RATE}": "88",
            f"value_{SYSTOLIC}": "128",
            f"value_{DIASTOLIC}": "82",
            f"value_{TEMPERATURE}": "38.6",
            f"value_{WEIGHT}": "72.5",
            f"value_{HEIGHT}": "175",
        },
    )
    visit = nurse.follow(recorded)
    fever = visit.row("Body temperature")
    assert "38.6" in fever and "H high" in fever
    assert "H high" not in visit.row("Heart rate") and "88" in visit.row("Heart rate")
    assert "23.7" in visit.row("Body mass index")  # 72.5 kg / 1.75 m squared
    with hospital_context(CODE):
        flags = dict(
            Observation.objects.filter(encounter_id=encounter_id).values_list("loinc_code", "abnormal_flag")
        )
    assert len(flags) == 8 and flags[TEMPERATURE] == "H" and not flags[HEART_RATE]  # 8: the BP panel

    # 5. Doctor: allergy, diagnosis by search, SOAP note signed and amended, prescriptions, lab, finish.
    visit = doctor.get(f"{H}/encounters/{encounter_id}/")
    allergies = doctor.get(visit.link("Record or change allergies"))
    visit = doctor.follow(
        doctor.submit(
            allergies,
            "",
            {"substance": "Penicillin", "category": "medication", "severity": "severe", "reaction": "Hives"},
        )
    )
    assert "Allergies: Penicillin (severe: Hives)" in visit.text

    diagnosis = doctor.get(visit.link("Add a diagnosis"))
    found = doctor.submit(diagnosis, "", {"q": "pharyngitis"}, method="get", expect=200)
    assert "J02.9" in found.row("Acute pharyngitis, unspecified")
    chosen = doctor.get(next(href for text, href in found.links if text == "Use" and "J02.9" in href))
    assert chosen.form("?q=pharyngitis").fields["icd10_code"] == "J02.9"
    added = doctor.submit(chosen, "?q=pharyngitis", {"kind": "primary", "certainty": "confirmed"})
    visit = doctor.follow(added)
    diagnosis_row = visit.row("J02.9")
    assert "Acute pharyngitis, unspecified" in diagnosis_row and "Primary" in diagnosis_row

    note_form = doctor.get(visit.link("Write a note"))
    written = doctor.submit(
        note_form,
        "",
        {
            "subjective": "Sore throat for three days, fever at night.",
            "objective": "Temperature 38.6, inflamed tonsils, no exudate.",
            "assessment": "Acute pharyngitis, probably viral.",
            "plan": "Paracetamol, fluids; blood glucose (thirsty lately).",
        },
    )
    note_id = _id_in(written.location, r"#note-(\d+)$")
    visit = doctor.follow(written)
    assert "draft, not signed" in visit.text
    signed = doctor.submit(visit, f"{H}/encounters/notes/{note_id}/sign/")
    note = doctor.follow(signed)
    assert "signed by Dr Meredith Grey" in note.text  # a doctor by display name
    amended = doctor.submit(
        note,
        f"{H}/encounters/notes/{note_id}/amend/",
        {"text": "Penicillin allergy (hives) noted today.", "reason": "Allergy learnt after signing"},
    )
    note = doctor.follow(amended)
    assert "Penicillin allergy (hives) noted today." in note.text
    assert "reason: Allergy learnt after signing" in note.text

    prescribe = doctor.get(visit.link("Prescribe"))
    paracetamol = {
        "drug_name": "Paracetamol 500 mg tablets",
        "dose": "2",
        "dose_unit": "tablet",
        "route": "oral",
        "frequency": "QDS",
        "duration_days": "5",
        "quantity": "40",
        "instructions": "With water; at most 8 tablets in 24 hours.",
    }
    back = doctor.follow(doctor.submit(prescribe, "", paracetamol))
    assert back.url == visit.url  # back to the visit, with the medicine in its banner
    assert "Prescribed Paracetamol 500 mg tablets for" in back.text
    assert "Paracetamol 500 mg tablets 2 tablet(s)" in back.text
    prescriptions = doctor.get(record.chart("Prescriptions"))
    assert "Active" in prescriptions.row("Paracetamol 500 mg tablets")
    refused = doctor.submit(
        doctor.get(visit.link("Prescribe")),
        "",
        {
            **paracetamol,
            "drug_name": "Phenoxymethylpenicillin (Penicillin V)",
            "dose": "500",
            "dose_unit": "mg",
        },
        expect=400,
    )
    assert "active allergy recorded to Penicillin" in refused.text
    with hospital_context(CODE):
        assert list(Prescription.objects.values_list("drug_name", flat=True)) == [
            "Paracetamol 500 mg tablets"
        ]

    lab_form = doctor.get(visit.link("Order lab tests"))
    lab = doctor.follow(doctor.submit(lab_form, "", {"test_code": GLUCOSE, "priority": "routine"}))
    assert "Ordered" in lab.row("LOINC 2345-7")

    visit = doctor.follow(
        doctor.submit(doctor.get(f"{H}/encounters/{encounter_id}/"), f"{H}/encounters/{encounter_id}/finish/")
    )
    assert "Finished" in visit.text and not visit.forms_to(f"{H}/encounters/{encounter_id}/finish/")
    assert "Completed" in doctor.get(record.chart("Appointments")).row(slot)

    # 6. Nurse collects the specimen and enters the result; the doctor verifies it (four eyes).
    worklist = nurse.get(nurse.get(f"{H}/").link("Lab worklist"))
    order = nurse.get(nurse.get(worklist.link("To collect")).link("Glucose"))
    order_id = _id_in(order.url, r"/lab/orders/(\d+)/$")
    order = nurse.follow(nurse.submit(order, f"{H}/orders/lab/orders/{order_id}/collect/"))
    # A UK laboratory: the unit offered is mmol/L (10.1 mmol/L = 182 mg/dL)
    order = nurse.follow(nurse.submit(order, f"{H}/orders/lab/orders/{order_id}/result/", {"value": "10.1"}))
    result_row = order.row("10.1")
    assert "mmol/L" in result_row and "High" in result_row and "awaiting verification" in result_row
    assert not any("/verify/" in f.action for f in order.forms)
    with hospital_context(CODE):
        result = LabResult.objects.get(order_id=order_id)
    assert (result.flag, result.entered_by_id) == ("H", nurse.user.pk)

    results = doctor.get(doctor.get(f"{H}/encounters/{encounter_id}/").link("Lab results"))
    order = doctor.get(results.link("Glucose"))
    order = doctor.follow(doctor.submit(order, f"{H}/orders/lab/results/{result.pk}/verify/"))
    assert "Verified" in order.text and "by Meredith Grey" in order.row("10.1")
    with hospital_context(CODE):
        assert LabOrder.objects.get(pk=order_id).status == LabOrder.Status.VERIFIED

    # 7. Reception: the invoice, issued and paid in two parts; its PDF.
    billing_url = f"{H}/billing/encounters/{encounter_id}/"
    record = desk.get(f"{H}/patients/{patient_id}/")
    around = [record, desk.get(f"{H}/scheduling/?date={asked['date']}")]
    around += [desk.get(href) for _, href in record.chart_links()]
    # Reception reaches the visit's invoice page from the patient's Invoices page ("Invoice this
    # visit") and from the billing home's list of visits not yet invoiced.
    assert any(href == billing_url for page in around for _, href in page.links)
    assert billing_url in [href for _, href in desk.get(f"{H}/billing/").links]
    billing = desk.get(billing_url)
    assert "This visit has no invoice yet." in billing.text
    invoice_page = desk.follow(desk.submit(billing, ""))
    invoice_id = _id_in(invoice_page.url, r"/invoices/(\d+)/$")
    for item in ("CONS-GP", "LAB-GLU"):
        invoice_page = desk.follow(
            desk.submit(
                invoice_page,
                f"{H}/billing/invoices/{invoice_id}/lines/",
                {"item_code": item, "quantity": "1"},
            )
        )
    assert "62.50" in invoice_page.row("Total")
    invoice_page = desk.follow(desk.submit(invoice_page, f"{H}/billing/invoices/{invoice_id}/issue/"))
    with hospital_context(CODE):
        number = Invoice.objects.get(pk=invoice_id).number
    assert number and f"Invoice {number} · Issued" in invoice_page.text
    payments_url = f"{H}/billing/invoices/{invoice_id}/payments/"
    invoice_page = desk.follow(desk.submit(invoice_page, payments_url, {"amount": "20.00", "method": "cash"}))
    assert "42.50" in invoice_page.row('id="balance"')
    invoice_page = desk.follow(
        desk.submit(
            invoice_page, payments_url, {"amount": "42.50", "method": "card", "reference": "SLIP-0042"}
        )
    )
    assert f"Invoice {number} · Paid" in invoice_page.text and "0.00" in invoice_page.row('id="balance"')
    with hospital_context(CODE):
        invoice = Invoice.objects.get(pk=invoice_id)
        assert invoice.status == Invoice.Status.PAID
        assert sorted(str(p.amount) for p in Payment.objects.filter(invoice=invoice)) == ["20.00", "42.50"]
    pdf = desk.get(invoice_page.link("PDF"))
    assert pdf.response["Content-Type"] == "application/pdf" and pdf.response.content.startswith(b"%PDF")

    # The administrator looks at the day's takings and the invoice.
    takings = admin.get(admin.get(f"{H}/billing/").link("Today's takings"))
    assert "62.50" in takings.text
    admin.get(f"{H}/billing/invoices/{invoice_id}/")

    # 8. The patient, signed in to the portal, reads their record.
    home = portal.get(f"{H}/")
    own = portal.get(home.link(f"Your record (MRN {patient.mrn})"))
    assert "Nwosu, Amara" in own.text and "National ID QQ123456C" in own.text
    assert [form.action for form in own.forms] == ["/logout/"]  # nothing to change here
    own_visits = portal.get(own.chart("Encounters, vital signs, diagnoses, allergies and notes"))
    assert "Finished" in own_visits.row("Meredith Grey")
    own_visit = portal.get(own_visits.link("Open"))
    assert "J02.9" in own_visit.text and "H high" in own_visit.row("Body temperature")
    own_note = portal.get(own_visit.link("Open note"))
    assert "Acute pharyngitis, probably viral." in own_note.text
    assert "Penicillin allergy (hives) noted today." in own_note.text
    own_results = portal.get(own.chart("Lab results"))
    assert "Verified" in own_results.row("Glucose") and "High" in own_results.row(
        "10.1"
    )  # as the laboratory reported it
    own_prescriptions = portal.get(own.chart("Prescriptions"))
    assert (
        "Paracetamol 500 mg tablets" in own_prescriptions.text
        and "Penicillin V" not in own_prescriptions.text
    )
    own_invoices = portal.get(own.chart("Invoices"))
    assert "Paid" in own_invoices.row(number)
    own_invoice = portal.get(own_invoices.link(number))
    assert "0.00" in own_invoice.row('id="balance"')
    portal.get(f"{H}/patients/{other_patient_id}/", expect=404)

    # 9. Refusals: reception may never read notes; a doctor without the patient in care sees nothing.
    desk.get(f"{H}/encounters/notes/{note_id}/", expect=403)
    other_doctor.get(f"{H}/orders/patients/{patient_id}/prescriptions/", expect=404)

    # 10. No page failed, the audit chain is whole, and everyone's work is logged for the patient.
    assert not [entry for entry in journal if entry[3] >= 500]
    with hospital_context(CODE):
        assert audit_chain_verify().intact
        logged = {
            username: set(
                AuditEvent.objects.filter(actor_username=username, patient_id=patient_id).values_list(
                    "action", flat=True
                )
            )
            for username in ("ada_admin", "dr_grey", "nurse_joy", "desk_sam", "amara_portal")
        }
        assert Encounter.objects.get(pk=encounter_id).status == Encounter.Status.FINISHED
        assert Appointment.objects.get(pk=appointment_id).status == Appointment.Status.COMPLETED
        assert Allergy.objects.get(patient_id=patient_id).substance == "Penicillin"
        assert Diagnosis.objects.get(encounter_id=encounter_id).icd10_code == "J02.9"
        assert ClinicalNote.objects.get(pk=note_id).status == ClinicalNote.Status.SIGNED
        refused = set(
            AuditEvent.objects.filter(outcome=AuditEvent.Outcome.DENIED).values_list(
                "actor_username", "action"
            )
        )
    assert {("desk_sam", "note.view"), ("dr_house", "prescription.view")} <= refused, refused
    expected = {
        "ada_admin": {"invoice.view"},
        "dr_grey": {
            "encounter.start",
            "allergy.record",
            "diagnosis.add",
            "note.create",
            "note.sign",
            "note.amend",
            "prescription.create",
            "prescription.allergy_refused",
            "lab_order.create",
            "encounter.finish",
            "lab_result.verify",
        },
        "nurse_joy": {"observation.record", "lab_order.collect", "lab_result.enter"},
        "desk_sam": {
            "patient.create",
            "patient.portal_link",
            "appointment.book",
            "appointment.status",
            "invoice.create",
            "invoice.line_add",
            "invoice.issue",
            "payment.record",
            "invoice.pdf",
        },
        "amara_portal": {
            "patient.view",
            "encounter.view",
            "note.view",
            "lab_order.list",
            "prescription.list",
            "invoice.view",
        },
    }
    if asked["date"] != today:  # booked for tomorrow: nobody could mark the patient arrived
        expected["desk_sam"].discard("appointment.status")
    for username, actions in expected.items():
        assert actions <= logged[username], (username, actions - logged[username])
