"""Changes to registry rows other than provisioning (which is the tenancy engine's)."""

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from hms.core.exceptions import ApplicationError
from hms.hospitals.models import Hospital

_ALLOWED: dict[str, frozenset[str]] = {
    Hospital.Status.ACTIVE: frozenset({Hospital.Status.SUSPENDED, Hospital.Status.ARCHIVED}),
    Hospital.Status.SUSPENDED: frozenset({Hospital.Status.ACTIVE, Hospital.Status.ARCHIVED}),
}


def hospital_set_status(*, hospital: Hospital, status: str) -> Hospital:
    """Suspend, reactivate or archive a hospital whose database is complete.

    Archiving is final: an ARCHIVED hospital's users may still read its records (the
    middleware refuses every write) until the operator removes its database.
    """
    if status == hospital.status:
        return hospital
    if status not in _ALLOWED.get(hospital.status, frozenset()):
        raise ApplicationError(
            f"A {hospital.status} hospital cannot become {status}."
            + (
                " Finish provisioning with create_hospital first."
                if hospital.status in ("PROVISIONING", "FAILED")
                else ""
            )
        )
    changes: dict[str, object] = {"status": status, "updated_at": timezone.now()}
    if status == Hospital.Status.ARCHIVED:
        changes["archived_at"] = changes["updated_at"]
    updated = Hospital.objects.filter(pk=hospital.pk, status=hospital.status).update(**changes)
    if not updated:
        raise ApplicationError(f"{hospital.code} changed while you were editing it; try again.")
    hospital.refresh_from_db()
    return hospital


def hospital_database_removed_mark(*, hospital: Hospital) -> Hospital:
    """Record that an archived hospital's database was removed (the row itself is kept)."""
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        row = Hospital.objects.select_for_update().get(pk=hospital.pk)
        if row.status != Hospital.Status.ARCHIVED:
            raise ApplicationError(
                f"{row.code} is {row.status}: only an archived hospital's database is removed."
            )
        if row.database_removed_at is None:
            row.database_removed_at = timezone.now()
            row.save(update_fields=["database_removed_at", "updated_at"])
    return row


def hospital_archive_undo(*, hospital: Hospital, status: str) -> Hospital:
    """Put back the status an archiving found (its final backup failed): nothing was archived."""
    if status not in (Hospital.Status.ACTIVE, Hospital.Status.SUSPENDED):
        raise ApplicationError(f"An archived hospital does not go back to {status}.")
    Hospital.objects.filter(
        pk=hospital.pk, status=Hospital.Status.ARCHIVED, database_removed_at__isnull=True
    ).update(status=status, archived_at=None, updated_at=timezone.now())
    hospital.refresh_from_db()
    return hospital
