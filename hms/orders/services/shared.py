"""What every order shares: the encounter rules for adding orders (model validation: hms.core.validation).

Reasons (stop, cancel, correct) follow hms.core.text.reason_clean, as every reason does."""

import datetime

from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.care.access import patient_access, record_pk
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.locking import row_locked
from hms.encounters.models import Encounter

# Orders may still be added to an encounter this long after it finished (late results
# reviewed, discharge prescriptions written after the visit was closed).
ENCOUNTER_GRACE = datetime.timedelta(hours=24)

ENCOUNTER_NOT_FOUND = "No such encounter here."
PRESCRIPTION_NOT_FOUND = "No such prescription here."
ORDER_NOT_FOUND = "No such lab order here."
RESULT_NOT_FOUND = "No such lab result here."


def encounter_ordering_problem(*, encounter: Encounter, now: datetime.datetime) -> str | None:
    """Why orders may not be added to `encounter` now, or None if they may.

    An encounter takes orders while it is in progress and for 24 hours after it finished;
    a voided encounter takes none.
    """
    if encounter.voided_at is not None:
        return "This encounter was voided; orders cannot be added to it."
    if encounter.status == Encounter.Status.IN_PROGRESS:
        return None
    if encounter.status == Encounter.Status.FINISHED and encounter.ended_at is not None:
        if now - encounter.ended_at <= ENCOUNTER_GRACE:
            return None
        return (
            "This encounter finished more than 24 hours ago; "
            "start a new encounter to prescribe or order tests."
        )
    return "This encounter is not in progress; orders cannot be added to it."


def encounter_for_ordering(*, acting_user: User, encounter_id: int, resource: Resource) -> Encounter:
    """The encounter, locked, if `acting_user` may order `resource` for its patient now."""
    permission_require(user=acting_user, resource=resource, action=Action.CREATE)
    number = record_pk(encounter_id, model=Encounter, missing=ENCOUNTER_NOT_FOUND)
    encounter = row_locked(Encounter, NotFound(ENCOUNTER_NOT_FOUND), pk=number)
    try:
        encounter.patient = patient_access(
            user=acting_user, patient_id=encounter.patient_id, resource=resource, action=Action.CREATE
        )
    except NotFound:
        raise NotFound(ENCOUNTER_NOT_FOUND) from None
    problem = encounter_ordering_problem(encounter=encounter, now=timezone.now())
    if problem:
        raise ApplicationError(problem, details={"encounter": [problem]})
    return encounter
