"""The administrator's figure about money: payments received per local day, in the hospital's currency.

Voided payments are left out, as in the day's takings; payments on invoices in another
currency (the hospital changed its currency) are left out of the chart and counted apart,
so no sum ever mixes currencies. The read is audited (who looked, which period).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Aggregate, Count, Q, QuerySet, Sum
from django.utils import timezone

from hms.accounts.models import Role, User
from hms.accounts.permissions import Action, Resource, Scope, permission_require
from hms.audit.records import audit_row
from hms.billing.common import hospital_time_zone
from hms.billing.models import ZERO, Payment
from hms.billing.services.settings import billing_settings_get
from hms.core.exceptions import NotAllowed
from hms.core.periods import last_days, per_local_day
from hms.tenancy.context import current_tenant

FIGURES_REFUSED = "The hospital's figures are for its administrator."


@dataclass(frozen=True)
class Revenue:
    currency: str
    days: list[tuple[datetime.date, Decimal]]
    other_currency_payments: int  # in the period, left out of `days`


def revenue_per_day(*, user: User, days: int = 30, client_address: str | None = None) -> Revenue:
    """Live payments received on each of the last `days` local days to today, in the hospital's currency."""
    scope = permission_require(user=user, resource=Resource.PAYMENT, action=Action.VIEW)
    if scope != Scope.ALL or user.role != Role.ADMIN:
        raise NotAllowed(FIGURES_REFUSED)
    zone = hospital_time_zone()
    buckets = last_days(today=timezone.now().astimezone(zone).date(), count=days)
    currency = billing_settings_get().currency
    live = Payment.objects.live()
    in_currency = Q(invoice__currency=currency)

    def received(rows: QuerySet[Payment], /, **measures: Aggregate) -> dict[datetime.date, dict[str, Any]]:
        return per_local_day(
            rows, field="received_at", zone=zone, first=buckets[0], last=buckets[-1], measures=measures
        )

    with transaction.atomic(using=current_tenant().alias):
        counted = received(live.filter(in_currency), amount=Sum("amount"))
        others = received(live.exclude(in_currency), payments=Count("id"))
        audit_row(
            user,
            "payment.figures",
            Payment,
            client_address,
            figure="revenue_per_day",
            currency=currency,
            first=buckets[0].isoformat(),
            last=buckets[-1].isoformat(),
        )
    return Revenue(
        currency=currency,
        days=[(day, counted.get(day, {}).get("amount") or ZERO) for day in buckets],
        other_currency_payments=sum(row["payments"] for row in others.values()),
    )
