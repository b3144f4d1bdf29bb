"""The authorization walk: every URL the resolver knows, requested by every role of two hospitals,
for their own hospital and the other one, their own records and the other hospital's ids, each
answer checked against the permission matrix (walk_expectations.py says which cell each page
needs). No answer may be a 5xx, and no page a user of one hospital gets may name the other
hospital's patients; a patient's portal pages never name another patient.

Two hospitals, TH001 and DMC001, each with an administrator, two doctors (one with the first
patient in care, one with the second), a nurse, a receptionist and a patient whose portal
account is linked to the first patient, and one of every kind of record for each of the two
patients. Record ids differ between the hospitals (TH001 from 101, DMC001 from 701), so the
other hospital's ids in one's own hospital's addresses name nothing there.

GET for every page; a page that takes only POST gets an empty POST (the test client skips
CSRF). Each POST runs in transactions that are rolled back, so no request changes what the
next one sees (a finished encounter, a deactivated account, a patient brought into care).
"""

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from hms.accounts.models import Role, User
from hms.accounts.permissions import MATRIX, Action, Resource, Scope
from hms.accounts.tests.factories import UserFactory
from hms.alerts.tests.factories import CriticalAlertFactory
from hms.billing.tests.factories import (
    InvoiceFactory,
    InvoiceLineFactory,
    PaymentFactory,
    PriceListItemFactory,
    RefundFactory,
)
from hms.care.tests.factories import CareAssignmentFactory, EmergencyAccessFactory
from hms.encounters.models import ClinicalNote, Encounter
from hms.encounters.tests.factories import (
    AllergyFactory,
    ClinicalNoteFactory,
    DiagnosisFactory,
    EncounterFactory,
    NoKnownAllergiesFactory,
    ObservationFactory,
    ProblemListItemFactory,
)
from hms.orders.models import LabOrder
from hms.orders.tests.factories import LabOrderFactory, LabResultFactory, PrescriptionFactory
from hms.patients.tests.factories import PatientFactory
from hms.scheduling.tests.factories import AppointmentFactory, WorkingHoursFactory
from hms.staff.tests.factories import StaffMemberFactory
from hms.tenancy.connections import hospital_alias
from hms.tenancy.context import hospital_context
from hms.web.tests.walk_expectations import (
    API_NAMESPACES,
    ARGUMENT_RECORD,
    EXPECTED,
    FILLED_DEFAULT,
    FILLED_POST,
    FORM_FIRST,
    HOSPITAL_RECORDS,
    KNOWN_GAPS,
    OVERRIDES,
    Page,
    Who,
)

HOSPITALS = ("TH001", "DMC001")
ID_BASE = {"TH001": 100, "DMC001": 700}
UNKNOWN = "NOPE999"
# Names and MRNs found nowhere else: a page that shows one shows that patient.
PATIENTS = {
    ("TH001", 1): ("Anselm", "Brackenridge", "THW-MRN-0001"),
    ("TH001", 2): ("Cordelia", "Fairweatherby", "THW-MRN-0002"),
    ("DMC001", 1): ("Zebediah", "Quillfeather", "DMCW-MRN-0001"),
    ("DMC001", 2): ("Ottoline", "Wrexhamshire", "DMCW-MRN-0002"),
}
# Who walks, in each hospital: a name, the role, and which of the two patients is theirs
# (in care for a doctor, the linked record for a patient).
STAFF = (
    ("admin", Role.ADMIN, None),
    ("doctor", Role.DOCTOR, 1),
    ("doctor-other", Role.DOCTOR, 2),
    ("nurse", Role.NURSE, None),
    ("reception", Role.RECEPTIONIST, None),
    ("patient", Role.PATIENT, 1),
)
OK_STATUSES = {200, 204, 301, 302, 303, 400}


@dataclass
class Walker:
    user: User
    code: str | None  # their hospital; None for the platform's super-administrator
    name: str
    own_patient: int | None = None  # 1 or 2: in care (doctor) or linked (patient)

    @property
    def label(self) -> str:
        return f"{self.code or 'platform'} {self.name}"


