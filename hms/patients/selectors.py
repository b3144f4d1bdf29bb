"""Reads of patient data, scoped to the current hospital and the user's rights, and audited."""

import datetime
import re
from collections.abc import Sequence
from typing import overload

from django.core.paginator import Page, Paginator
from django.db import connections, transaction
from django.db.models import BooleanField, CharField, F, FloatField, Func, Q, QuerySet, Value

from hms.accounts.models import Role, User
from hms.accounts.permissions import Action, Resource, Scope, permission_require, permission_scope
from hms.audit.records import AuditedList, audit_row
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.ids import record_id
from hms.core.pages import PAGE_SIZE, page_of
from hms.patients.models import Patient, PatientIdentifier
from hms.patients.normalise import name_normalise
from hms.tenancy.context import current_tenant

# What lists show of a patient (and the REST API's summary).
SUMMARY_FIELDS = (
    "id",
    "mrn",
    "given_name",
    "family_name",
    "birth_date",
    "birth_date_estimated",
    "sex",
    "deceased_at",
)
PATIENT_LIST = AuditedList("patient.list", Patient)
PATIENT_SEARCH = AuditedList("patient.search", Patient)

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# Longer searches are refused: an MRN has at most 32 characters, an identifier 64.
QUERY_MAX_LENGTH = 200
# Each word adds two index ranges to a name search.
NAME_MAX_WORDS = 6
# PostgreSQL: a name search that finds nobody shows the (at most FUZZY_LIMIT) patients whose
# "given family" name has a pg_trgm word_similarity of at least FUZZY_SIMILARITY to the query.
FUZZY_SIMILARITY = 0.6
FUZZY_LIMIT = 100


def patient_list_visible_to(*, user: User) -> bool:
    """Whoever may view every patient of the hospital (its staff) sees the list; patients do not."""
    return permission_scope(user=user, resource=Resource.PATIENT, action=Action.VIEW) == Scope.ALL


def patient_own_record(*, user: User) -> Patient | None:
    """The record linked to a PATIENT user's account in the current hospital, if any (not audited:
    the caller reads it through patient_detail)."""
    if permission_scope(user=user, resource=Resource.PATIENT, action=Action.VIEW) != Scope.OWN:
        return None
    return Patient.objects.filter(user_id=user.pk).only("id", "mrn").first()


def patient_detail(*, user: User, patient_id: int, client_address: str | None = None) -> Patient:
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
        audit_row(user, "patient.view", patient, client_address)
    return patient


def patient_page(*, user: User, page_number: int | str = 1, client_address: str | None = None) -> Page:
    """One page of the current hospital's patients, in name order; the read is audited.

    A user who may not see the list gets an empty page (and nothing is read or audited).
    """
    if not patient_list_visible_to(user=user):
        return page_of([], 1)
    queryset = Patient.objects.only(*SUMMARY_FIELDS).order_by("family_name", "given_name", "id")
    return PATIENT_LIST.page(queryset, page_number, user, client_address)


def patient_search(
    *, user: User, query: str, page_number: int | str = 1, client_address: str | None = None
) -> Page:
    """One page of the current hospital's patients matching `query`; audited.

    The query is read, in this order, as an ISO birth date (yyyy-mm-dd), an exact MRN or
    identifier value, or else names (accents, case and commas ignored): the starts of the
    given and the family name, in either order ("amina oka", "okafor, amina"), or the
    start of one of them ("mary ann", "van der"). Name matches come in name order. On
    PostgreSQL a name search that finds nobody falls back to names that look alike
    (pg_trgm word similarity, best first; kind "name_fuzzy"). Users who may not see the
    patient list get an empty page, with nothing read or audited.
    """
    query = query.strip()
    if not query:
        raise ApplicationError(
            "Enter an MRN, an identifier, a birth date (yyyy-mm-dd) or the start of a name."
        )
    if len(query) > QUERY_MAX_LENGTH:
        raise ApplicationError(
            f"Search with at most {QUERY_MAX_LENGTH} characters.",
            details={"query": [f"{len(query)} characters given."]},
        )
    if not patient_list_visible_to(user=user):
        return page_of([], 1)
    queryset = Patient.objects.only(*SUMMARY_FIELDS).order_by(
        _SameOrderNoIndex(F("family_name")), "given_name", "id"
    )
    with transaction.atomic(using=current_tenant().alias):
        kind, matches = _search_matches(queryset, query)
        page = matches.get_page(page_number)
        page.object_list = list(page.object_list)
        PATIENT_SEARCH.record(
            page.object_list, user, client_address, query=query, kind=kind, page=page.number
        )
    return page


