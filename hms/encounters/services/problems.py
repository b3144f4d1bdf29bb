"""The problem list: the conditions a patient carries from visit to visit, kept apart from the
diagnoses made in each encounter (a diagnosis of one visit is not a problem for life).

A doctor adds a problem from an encounter's diagnosis (its code, code system and edition copied)
or directly, coded in the hospital's system as a diagnosis is; marks it inactive, active again
or resolved (with the date); voids one entered in error. A code is on the list once while not
resolved. The permissions are those of diagnoses: adding is creating one, a status an update.
"""

import datetime

from django.utils import timezone

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.care.access import record_lock
from hms.care.rows import row_save
from hms.care.voiding import Voiding
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.locking import atomic_write
from hms.core.text import control_characters_refuse
from hms.encounters.models import Diagnosis, ProblemListItem
from hms.encounters.selectors import NOT_FOUND
from hms.encounters.services.diagnoses import coded_entry
from hms.encounters.services.shared import encounter_live_check, patient_for_recording, row_lock
from hms.patients.models import Patient
from hms.tenancy.context import current_tenant

Status = ProblemListItem.Status


def problem_add(
    *,
    acting_user: User,
    patient: Patient | int | None = None,
    code: str = "",
    diagnosis: Diagnosis | int | None = None,
    onset_date: datetime.date | None = None,
    client_address: str | None = None,
) -> ProblemListItem:
    """Add an active problem: from `diagnosis` (its code; onset the day of its encounter unless
    given; of `patient`, if named too) or for `patient` with `code` in the hospital's code system.

    Refused when the code is already on the list and not resolved, and for an onset in the future.
    """
    permission_require(user=acting_user, resource=Resource.DIAGNOSIS, action=Action.CREATE)
    control_characters_refuse(code=code)
    if diagnosis is None and patient is None:
        raise ApplicationError(
            "Add a problem from one of the patient's diagnoses, or with a code for a patient."
        )
    today = timezone.localdate()
    if onset_date is not None and onset_date > today:
        raise ApplicationError(
            "The onset cannot be in the future.", details={"onset_date": ["Not after today."]}
        )
    alias = current_tenant().alias
    with atomic_write(
        using=alias, raced="This problem was added to the list by someone else at the same moment."
    ):
        if diagnosis is not None:
            source = row_lock(Diagnosis, diagnosis, acting_user, Resource.DIAGNOSIS, Action.CREATE)
            if source.voided_at is not None:
                raise ApplicationError("This diagnosis was entered in error; add the problem with its code.")
            encounter_live_check(source)
            found = source.patient
            if patient is not None and found.pk != (patient.pk if isinstance(patient, Patient) else patient):
                raise NotFound(NOT_FOUND[Diagnosis])  # another patient's: as a missing one
            problem = ProblemListItem(
                code=source.icd10_code,
                code_system=source.code_system,
                code_system_version=source.code_system_version,
                description=source.description,
                onset_date=onset_date or timezone.localdate(source.encounter.started_at),
                diagnosis=source,
            )
        else:
            assert patient is not None
            errors: dict[str, list[str]] = {}
            entry, codes = coded_entry(code, errors, field="code")
            if entry is None:
                raise ApplicationError(errors["code"][0], details=errors)
            found = patient_for_recording(patient, acting_user, Resource.DIAGNOSIS)
            problem = ProblemListItem(
                code=entry.code,
                code_system=codes.key,
                code_system_version=codes.version,
                description=entry.description,
                onset_date=onset_date,
            )
        twin = _unresolved_twin(found, problem.code)
        if twin is not None:
            raise ApplicationError(
                f"{twin.code} {twin.description} is already on the problem list "
                f"({twin.get_status_display().lower()}).",
                details={"problem_id": twin.pk},
            )
        problem.patient = found
        problem.recorded_by_id = acting_user.pk
        problem.save(using=alias)
        audit_row(
            acting_user,
            "problem.add",
            problem,
            client_address,
            problem_id=problem.pk,
            code=problem.code,
            code_system=problem.code_system,
            diagnosis_id=problem.diagnosis_id,
        )
    return problem


def _unresolved_twin(patient: Patient, code: str, *, other_than: int | None = None) -> ProblemListItem | None:
    twins = ProblemListItem.objects.live().filter(patient=patient, code=code).exclude(status=Status.RESOLVED)
    if other_than is not None:
        twins = twins.exclude(pk=other_than)
    return twins.first()


def problem_status_set(
    *,
    acting_user: User,
    problem: ProblemListItem | int,
    status: str,
    resolved_date: datetime.date | None = None,
    client_address: str | None = None,
) -> ProblemListItem:
    """Mark a problem active, inactive, or resolved on `resolved_date` (today unless given; not in
    the future nor before its onset). Made active again, its resolved date is cleared."""
    if status not in Status.values:
        raise ApplicationError(f"Choose {', '.join(Status.values)}.", details={"status": ["Not a status."]})
    today = timezone.localdate()
    if status != Status.RESOLVED and resolved_date is not None:
        raise ApplicationError(
            "Only a resolved problem has a resolved date.", details={"resolved_date": ["Leave it empty."]}
        )
    when = (resolved_date or today) if status == Status.RESOLVED else None
    if when is not None and when > today:
        raise ApplicationError(
            "A problem cannot be resolved in the future.", details={"resolved_date": ["Not after today."]}
        )
    alias = current_tenant().alias
    with atomic_write(using=alias, raced="This problem was changed by someone else at the same moment."):
        current = record_lock(
            ProblemListItem,
            problem,
            acting_user,
            Resource.DIAGNOSIS,
            Action.UPDATE,
            NOT_FOUND[ProblemListItem],
        )
        if current.voided_at is not None:
            raise ApplicationError("This problem was entered in error; add it again if needed.")
        if current.status == status:
            raise ApplicationError(f"This problem is already {current.get_status_display().lower()}.")
        if when is not None and current.onset_date is not None and when < current.onset_date:
            raise ApplicationError(
                f"It cannot resolve before its onset ({current.onset_date:%d %b %Y}).",
                details={"resolved_date": ["Not before the onset."]},
            )
        if status != Status.RESOLVED:
            twin = _unresolved_twin(current.patient, current.code, other_than=current.pk)
            if twin is not None:
                raise ApplicationError(
                    f"{twin.code} is on the problem list again ({twin.get_status_display().lower()}).",
                    details={"problem_id": twin.pk},
                )
        previous = current.status
        row_save(current, status=status, resolved_date=when)
        audit_row(
            acting_user,
            "problem.status",
            current,
            client_address,
            problem_id=current.pk,
            status=[previous, status],
            resolved_date=when.isoformat() if when is not None else None,
        )
    return current


PROBLEM_VOIDING = Voiding(
    ProblemListItem,
    Resource.DIAGNOSIS,
    missing=NOT_FOUND[ProblemListItem],
    already="This problem is already marked entered in error.",
    audit_action="problem.void",
)


def problem_void(
    *, acting_user: User, problem: ProblemListItem | int, reason: str, client_address: str | None = None
) -> ProblemListItem:
    """Mark a problem entered in error (voided): it leaves the list, and stays in the record."""
    return PROBLEM_VOIDING.void(problem, acting_user, reason, client_address)