@dataclass
class World:
    walkers: list[Walker] = field(default_factory=list)


def _markers(code: str, which: int) -> tuple[str, str]:
    _, family, mrn = PATIENTS[(code, which)]
    return family, mrn


def _build_hospital(code: str, hospital, world: World) -> None:
    base = ID_BASE[code]
    users = {}
    for name, role, own in STAFF:
        users[name] = UserFactory(username=f"{code.lower()}-{name}", role=role, hospital=hospital)
        world.walkers.append(Walker(users[name], code, name, own))
    porter = UserFactory(username=f"{code.lower()}-porter", role=Role.NURSE, hospital=hospital)
    # Holds each patient's emergency access: a doctor of the hospital who does not walk.
    locum = UserFactory(username=f"{code.lower()}-locum", role=Role.DOCTOR, hospital=hospital)
    with hospital_context(hospital):
        StaffMemberFactory(id=base + 1, user=porter)
        PriceListItemFactory(id=base + 1)
        WorkingHoursFactory(practitioner_user_id=users["doctor"].pk)
        for which, doctor in ((1, users["doctor"]), (2, users["doctor-other"])):
            given, family, mrn = PATIENTS[(code, which)]
            pk = base + which
            patient = PatientFactory(
                id=pk,
                mrn=mrn,
                given_name=given,
                family_name=family,
                given_name_norm=given.lower(),
                family_name_norm=family.lower(),
                user_id=users["patient"].pk if which == 1 else None,
            )
            AppointmentFactory(id=pk, patient=patient, practitioner_user_id=doctor.pk)
            encounter = EncounterFactory(id=pk, patient=patient, practitioner_user_id=doctor.pk)
            ClinicalNoteFactory(id=pk, encounter=encounter, signed=True)
            AllergyFactory(id=pk, patient=patient, recorded_by_id=doctor.pk)
            ObservationFactory(id=pk, encounter=encounter)
            DiagnosisFactory(id=pk, encounter=encounter)
            ProblemListItemFactory(id=pk, patient=patient)
            NoKnownAllergiesFactory(id=pk, patient=patient)
            PrescriptionFactory(id=pk, encounter=encounter)
            order = LabOrderFactory(
                id=pk, encounter=encounter, collected=True, status=LabOrder.Status.VERIFIED
            )
            LabResultFactory(
                id=pk, order=order, verified_by_id=users["admin"].pk, verified_at=order.ordered_at
            )
            invoice = InvoiceFactory(
                id=pk, encounter=encounter, patient=patient, issued=True, created_by_id=users["admin"].pk
            )
            InvoiceLineFactory(id=pk, invoice=invoice)
            payment = PaymentFactory(id=pk, invoice=invoice)
            RefundFactory(id=pk, payment=payment)
            EmergencyAccessFactory(id=pk, patient=patient, user_id=locum.pk, username=locum.username)
            CriticalAlertFactory(id=pk, patient=patient, clinician_id=doctor.pk, record_id=pk)


@pytest.fixture
def world(make_hospital) -> World:
    world = World()
    for code in HOSPITALS:
        _build_hospital(code, make_hospital(code), world)
    platform = UserFactory(username="platform", role=Role.SUPERADMIN, hospital=None)
    world.walkers.append(Walker(platform, None, "superadmin"))
    return world


# The URLs: every pattern the resolver knows, by name


