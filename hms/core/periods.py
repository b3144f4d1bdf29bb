"""Counting rows by the hospital's local days and weeks, for the administrator's charts.

A bucket is a local calendar day (or a week from Monday), never a UTC one: a payment at
23:30 in Dhaka counts on Dhaka's day. The database groups by local day (TruncDate with
the zone), so a chart costs one query whatever the number of rows; weeks are folded from
days here. Every bucket of the period is returned, empty ones as zero, so a chart and its
CSV show the same buckets.
"""

import datetime
import zoneinfo
from typing import Any, TypeVar

from django.db.models import Aggregate, QuerySet
from django.db.models.functions import TruncDate

Value = TypeVar("Value")


def local_midnight(day: datetime.date, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    """The UTC instant the hospital's local `day` begins."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone).astimezone(datetime.UTC)


def last_days(*, today: datetime.date, count: int) -> list[datetime.date]:
    """`count` local days ending with `today`, oldest first."""
    return [today - datetime.timedelta(days=offset) for offset in range(count - 1, -1, -1)]


def last_weeks(*, today: datetime.date, count: int) -> list[datetime.date]:
    """The Mondays of `count` weeks ending with the week of `today`, oldest first."""
    monday = today - datetime.timedelta(days=today.weekday())
    return [monday - datetime.timedelta(weeks=offset) for offset in range(count - 1, -1, -1)]


def per_local_day(
    queryset: QuerySet[Any],
    *,
    field: str,
    zone: zoneinfo.ZoneInfo,
    first: datetime.date,
    last: datetime.date,
    measures: dict[str, Aggregate],
) -> dict[datetime.date, dict[str, Any]]:
    """`measures` (name -> aggregate) of the rows whose `field` falls on each local day from
    `first` to `last` (inclusive), in one query; days with no rows are left out."""
    rows = (
        queryset.filter(
            **{
                f"{field}__gte": local_midnight(first, zone),
                f"{field}__lt": local_midnight(last + datetime.timedelta(days=1), zone),
            }
        )
        .annotate(local_day=TruncDate(field, tzinfo=zone))
        .order_by()
        .values("local_day")
        .annotate(**measures)
    )
    return {row.pop("local_day"): row for row in rows}


def fold_weeks(
    days: dict[datetime.date, dict[str, Any]], *, weeks: list[datetime.date], measure: str, zero: Value
) -> dict[datetime.date, Value]:
    """Each week's (from its Monday) total of one measure of `days`."""
    totals: dict[datetime.date, Any] = dict.fromkeys(weeks, zero)
    for day, measures in days.items():
        monday = day - datetime.timedelta(days=day.weekday())
        if monday in totals:
            totals[monday] += measures[measure] or zero
    return totals
