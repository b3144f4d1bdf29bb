"""Writing a hospital's snapshot: the figures the platform console lists without opening the
hospital's database (what `check_hospitals` and `backup_hospitals` found last)."""

import datetime

from django.utils import timezone

from hms.hospitals.models import Hospital, HospitalSnapshot


def snapshot_health_record(
    *,
    hospital_id: int,
    checked_at: datetime.datetime,
    problems: list[str],
    size_bytes: int | None,
    backup_at: datetime.datetime | None,
    figures: dict[str, int] | None,
) -> None:
    """What a health check found; `figures` (patients, encounters_30_days) when it could count them."""
    values: dict[str, object] = {
        "checked_at": checked_at,
        "healthy": not problems,
        "problems": "; ".join(problems)[:4000],
        "size_bytes": size_bytes,
    }
    if backup_at is not None:
        values["backup_at"] = backup_at
    if figures is not None:
        values["patients"] = figures.get("patients")
        values["encounters_30_days"] = figures.get("encounters_30_days")
    HospitalSnapshot.objects.update_or_create(hospital_id=hospital_id, defaults=values)


def _stamp_time(stamp: str) -> datetime.datetime:
    """When a backup was taken, from its stamp (UTC to the microsecond, hms.tenancy.backups.catalog)."""
    return datetime.datetime.strptime(stamp, "%Y%m%d%H%M%S%f").replace(tzinfo=datetime.UTC)


def snapshot_backup_record(*, code: str, stamp: str = "", error: str = "") -> None:
    """A backup of `code` finished: the one named `stamp`, or failed with `error`."""
    hospital_id = Hospital.objects.filter(code=code).values_list("pk", flat=True).first()
    if hospital_id is None:
        return
    values: dict[str, object]
    if error:
        values = {"backup_failed_at": timezone.now(), "backup_error": error[:4000]}
    else:
        values = {"backup_at": _stamp_time(stamp) if stamp else timezone.now(), "backup_error": ""}
    HospitalSnapshot.objects.update_or_create(hospital_id=hospital_id, defaults=values)


def snapshot_backup_requested(*, hospital: Hospital) -> HospitalSnapshot:
    snapshot, _ = HospitalSnapshot.objects.update_or_create(
        hospital=hospital, defaults={"backup_requested_at": timezone.now()}
    )
    return snapshot
