"""Reads of prescriptions, lab orders and results: scoped to the user's rights, paginated, audited.

A patient sees their own prescriptions and lab orders, and of the results only the
verified, current ones; staff see the whole history, corrections included.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page
from django.db import transaction
from django.db.models import Case, F, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value, When
from django.utils import timezone

from hms.accounts.models import Role, User
from hms.accounts.permissions import Action, Resource, Scope, permission_require, permission_scope
from hms.audit.records import AuditedList, audit_row
from hms.care.access import patient_access, patient_scope_filter, record_pk
from hms.clinical.profiles import clinical_profile
from hms.core.display import unit_label
from hms.core.exceptions import ApplicationError, NotAllowed, NotFound
from hms.core.pages import page_of
from hms.encounters.models import Encounter
from hms.encounters.selectors import AllergyRecord, allergy_list_active, nka_current
from hms.orders.formulary import drug_names
from hms.orders.lab_catalogue import value_here
from hms.orders.models import FormularyDrug, LabOrder, LabResult, Prescription
from hms.orders.services import ENCOUNTER_NOT_FOUND, ORDER_NOT_FOUND
from hms.patients.models import Patient
from hms.patients.normalise import name_normalise
from hms.tenancy.context import current_tenant

LAB_WORKLIST = AuditedList("lab_order.worklist", LabOrder, ids="order_ids")
PANEL_VIEW = AuditedList("lab_order.view", LabOrder, ids="order_ids")  # the orders of one panel
PRESCRIPTION_LIST = AuditedList("prescription.list", Prescription)  # a patient's
LAB_ORDER_LIST = AuditedList("lab_order.list", LabOrder, ids="order_ids")  # a patient's

CRITICAL_FLAGS = (LabResult.Flag.CRITICAL_LOW, LabResult.Flag.CRITICAL_HIGH)
ABNORMAL_FLAGS = (LabResult.Flag.LOW, LabResult.Flag.HIGH, LabResult.Flag.ABNORMAL)
WORKLIST_STAGES = {
    "collect": LabOrder.Status.ORDERED,
    "result": LabOrder.Status.COLLECTED,
    "verify": LabOrder.Status.RESULTED,
}


@dataclass(frozen=True)
class PatientRecords:
    """One page of a patient's records, with the patient they belong to."""

    patient: Patient
    page: Page


