"""The administrator's figure about registrations: new patients per week of the hospital's calendar.

Counts only, no patient is named; the read is audited (who looked, which period).
"""

import datetime

from django.db import transaction
from django.db.models import Count

from hms.accounts.models import Role, User
from hms.accounts.permissions import Action, Resource, Scope, permission_require
from hms.audit.records import audit_row
from hms.core.exceptions import NotAllowed
from hms.core.periods import fold_weeks, last_weeks, per_local_day
from hms.patients.dates import hospital_today, hospital_zone
from hms.patients.models import Patient
from hms.tenancy.context import current_tenant

FIGURES_REFUSED = "The hospital's figures are for its administrator."


def patients_new_per_week(
    *, user: User, weeks: int = 12, client_address: str | None = None
) -> list[tuple[datetime.date, int]]:
    """(Monday, patients registered that week) for the last `weeks` weeks to this one."""
    scope = permission_require(user=user, resource=Resource.PATIENT, action=Action.VIEW)
    if scope != Scope.ALL or user.role != Role.ADMIN:
        raise NotAllowed(FIGURES_REFUSED)
    zone = hospital_zone()
    mondays = last_weeks(today=hospital_today(), count=weeks)
    with transaction.atomic(using=current_tenant().alias):
        counted = per_local_day(
            Patient.objects.all(),
            field="created_at",
            zone=zone,
            first=mondays[0],
            last=mondays[-1] + datetime.timedelta(days=6),
            measures={"registered": Count("id")},
        )
        audit_row(
            user,
            "patient.figures",
            Patient,
            client_address,
            figure="new_per_week",
            first=mondays[0].isoformat(),
            last=mondays[-1].isoformat(),
        )
    totals = fold_weeks(counted, weeks=mondays, measure="registered", zero=0)
    return [(monday, totals[monday]) for monday in mondays]