def _search_matches(queryset: QuerySet[Patient], query: str) -> tuple[str, Paginator]:
    """The kind of search `query` is read as, and its matches (counted once, here or by the caller)."""
    try:
        birth_date = datetime.date.fromisoformat(query) if ISO_DATE.fullmatch(query) else None
    except ValueError:
        birth_date = None
    if birth_date is not None:
        return "birth_date", Paginator(queryset.filter(birth_date=birth_date), PAGE_SIZE)
    # The ids first, from a union of two index lookups: "mrn = q OR id IN (subquery)" made
    # PostgreSQL walk the whole table in name order (40 ms at 100,000 patients).
    exact_ids = list(
        Patient.objects.filter(mrn=query)
        .order_by()
        .values_list("id", flat=True)
        .union(PatientIdentifier.objects.filter(value=query).order_by().values_list("patient_id", flat=True))
    )
    if exact_ids:
        return "mrn_or_identifier", Paginator(queryset.filter(pk__in=exact_ids), PAGE_SIZE)
    words = name_normalise(query.replace(",", " ")).split()
    if not words:
        return "name", Paginator(queryset.none(), PAGE_SIZE)
    if len(words) > NAME_MAX_WORDS:
        raise ApplicationError(
            f"Search for a name with at most {NAME_MAX_WORDS} words.",
            details={"query": [f"{len(words)} words given."]},
        )
    by_name = Paginator(queryset.filter(_name_starts(words)), PAGE_SIZE)
    if by_name.count or connections[queryset.db].vendor != "postgresql":
        return "name", by_name
    ranked = _names_alike(queryset, " ".join(words))
    return "name_fuzzy", Paginator(_PatientsInOrder(queryset, ranked), PAGE_SIZE)


def _starts(field: str, prefix: str) -> Q:
    # A range rather than LIKE/startswith: a plain B-tree index serves it on SQLite and PostgreSQL.
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\uffff"})


def _name_starts(words: list[str]) -> Q:
    """Patients whose names start with `words`: all of them the start of the given or of the family
    name, or the first few the start of one and the rest the start of the other.

    Every alternative holds a prefix range on one indexed name column, so the database reads
    the union of a few index ranges (2 per word), never the whole table.
    """
    phrase = " ".join(words)
    condition = _starts("given_name_norm", phrase) | _starts("family_name_norm", phrase)
    for cut in range(1, len(words)):
        first, rest = " ".join(words[:cut]), " ".join(words[cut:])
        condition |= _starts("given_name_norm", first) & _starts("family_name_norm", rest)
        condition |= _starts("family_name_norm", first) & _starts("given_name_norm", rest)
    return condition


def _names_alike(queryset: QuerySet[Patient], phrase: str) -> list[int]:
    """Ids of the FUZZY_LIMIT patients whose "given family" name is most like `phrase` (PostgreSQL).

    `phrase <% name` is pg_trgm's word-similarity operator, which the GIN trigram index of
    migration 0004 serves (at the server's pg_trgm.word_similarity_threshold, 0.6 by
    default); the explicit word_similarity() test keeps FUZZY_SIMILARITY should a server set
    that threshold lower.
    """
    return list(
        queryset.annotate(similarity=_WordSimilarity(Value(phrase), _FullName()))
        .filter(_WordSimilar(Value(phrase), _FullName()), similarity__gte=FUZZY_SIMILARITY)
        .order_by("-similarity", "family_name", "given_name", "id")
        .values_list("id", flat=True)[:FUZZY_LIMIT]
    )


class _SameOrderNoIndex(Func):
    """A text column with `|| ''`: the same value and collation, so the same order, but no index
    supplies it.

    Ordered by the bare column, PostgreSQL may answer "the first 25 matches in name order" by
    walking the whole (family_name, given_name, id) index and filtering, betting that matches
    are spread evenly along it. Matches of a family-name prefix sit together, so for "Mil" it
    read 58,000 rows (28 ms at 100,000 patients; more the bigger the hospital). Without an
    index in that order it reads the matches from the name indexes and sorts those.
    """

    template = "(%(expressions)s || '')"
    output_field = CharField()


class _FullName(Func):
    """The normalised "given family" name, written exactly as the trigram index of migration 0004
    is (the separator is part of the SQL text, not a parameter), so PostgreSQL matches the two."""

    template = "(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = CharField()

    def __init__(self) -> None:
        super().__init__(F("given_name_norm"), F("family_name_norm"))


class _WordSimilarity(Func):
    """pg_trgm's word_similarity(phrase, name): 0 to 1, how well the phrase matches part of the name."""

    function = "word_similarity"
    output_field = FloatField()


class _WordSimilar(Func):
    """pg_trgm's `phrase <% name` (a doubled % for the driver): true when word_similarity reaches
    the server's threshold; GIN gin_trgm_ops indexes serve it."""

    template = "(%(expressions)s)"
    arg_joiner = " <%% "
    output_field = BooleanField()


class _PatientsInOrder(Sequence[Patient]):
    """Patients given by id, in that order, read a page at a time (a Paginator's object list)."""

    def __init__(self, queryset: QuerySet[Patient], ids: list[int]) -> None:
        self.queryset = queryset
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> Patient: ...

    @overload
    def __getitem__(self, index: slice) -> list[Patient]: ...

    def __getitem__(self, index: int | slice) -> Patient | list[Patient]:
        if isinstance(index, int):
            return self.queryset.get(pk=self.ids[index])
        wanted = self.ids[index]
        if not wanted:
            return []
        found = self.queryset.order_by().in_bulk(wanted)
        return [found[pk] for pk in wanted if pk in found]


def patient_account_find(*, username: str) -> User | None:
    """The active patient account named `username` of the current hospital, or None: an
    account of another hospital, a staff account and a name nobody has all look the same."""
    return (
        User.objects.filter(
            username=username.strip(),
            hospital__code=current_tenant().code,
            role=Role.PATIENT,
            is_active=True,
        )
        .select_related("hospital")
        .first()
    )


def patient_portal_account(*, patient: Patient) -> User | None:
    """The account linked to the patient's record, for the record page (None if unlinked)."""
    if patient.user_id is None:
        return None
    return User.objects.filter(pk=patient.user_id).only("id", "username", "first_name", "last_name").first()