def _user_names(ids: set[int | None]) -> dict[int, str]:
    """Names of shared users by id, in one query to the shared database."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = User.objects.filter(pk__in=wanted).values_list("pk", "username", "first_name", "last_name")
    return {pk: f"{first} {last}".strip() or username for pk, username, first, last in rows}


def _name_orders(orders: list[LabOrder]) -> None:
    results = [r for o in orders for r in o.visible_results]
    ids: set[int | None] = {o.ordered_by_id for o in orders}
    ids |= {r.entered_by_id for r in results} | {r.verified_by_id for r in results}
    names = _user_names(ids)
    for order in orders:
        order.ordered_by_name = names.get(order.ordered_by_id, "")
    lab_units_for = clinical_profile().lab_units_for
    for result in results:
        result.entered_by_name = names.get(result.entered_by_id, "")
        result.verified_by_name = names.get(result.verified_by_id, "") if result.verified_by_id else ""
        value = result.value_numeric
        here = value_here(value, result.loinc_code, lab_units_for) if value is not None else None
        shown = here is not None and here[1] != result.unit
        result.value_here = f"{here[0].normalize():f} {unit_label(here[1])}" if here and shown else ""


def _sees_history(user: User) -> bool:
    """Staff see voided rows on request and every result; a patient sees neither."""
    return user.role != Role.PATIENT


def _results_visible(user: User) -> QuerySet[LabResult] | None:
    """The results `user` may see of orders they may see, or None if none at all."""
    scope = permission_scope(user=user, resource=Resource.LAB_RESULT, action=Action.VIEW)
    if scope is None:
        return None
    results = LabResult.objects.order_by(F("superseded_at").asc(nulls_first=True), "-entered_at", "-id")
    if scope == Scope.OWN:
        results = results.filter(verified_at__isnull=False, superseded_at__isnull=True)
    return results


def _with_results(orders: QuerySet[LabOrder], user: User) -> QuerySet[LabOrder]:
    results = _results_visible(user)
    if results is None:
        results = LabResult.objects.none()
    # LabOrder declares `visible_results` for its readers; the plugin takes that for a clash.
    return orders.prefetch_related(
        Prefetch("results", queryset=results, to_attr="visible_results")  # type: ignore[no-redef]
    )


def _prescriptions_shown(
    prescriptions: QuerySet[Any], user: User, page_number: int | str
) -> tuple[Page, dict[str, Any]]:
    """Those still running first, then the rest, newest first; each with `shown_status` (a course
    whose last day has passed shows as completed) and the names of who prescribed and stopped it."""
    now = timezone.now()
    ordered = prescriptions.annotate(
        running=Case(
            When(status=Prescription.Status.ACTIVE, ends_at__gt=now, voided_at__isnull=True, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("running", "-starts_at", "-id")
    page = page_of(ordered, page_number)
    names = _user_names(
        {p.prescriber_id for p in page.object_list} | {p.stopped_by_id for p in page.object_list}
    )
    for prescription in page.object_list:
        prescription.shown_status = prescription.current_status(now)
        prescription.prescriber_name = names.get(prescription.prescriber_id, "")
        prescription.stopped_by_name = (
            names.get(prescription.stopped_by_id, "") if prescription.stopped_by_id else ""
        )
    return page, {}


def _lab_orders_shown(
    orders: QuerySet[Any], user: User, page_number: int | str
) -> tuple[Page, dict[str, Any]]:
    """Newest first, each with `visible_results` (current result first): a patient sees only
    verified, current results of their own orders. The audit row names the results shown."""
    page = page_of(_with_results(orders.order_by("-ordered_at", "id"), user), page_number)
    listed = list(page.object_list)
    _name_orders(listed)
    return page, {"result_ids": [r.pk for o in listed for r in o.visible_results]}


@dataclass(frozen=True)
class PatientRecordList:
    """A selector of one patient's records of one kind, a page at a time.

    Called with the user, the patient and the page: the patient, if `user` may see their
    `resource` records, and a page of their rows of `model` (the entered-in-error ones too only
    when asked for by someone who sees a record's history), which `shown` orders, pages and
    names; the read is audited by `listing`, with what `shown` adds.
    """

    model: type[Prescription] | type[LabOrder]
    resource: Resource
    listing: AuditedList
    shown: Callable[[QuerySet[Any], User, int | str], tuple[Page, dict[str, Any]]]

    def __call__(
        self,
        *,
        user: User,
        patient_id: int,
        page_number: int | str = 1,
        include_voided: bool = False,
        client_address: str | None = None,
    ) -> PatientRecords:
        with transaction.atomic(using=current_tenant().alias):
            patient = patient_access(
                user=user, patient_id=patient_id, resource=self.resource, action=Action.VIEW
            )
            rows = self.model.objects.filter(patient=patient)
            if not (include_voided and _sees_history(user)):
                rows = rows.live()
            page, detail = self.shown(rows, user, page_number)
            self.listing.record(
                list(page.object_list), user, client_address, about=patient, page=page.number, **detail
            )
        return PatientRecords(patient=patient, page=page)


# The pages and the API call these as any selector: prescriptions_for_patient(user=..., patient_id=...).
prescriptions_for_patient = PatientRecordList(
    Prescription, Resource.PRESCRIPTION, PRESCRIPTION_LIST, _prescriptions_shown
)
lab_orders_for_patient = PatientRecordList(LabOrder, Resource.LAB_ORDER, LAB_ORDER_LIST, _lab_orders_shown)


def lab_order_detail(*, user: User, order_id: int, client_address: str | None = None) -> LabOrder:
    """One lab order with its patient and `visible_results` (corrections included for staff)."""
    number = record_pk(order_id, model=LabOrder, missing=ORDER_NOT_FOUND)
    with transaction.atomic(using=current_tenant().alias):
        scope = patient_scope_filter(user=user, resource=Resource.LAB_ORDER, action=Action.VIEW)
        orders = LabOrder.objects.filter(scope, pk=number).select_related("patient", "encounter")
        if not _sees_history(user):
            orders = orders.live()
        order = _with_results(orders, user).first()
        if order is None:
            raise NotFound(ORDER_NOT_FOUND)
        _name_orders([order])
        audit_row(
            user,
            "lab_order.view",
            order,
            client_address,
            resource="LabOrder",
            order_id=order.pk,
            result_ids=[r.pk for r in order.visible_results],
        )
    return order


def lab_worklist(
    *, user: User, stage: str = "", page_number: int | str = 1, client_address: str | None = None
) -> Page:
    """Lab orders still to be collected, resulted or verified, for nurses and doctors.

    Results awaiting verification come first, critical before abnormal; then STAT, urgent
    and routine orders, oldest first. `stage` narrows to "collect", "result" or "verify".
    A doctor sees the orders of patients in their care; a nurse every patient's.
    """
    try:
        permission_require(user=user, resource=Resource.LAB_RESULT, action=Action.CREATE)
    except NotAllowed:
        raise NotAllowed("The lab worklist is for nurses and doctors.") from None
    stage = (stage or "").strip()
    if stage and stage not in WORKLIST_STAGES:
        raise ApplicationError(
            "Unknown worklist stage; choose collect, result or verify.",
            details={"stage": [f"Choose one of: {', '.join(WORKLIST_STAGES)}."]},
        )
    statuses = [WORKLIST_STAGES[stage]] if stage else list(WORKLIST_STAGES.values())
    current_flag = LabResult.objects.filter(order=OuterRef("pk"), superseded_at__isnull=True).values("flag")[
        :1
    ]
    scope = patient_scope_filter(user=user, resource=Resource.LAB_ORDER, action=Action.VIEW)
    orders = (
        LabOrder.objects.live()
        .filter(scope, status__in=statuses)
        .select_related("patient")
        .annotate(current_flag=Subquery(current_flag))
        .annotate(
            urgency=Case(
                When(status=LabOrder.Status.RESULTED, current_flag__in=CRITICAL_FLAGS, then=Value(0)),
                When(status=LabOrder.Status.RESULTED, current_flag__in=ABNORMAL_FLAGS, then=Value(1)),
                When(status=LabOrder.Status.RESULTED, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            ),
            priority_rank=Case(
                When(priority=LabOrder.Priority.STAT, then=Value(0)),
                When(priority=LabOrder.Priority.URGENT, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
        )
        .order_by("urgency", "priority_rank", "ordered_at", "id")
        .prefetch_related(
            Prefetch(
                "results",
                queryset=LabResult.objects.filter(superseded_at__isnull=True),
                to_attr="current_results",
            )
        )
    )
    return LAB_WORKLIST.page(orders, page_number, user, client_address, stage=stage)


def order_allergies(*, encounter: Encounter) -> AllergyRecord:
    """The active allergies of an order form's patient and their "no known allergies", for its
    allergy banner; call after order_encounter_get, which checked the user's right to order for
    the patient."""
    patient_id = encounter.patient_id
    return AllergyRecord(allergy_list_active(patient_id=patient_id), nka_current(patient_id=patient_id))


def order_encounter_get(
    *, user: User, encounter_id: int, resource: Resource, client_address: str | None = None
) -> Encounter:
    """The encounter (with its patient) a prescribing or lab order form is for, if `user` may order there."""
    if resource not in (Resource.PRESCRIPTION, Resource.LAB_ORDER):
        raise ValueError(f"Orders are prescriptions or lab orders, not {resource}.")
    permission_require(user=user, resource=resource, action=Action.CREATE)
    number = record_pk(encounter_id, model=Encounter, missing=ENCOUNTER_NOT_FOUND)
    with transaction.atomic(using=current_tenant().alias):
        encounter = Encounter.objects.select_related("patient").filter(pk=number).first()
        if encounter is None:
            raise NotFound(ENCOUNTER_NOT_FOUND)
        try:
            patient_access(
                user=user, patient_id=encounter.patient_id, resource=resource, action=Action.CREATE
            )
        except NotFound:
            raise NotFound(ENCOUNTER_NOT_FOUND) from None
        audit_row(
            user,
            f"{resource}.form",
            encounter,
            client_address,
            encounter_id=encounter.pk,
        )
    return encounter


FORMULARY_SEARCH_LIMIT = 12


def formulary_search(*, user: User, query: str, limit: int = FORMULARY_SEARCH_LIMIT) -> list[FormularyDrug]:
    """Active formulary drugs whose name, other names or class contain every word of `query`, names
    starting with it first; for the prescribing form (whoever may prescribe). Not audited: the
    formulary is the hospital's list of medicines, not patient data."""
    permission_require(user=user, resource=Resource.PRESCRIPTION, action=Action.CREATE)
    words = name_normalise(query or "").split()
    if not words:
        return []
    found = []
    for drug in FormularyDrug.objects.filter(is_active=True):
        names = drug_names(drug)
        text = " ".join([*names, name_normalise(drug.drug_class)])
        if all(word in text for word in words):
            starts = any(name.startswith(words[0]) for name in names)
            found.append((not starts, drug.name.casefold(), drug))
    return [drug for *_, drug in sorted(found, key=lambda row: row[:2])][:limit]


def lab_panel_orders(*, user: User, order_id: int, client_address: str | None = None) -> list[LabOrder]:
    """The live orders of the panel request `order_id` belongs to (itself alone if it is no panel's),
    for the panel's one form: whoever may enter results for the patient; audited as one read."""
    permission_require(user=user, resource=Resource.LAB_RESULT, action=Action.CREATE)
    number = record_pk(order_id, model=LabOrder, missing=ORDER_NOT_FOUND)
    with transaction.atomic(using=current_tenant().alias):
        scope = patient_scope_filter(user=user, resource=Resource.LAB_RESULT, action=Action.CREATE)
        first = LabOrder.objects.live().filter(scope, pk=number).select_related("patient").first()
        if first is None:
            raise NotFound(ORDER_NOT_FOUND)
        orders = [first]
        if first.panel_code:
            orders = list(
                LabOrder.objects.live()
                .filter(
                    encounter_id=first.encounter_id, panel_code=first.panel_code, ordered_at=first.ordered_at
                )
                .select_related("patient")
                .order_by("id")
            )
        PANEL_VIEW.record(orders, user, client_address, about=first)
    return orders
