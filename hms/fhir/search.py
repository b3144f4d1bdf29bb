"""Reading FHIR search parameters into database filters: tokens, dates, references, strings,
`_count` and the opaque page cursor. Anything not understood is a 400, never ignored."""

import datetime
import re
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils import timezone

from hms.core.ids import record_id
from hms.fhir.http import bad_request

DEFAULT_COUNT = 25
MAX_COUNT = 100
PAGE_SALT = "hms.fhir.page"
# Parameters every search takes besides its own.
RESULT_PARAMETERS = frozenset({"_count", "_include", "_format", "_page_token"})

DATE = re.compile(
    r"(?P<prefix>eq|ne|gt|lt|ge|le|sa|eb|ap)?(?P<value>\d{4}(-\d{2}(-\d{2}(T.+)?)?)?)", re.ASCII
)
SUPPORTED_PREFIXES = ("eq", "gt", "lt", "ge", "le")


@dataclass(frozen=True)
class Token:
    system: str | None  # None: any system; "": no system
    code: str


def values_of(text: str) -> list[str]:
    """One parameter's comma-separated alternatives (`\\,` is a comma inside a value)."""
    parts = [part.replace("\\,", ",") for part in re.split(r"(?<!\\),", text)]
    if any(not part for part in parts):
        raise bad_request("A search value is empty.")
    return parts


def token(text: str) -> Token:
    if "|" in text:
        system, _, code = text.partition("|")
        return Token(system, code)
    return Token(None, text)


def tokens_filter(text: str, match: Callable[[Token], Q]) -> Q:
    condition = Q(pk__in=[])
    for value in values_of(text):
        condition |= match(token(value))
    return condition


def subqueries_first(condition: Q) -> Q:
    """`condition` with every `field__in=<sub-select>` that is one alternative of an OR replaced by
    the values the sub-select finds, read first.

    PostgreSQL cannot serve `mrn = 'x' OR id IN (SELECT patient_id ... WHERE value = 'x')` from
    two indexes: it tests every row against the sub-select. For Patient?identifier= at 100,000
    patients it counted with a sequential scan and found the page by walking the whole
    name-order index (99,999 rows filtered out, 250 ms; bench/fhir_search.py). With the ids
    written out, `mrn = 'x' OR id IN (7)` is two index lookups. The sub-selects of search
    parameters are exact-value lookups that find a few rows.
    """
    combined = Q()
    combined.connector, combined.negated = condition.connector, condition.negated
    alternatives = condition.connector == Q.OR and len(condition.children) > 1
    for child in condition.children:
        if isinstance(child, Q):
            child = subqueries_first(child)
        elif alternatives and isinstance(child, tuple) and isinstance(child[1], QuerySet):
            lookup, rows = child
            field = rows.query.values_select[0] if rows.query.values_select else "pk"
            child = (lookup, list(rows.values_list(field, flat=True)))
        combined.children.append(child)
    return combined


def reference_id(text: str, resource_type: str) -> int | None:
    """The id of `Patient/7`, `7` or `https://.../Patient/7`; None for what names no row of ours.

    A reference to another resource type is a 400.
    """
    if "/" in text:
        kind, _, ident = text.rstrip("/").rpartition("/")
        kind = kind.rpartition("/")[2]
        if kind != resource_type:
            raise bad_request(f"{text!r} is not a reference to a {resource_type}.")
        text = ident
    return record_id(text)


def references_filter(text: str, resource_type: str, field: str) -> Q:
    ids = [reference_id(value, resource_type) for value in values_of(text)]
    return Q(**{f"{field}__in": [pk for pk in ids if pk is not None]})


def _bounds(text: str, zone: zoneinfo.ZoneInfo) -> tuple[datetime.datetime, datetime.datetime]:
    """The instants [start, end) a FHIR date or dateTime of any precision covers."""
    try:
        if len(text) == 4:
            start = datetime.datetime(int(text), 1, 1, tzinfo=zone)
            return start, start.replace(year=start.year + 1)
        if len(text) == 7:
            start = datetime.datetime(int(text[:4]), int(text[5:7]), 1, tzinfo=zone)
            following = (start + datetime.timedelta(days=32)).replace(day=1)
            return start, following
        if len(text) == 10:
            day = datetime.date.fromisoformat(text)
            start = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
            return start, datetime.datetime.combine(
                day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone
            )
        instant = datetime.datetime.fromisoformat(text)
    except ValueError as exc:
        raise bad_request(f"{text!r} is not a FHIR date or dateTime.") from exc
    if timezone.is_naive(instant):
        instant = instant.replace(tzinfo=zone)
    step = datetime.timedelta(microseconds=1) if instant.microsecond else datetime.timedelta(seconds=1)
    return instant, instant + step


def date_filter(text: str, field: str, *, zone: zoneinfo.ZoneInfo, is_date: bool = False) -> Q:
    """`field` compared with one date parameter (`ge2026-01-01`, `2026-12`, `lt2026-12-05T10:00Z`)."""
    condition = Q(pk__in=[])
    for value in values_of(text):
        match = DATE.fullmatch(value)
        if match is None:
            raise bad_request(f"{value!r} is not a FHIR date search value.")
        prefix = match.group("prefix") or "eq"
        if prefix not in SUPPORTED_PREFIXES:
            raise bad_request(
                f"The date prefix {prefix!r} is not supported; use {', '.join(SUPPORTED_PREFIXES)}."
            )
        start, end = _bounds(match.group("value"), zone)
        low: datetime.date | datetime.datetime = start
        high: datetime.date | datetime.datetime = end
        if is_date:
            low, high = (
                start.date(),
                (end - datetime.timedelta(microseconds=1)).date() + datetime.timedelta(days=1),
            )
        condition |= {
            "eq": Q(**{f"{field}__gte": low, f"{field}__lt": high}),
            "ge": Q(**{f"{field}__gte": low}),
            "gt": Q(**{f"{field}__gte": high}),
            "le": Q(**{f"{field}__lt": high}),
            "lt": Q(**{f"{field}__lt": low}),
        }[prefix]
    return condition


def count_of(text: str | None) -> int:
    if text is None:
        return DEFAULT_COUNT
    number = int(text) if text.isascii() and text.isdigit() and len(text) < 6 else None
    if number is None:
        raise bad_request(f"_count must be a whole number from 0 to {MAX_COUNT}.")
    return min(number, MAX_COUNT)


def page_token(offset: int) -> str:
    return signing.dumps(offset, salt=PAGE_SALT, compress=False)


def offset_of(text: str | None) -> int:
    if text is None:
        return 0
    try:
        offset = signing.loads(text, salt=PAGE_SALT)
    except signing.BadSignature as exc:
        raise bad_request("_page_token is not one this server gave out.") from exc
    if not isinstance(offset, int) or offset < 0:
        raise bad_request("_page_token is not one this server gave out.")
    return offset


def unknown_parameters(names: Iterable[str], known: Iterable[str]) -> list[str]:
    allowed = set(known) | RESULT_PARAMETERS
    return sorted(name for name in names if name not in allowed)