def _patterns(patterns=None, namespace: str = "", route: str = "") -> Iterator[tuple[str, str, list[str]]]:
    """(name, route, address arguments) for every pattern outside admin/."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        here = route + str(pattern.pattern)
        if here.startswith("admin/"):
            continue
        if isinstance(pattern, URLResolver) and pattern.namespace in API_NAMESPACES:
            continue  # walked by the API's own matrix test (walk_expectations.API_NAMESPACES)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern.url_patterns, inner, here)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {here}>"
            yield name, here, _arguments(here)


def _arguments(route: str) -> list[str]:
    from django.urls.resolvers import RoutePattern

    return [name for name in RoutePattern(route).converters if name != "hospital_code"]


def _address(name: str, arguments: list[str], code: str | None, base: int | None, which: int) -> str:
    kwargs: dict[str, object] = {}
    if code is not None:
        kwargs["hospital_code"] = code
    for argument in arguments:
        if argument in ("uidb64", "token"):
            kwargs[argument] = "x"  # a reset link that was never sent
            continue
        record = ARGUMENT_RECORD.get(argument)
        if record is None:
            pytest.fail(f"{name}: walk_expectations.ARGUMENT_RECORD has no kind of record for {argument!r}")
        assert base is not None
        kwargs[argument] = base + (1 if record in HOSPITAL_RECORDS else which)
    return reverse(name, kwargs=kwargs)


# Sending a request whose effects are rolled back


@contextlib.contextmanager
def _rolled_back() -> Iterator[None]:
    aliases = ["default", *(hospital_alias(code) for code in HOSPITALS)]
    with contextlib.ExitStack() as stack:
        for alias in aliases:
            stack.enter_context(transaction.atomic(using=alias))
        try:
            yield
        finally:
            for alias in aliases:
                transaction.set_rollback(True, using=alias)


@dataclass
class Answer:
    status: int
    body: bytes
    location: str


def _send(client, path: str, *, post: bool = False, data: dict[str, str] | None = None) -> Answer:
    with _rolled_back():
        response = client.post(path, data or {}) if post else client.get(path)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return Answer(response.status_code, body, response.get("Location", ""))


# What each answer should be

Cell = tuple[Resource, Action, str | None]  # what a request needs, and the record its address names


def _expected(name: str, cell: Cell | None, walker: Walker, case: str, which: int) -> str:
    """'ok', 'denied' (403 or 404) or 'missing' (404) for `walker` on a page of `case`:
    'own' (own hospital, own hospital's record `which`), 'foreign-ids' (own hospital, the
    other hospital's ids), 'foreign' (the other hospital's address). `cell` None: a page
    outside the matrix, open to whoever reached it."""
    if case == "foreign":
        return "missing"
    if cell is None:
        return "ok"
    if walker.code is None:
        return "denied"  # the platform's administrator sees no hospital's records
    resource, action, record = cell
    role = walker.user.role
    override = OVERRIDES.get((name, role))
    scope = MATRIX.get(Role(role), {}).get((resource, action))
    if override and case != "foreign-ids":
        return override[0]
    if scope is None:
        return "denied"
    if case == "foreign-ids":
        return "missing"  # another hospital's ids name nothing here, whatever the page's own rule
    if record is None or record in HOSPITAL_RECORDS or scope == Scope.ALL:
        return "ok"
    if walker.own_patient == which:
        return "ok"
    # Out of scope answers 404, as a record that does not exist; but a record the role may see
    # anyway (a doctor sees every appointment) may be refused with 403: its existence is no secret.
    sees_all = MATRIX.get(Role(role), {}).get((resource, Action.VIEW)) == Scope.ALL
    return "denied" if sees_all else "missing"


def _requests(name: str, entry: Who | Page, post_only: bool) -> list[tuple[bool, Cell | None]]:
    """(POST?, what it needs) for each request the walk sends to a page."""
    if isinstance(entry, Who):
        return [(post_only, None)]
    sent: list[tuple[bool, Cell | None]] = [(post_only, (entry.resource, entry.action, entry.record))]
    if entry.post is not None:
        sent.append((True, (*entry.post, entry.record)))
    return sent


def _matches(expected: str, answer: Answer) -> bool:
    if expected == "ok":
        return answer.status in OK_STATUSES
    if expected == "denied":
        return answer.status in (403, 404)
    return answer.status == 404


@dataclass
class Walk:
    mismatches: list[str] = field(default_factory=list)
    gaps_seen: set[tuple[str, str, str]] = field(default_factory=set)
    requests: int = 0

    def check(self, name: str, walker: Walker, case: str, line: str, expected: str, answer: Answer) -> None:
        self.requests += 1
        key = (name, walker.name, case)
        problem = ""
        if answer.status >= 500:
            problem = f"answered {answer.status}"
        elif not _matches(expected, answer):
            problem = f"answered {answer.status}, expected {expected}"
        if problem and key in KNOWN_GAPS:
            self.gaps_seen.add(key)
            return
        if problem:
            self.mismatches.append(f"{walker.label:24} {case:11} {line} {problem}")

    def leak(self, walker: Walker, line: str, answer: Answer, forbidden: list[str]) -> None:
        text = answer.body.decode("utf-8", "replace")
        for marker in forbidden:
            if marker in text:
                self.mismatches.append(f"{walker.label:24} {'leak':11} {line} shows {marker!r}")


def _forbidden_markers(walker: Walker) -> list[str]:
    """What no page this walker gets may show: the other hospital's patients; for a patient,
    every other patient; for the platform's administrator, every patient."""
    forbidden: list[str] = []
    for code, which in PATIENTS:
        other_hospital = walker.code is not None and code != walker.code
        other_patient = walker.user.role == Role.PATIENT and which != walker.own_patient
        if walker.code is None or other_hospital or other_patient:
            forbidden.extend(_markers(code, which))
    return forbidden


