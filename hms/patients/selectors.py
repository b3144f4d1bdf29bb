"""Reads of patient data, scoped to the current hospital and the user's rights, and audited."""

import datetime
import re

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Q, QuerySet

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, Scope, permission_require, permission_scope
from hms.audit.services import audit_record
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.ids import record_id
from hms.patients.models import Patient, PatientIdentifier
from hms.patients.normalise import name_normalise
from hms.tenancy.context import current_tenant

PAGE_SIZE = 25
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def patient_list_visible_to(*, user: User) -> bool:
    """Whoever may view every patient of the hospital (its staff) sees the list; patients do not."""
    return permission_scope(user=user, resource=Resource.PATIENT, action=Action.VIEW) == Scope.ALL


def patient_own_record(*, user: User) -> Patient | None:
    """The record linked to a PATIENT user's account in the current hospital, if any (not audited:
    the caller reads it through patient_detail)."""
    if permission_scope(user=user, resource=Resource.PATIENT, action=Action.VIEW) != Scope.OWN:
        return None
    return Patient.objects.filter(user_id=user.pk).only("id", "mrn").first()


def patient_detail(*, user: User, patient_id: object, client_address: str | None = None) -> Patient:
    """One patient with identifiers and next of kin; audited.

    Staff see any patient of the hospital, a patient only their own record; anything
    else (and a patient who does not exist) is NotFound.
    """
    scope = permission_require(user=user, resource=Resource.PATIENT, action=Action.VIEW)
    wanted = record_id(patient_id)
    if wanted is None:
        raise NotFound("No such patient here.")
    queryset = Patient.objects.prefetch_related("identifiers", "next_of_kin")
    if scope == Scope.OWN:
        queryset = queryset.filter(user_id=user.pk)
    with transaction.atomic(using=current_tenant().alias):
        patient = queryset.filter(pk=wanted).first()
        if patient is None:
            raise NotFound("No such patient here.")
        audit_record(
            acting_user=user,
            action="patient.view",
            resource="Patient",
            patient_id=patient.pk,
            client_address=client_address,
        )
    return patient


def patient_page(*, user: User, page_number: object = 1, client_address: str | None = None) -> Page:
    """One page of the current hospital's patients, in name order; the read is audited.

    A user who may not see the list gets an empty page (and nothing is read or audited).
    """
    if not patient_list_visible_to(user=user):
        return Paginator([], PAGE_SIZE).get_page(1)
    queryset = Patient.objects.only("id", "mrn", "given_name", "family_name", "birth_date", "sex").order_by(
        "family_name", "given_name", "id"
    )
    with transaction.atomic(using=current_tenant().alias):
        page = Paginator(queryset, PAGE_SIZE).get_page(page_number)
        page.object_list = list(page.object_list)
        audit_record(
            acting_user=user,
            action="patient.list",
            resource="Patient",
            client_address=client_address,
            detail={"page": page.number, "patient_ids": [p.pk for p in page.object_list]},
        )
    return page


def patient_search(
    *, user: User, query: str, page_number: object = 1, client_address: str | None = None
) -> Page:
    """One page of the current hospital's patients matching `query`, in name order; audited.

    The query is read, in this order, as an ISO birth date (yyyy-mm-dd), an exact MRN or
    identifier value, or else the start of a family or given name (accents and case
    ignored). Users who may not see the patient list get an empty page, with nothing
    read or audited.
    """
    query = query.strip()
    if not query:
        raise ApplicationError(
            "Enter an MRN, an identifier, a birth date (yyyy-mm-dd) or the start of a name."
        )
    if not patient_list_visible_to(user=user):
        return Paginator([], PAGE_SIZE).get_page(1)
    queryset = Patient.objects.only("id", "mrn", "given_name", "family_name", "birth_date", "sex").order_by(
        "family_name", "given_name", "id"
    )
    with transaction.atomic(using=current_tenant().alias):
        kind, matches = _search_matches(queryset, query)
        page = Paginator(matches, PAGE_SIZE).get_page(page_number)
        page.object_list = list(page.object_list)
        audit_record(
            acting_user=user,
            action="patient.search",
            resource="Patient",
            client_address=client_address,
            detail={
                "query": query,
                "kind": kind,
                "page": page.number,
                "patient_ids": [p.pk for p in page.object_list],
            },
        )
    return page


def _search_matches(queryset: QuerySet[Patient], query: str) -> tuple[str, QuerySet[Patient]]:
    try:
        birth_date = datetime.date.fromisoformat(query) if ISO_DATE.fullmatch(query) else None
    except ValueError:
        birth_date = None
    if birth_date is not None:
        return "birth_date", queryset.filter(birth_date=birth_date)
    exact = queryset.filter(
        Q(mrn=query) | Q(pk__in=PatientIdentifier.objects.filter(value=query).values("patient_id"))
    )
    if exact.exists():
        return "mrn_or_identifier", exact
    prefix = name_normalise(query)
    # A range rather than LIKE/startswith: a plain B-tree index serves it on SQLite and PostgreSQL.
    end = prefix + "\uffff"
    return "name", queryset.filter(
        Q(family_name_norm__gte=prefix, family_name_norm__lt=end)
        | Q(given_name_norm__gte=prefix, given_name_norm__lt=end)
    )
