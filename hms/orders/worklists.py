"""Reads for start pages: a doctor's results to verify (critical first), the lab worklist's
counts for the nurse, and a patient's verified results and current prescriptions for the
portal.

Scoped (hms.care.access) and audited once per list read, as hms.orders.selectors are; a
new module so that the start pages do not edit the orders selectors others are changing.
"""

from django.core.paginator import Page
from django.db import transaction
from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Subquery, Value, When
from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import AuditedList
from hms.care.access import patient_access, patient_scope_filter
from hms.core.pages import page_of
from hms.orders.models import LabOrder, LabResult, Prescription
from hms.orders.selectors import ABNORMAL_FLAGS, CRITICAL_FLAGS, WORKLIST_STAGES
from hms.tenancy.context import current_tenant

VERIFIED_RESULTS = AuditedList("lab_result.verified_list", LabResult, ids="result_ids", resource="LabOrder")
CURRENT_PRESCRIPTIONS = AuditedList("prescription.current_list", Prescription)
RESULTS_TO_VERIFY = AuditedList("lab_result.to_verify_list", LabOrder, ids="order_ids")


def lab_results_to_verify(
    *, user: User, page_number: int | str | None = 1, client_address: str | None = None
) -> Page:
    """One page of `user`'s own lab orders whose current result awaits their verification:
    critically abnormal first, then abnormal, then the rest, oldest first. Each order carries
    `current_results` (its one current result) and its patient. Audited."""
    permission_require(user=user, resource=Resource.LAB_RESULT, action=Action.VERIFY)
    scope = patient_scope_filter(user=user, resource=Resource.LAB_RESULT, action=Action.VERIFY)
    current = LabResult.objects.filter(order=OuterRef("pk"), superseded_at__isnull=True)
    queryset = (
        LabOrder.objects.live()
        .filter(scope, ordered_by_id=user.pk, status=LabOrder.Status.RESULTED)
        .annotate(current_flag=Subquery(current.values("flag")[:1]))
        .annotate(
            urgency=Case(
                When(current_flag__in=CRITICAL_FLAGS, then=Value(0)),
                When(current_flag__in=ABNORMAL_FLAGS, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .select_related("patient")
        .prefetch_related(
            Prefetch(
                "results",
                queryset=LabResult.objects.filter(superseded_at__isnull=True),
                to_attr="current_results",
            )
        )
        .order_by("urgency", "ordered_at", "id")
    )
    with transaction.atomic(using=current_tenant().alias):
        page = page_of(queryset, page_number)
        orders = list(page.object_list)
        RESULTS_TO_VERIFY.record(
            orders,
            user,
            client_address,
            page=page.number,
            result_ids=[r.pk for o in orders for r in o.current_results],
        )
    return page


def lab_worklist_counts(*, user: User) -> dict[str, int]:
    """How many live lab orders of the user's patients wait at each worklist stage ("collect",
    "result", "verify"), in one query. Counts name no patient: not audited (the worklist is)."""
    permission_require(user=user, resource=Resource.LAB_RESULT, action=Action.CREATE)
    scope = patient_scope_filter(user=user, resource=Resource.LAB_ORDER, action=Action.VIEW)
    rows = (
        LabOrder.objects.live()
        .filter(scope, status__in=WORKLIST_STAGES.values())
        .order_by()
        .values("status")
        .annotate(orders=Count("id"))
    )
    by_status = {row["status"]: row["orders"] for row in rows}
    return {stage: by_status.get(status, 0) for stage, status in WORKLIST_STAGES.items()}


def lab_results_verified_for_patient(
    *, user: User, patient_id: int, page_number: int | str | None = 1, client_address: str | None = None
) -> Page:
    """One page of the patient's verified, current results of live orders, latest verified
    first, each with its order; a patient reaches only their own. Audited."""
    patient = patient_access(
        user=user, patient_id=patient_id, resource=Resource.LAB_RESULT, action=Action.VIEW
    )
    queryset = (
        LabResult.objects.filter(
            order__patient=patient,
            order__voided_at__isnull=True,
            verified_at__isnull=False,
            superseded_at__isnull=True,
        )
        .select_related("order")
        .order_by("-verified_at", "-id")
    )
    return VERIFIED_RESULTS.page(queryset, page_number, user, client_address, about=patient)


def prescriptions_current_for_patient(
    *, user: User, patient_id: int, page_number: int | str | None = 1, client_address: str | None = None
) -> Page:
    """One page of the patient's prescriptions still running now (active, not voided, course
    not over), newest first; a patient reaches only their own. Audited."""
    patient = patient_access(
        user=user, patient_id=patient_id, resource=Resource.PRESCRIPTION, action=Action.VIEW
    )
    queryset = (
        Prescription.objects.live()
        .filter(patient=patient, status=Prescription.Status.ACTIVE, ends_at__gt=timezone.now())
        .order_by("-starts_at", "-id")
    )
    return CURRENT_PRESCRIPTIONS.page(queryset, page_number, user, client_address, about=patient)