def _cases(walker: Walker, in_hospital: bool, arguments: list[str]) -> list[tuple[str, str | None, int, int]]:
    """(case, hospital code, id base, which patient's records) for each address to try."""
    if not in_hospital:
        return [("own", None, ID_BASE["TH001"], 1)]
    if walker.code is None:  # the platform's administrator may enter every hospital
        return [
            ("own", code, ID_BASE[code], which)
            for code in HOSPITALS
            for which in (1, 2)[: 1 + bool(arguments)]
        ]
    own, other = walker.code, next(c for c in HOSPITALS if c != walker.code)
    cases = [("own", own, ID_BASE[own], 1), ("foreign", other, ID_BASE[other], 1)]
    if arguments:
        cases += [("own", own, ID_BASE[own], 2), ("foreign-ids", own, ID_BASE[other], 1)]
    return cases


@pytest.mark.django_db
def test_every_url_answers_every_role_as_the_matrix_says(client, world):
    client.raise_request_exception = False
    patterns = list(_patterns())
    unlisted = sorted(name for name, _, _ in patterns if name not in EXPECTED)
    assert not unlisted, f"URLs with no expected answer in walk_expectations.EXPECTED: {unlisted}"
    stale = sorted(set(EXPECTED) - {name for name, _, _ in patterns})
    assert not stale, f"walk_expectations.EXPECTED names URLs that no longer exist: {stale}"

    walk = Walk()
    post_only: dict[str, bool] = {}
    for walker in world.walkers:
        client.force_login(walker.user)
        forbidden = _forbidden_markers(walker)
        unknown = _send(client, reverse("hospital-home", kwargs={"hospital_code": UNKNOWN}))
        for name, route, arguments in patterns:
            in_hospital = "<str:hospital_code>" in route
            for case, code, base, which in _cases(walker, in_hospital, arguments):
                path = _address(name, arguments, code, base, which)
                for post, cell in _requests(name, EXPECTED[name], post_only.get(name, False)):
                    answer = _send(client, path, post=post)
                    if answer.status == 405 and not post and name not in post_only:
                        post_only[name] = post = True
                        answer = _send(client, path, post=True)
                    expected = _expected(name, cell, walker, case, which)
                    if EXPECTED[name] is Who.OPERATOR and walker.code is not None:
                        expected = "denied"  # the platform console is the operator's alone
                    if post and answer.status == 400 and expected != "ok":
                        data = FILLED_POST.get(name, FILLED_DEFAULT)
                        answer = _send(client, path, post=True, data=data)
                        if answer.status == 400 and name in FORM_FIRST:
                            expected = "ok"  # refused as a form, before the page asks who sent it
                    line = f"{'POST' if post else 'GET ':4} {path:66}"
                    walk.check(name, walker, case, line, expected, answer)
                    walk.leak(walker, line, answer, forbidden)
                    if case == "foreign" and answer.status == 404 and answer.body != unknown.body:
                        walk.mismatches.append(
                            f"{walker.label:24} {case:11} {line} 404 differs from an unknown hospital's"
                        )
                    if name == "logout":
                        client.force_login(walker.user)

    unseen = sorted(set(KNOWN_GAPS) - walk.gaps_seen)
    report = "\n".join(walk.mismatches)
    assert not walk.mismatches, f"{len(walk.mismatches)} of {walk.requests} answers wrong:\n{report}"
    assert not unseen, f"Known gaps no longer seen (fixed? remove them from KNOWN_GAPS): {unseen}"


