"""Changes to registry rows other than provisioning (which is the tenancy engine's)."""

from hms.core.exceptions import ApplicationError
from hms.hospitals.models import Hospital

_ALLOWED: dict[str, frozenset[str]] = {
    Hospital.Status.ACTIVE: frozenset({Hospital.Status.SUSPENDED, Hospital.Status.ARCHIVED}),
    Hospital.Status.SUSPENDED: frozenset({Hospital.Status.ACTIVE, Hospital.Status.ARCHIVED}),
}


def hospital_set_status(*, hospital: Hospital, status: str) -> Hospital:
    """Suspend, reactivate or archive a hospital whose database is complete."""
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
    updated = Hospital.objects.filter(pk=hospital.pk, status=hospital.status).update(status=status)
    if not updated:
        raise ApplicationError(f"{hospital.code} changed while you were editing it; try again.")
    hospital.refresh_from_db()
    return hospital