@pytest.mark.django_db
def test_no_hospital_user_gets_the_platform_admin(client, world):
    client.raise_request_exception = False
    for walker in world.walkers:
        if walker.user.role == Role.SUPERADMIN:
            continue
        client.force_login(walker.user)
        response = client.get("/admin/")
        assert response.status_code in (302, 403, 404), (walker.label, response.status_code)
        if response.status_code == 302:
            assert "login" in response["Location"], (walker.label, response["Location"])


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    client.raise_request_exception = False
    wrong = []
    for name, route, arguments in _patterns():
        if EXPECTED.get(name) == Who.ANONYMOUS:
            continue
        code = "TH001" if "<str:hospital_code>" in route else None
        path = _address(name, arguments, code, ID_BASE["TH001"], 1)
        response = client.get(path)
        if response.status_code == 405:
            response = client.post(path)
        if response.status_code != 302 or "login" not in response.get("Location", ""):
            wrong.append(f"{path} answered {response.status_code} {response.get('Location', '')}")
    assert not wrong, "\n".join(wrong)


# Gaps issue 10 names, which the walk cannot see (each request's effects are rolled back, and the
# matrix allows each single request). An open one is a strict xfail: it fails once fixed, so
# that its mark goes.


def _walker(world: World, code: str, name: str) -> Walker:
    return next(w for w in world.walkers if w.code == code and w.name == name)


@pytest.mark.django_db
def test_a_walk_in_is_not_a_way_into_another_doctors_patient(client, world):
    """Issue 10: starting a walk-in encounter used to bring any patient into a doctor's care
    (ADR 0011: a walk-in is assigned by reception, break-the-glass for the rest)."""
    client.force_login(_walker(world, "TH001", "doctor-other").user)
    note = reverse("encounters:note", kwargs={"hospital_code": "TH001", "note_id": ID_BASE["TH001"] + 1})
    assert client.get(note).status_code == 404
    start = reverse("encounters:start", kwargs={"hospital_code": "TH001", "patient_id": ID_BASE["TH001"] + 1})
    client.post(start, {"reason": "Walk-in"})
    assert client.get(note).status_code == 404


@pytest.mark.django_db
def test_a_doctor_voids_only_their_own_notes(client, world):
    other = _walker(world, "TH001", "doctor-other")
    patient = ID_BASE["TH001"] + 1
    with hospital_context("TH001"):
        CareAssignmentFactory(patient_id=patient, clinician_user_id=other.user.pk)  # now in their care too
    client.force_login(other.user)
    void = reverse("encounters:note-void", kwargs={"hospital_code": "TH001", "note_id": patient})
    response = client.post(void, {"reason": "Not mine to void"})
    assert response.status_code == 403  # in their care now: refused as not the author, not hidden
    finish = reverse("encounters:finish", kwargs={"hospital_code": "TH001", "encounter_id": patient})
    assert client.post(finish).status_code == 403
    with hospital_context("TH001"):
        note = ClinicalNote.objects.get(pk=patient)
        assert note.voided_at is None
        assert Encounter.objects.get(pk=patient).status == Encounter.Status.IN_PROGRESS
        # A note they wrote themselves they may void.
        encounter = Encounter.objects.get(pk=patient)
        theirs = ClinicalNoteFactory(encounter=encounter, author_id=other.user.pk, signed=True)
    own = reverse("encounters:note-void", kwargs={"hospital_code": "TH001", "note_id": theirs.pk})
    assert client.post(own, {"reason": "Entered in error"}).status_code == 302
