"""The backup folder: one folder per hospital (`_shared` for the shared database), each backup a
file `<stamp>.hmsbak` beside its manifest `<stamp>.json`.

A backup exists once its manifest does: the file is written under a temporary name, renamed,
and only then is the manifest written (itself renamed into place), so a run that dies halfway
leaves only `*.partial-<pid>` files, which the next run removes.
"""

import contextlib
import datetime
import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from hms.core.files import fsync_path
from hms.core.processes import pid_alive
from hms.tenancy.backups.keys import owner_name
from hms.tenancy.exceptions import TenancyError

SUFFIX = ".hmsbak"
FORMAT = 1
_STAMP = re.compile(r"^\d{20}$")
_PARTIAL = re.compile(r"\.partial-(?P<pid>\d+)$")


class BackupNotFound(TenancyError):
    code = "backup_not_found"


@dataclass
class Manifest:
    hospital: str  # a code, or "_shared"
    taken_at: str  # ISO 8601, UTC
    stamp: str
    vendor: str
    server: str
    database_name: str
    schema_fingerprint: str
    database_size: int | None
    size: int  # bytes of the backup file
    sha256: str  # of the backup file
    key_id: str
    compression: str
    rows: dict[str, int] = field(default_factory=dict)
    format: int = FORMAT
    encryption: str = "aes-256-gcm, 1 MiB chunks"

    @property
    def taken(self) -> datetime.datetime:
        return datetime.datetime.fromisoformat(self.taken_at)

    @property
    def file(self) -> Path:
        return backup_dir(self.hospital) / f"{self.stamp}{SUFFIX}"

    @property
    def path(self) -> Path:
        return backup_dir(self.hospital) / f"{self.stamp}.json"

    @classmethod
    def load(cls, path: Path) -> "Manifest":
        try:
            data = json.loads(path.read_text())
            known = {name for name in cls.__dataclass_fields__}
            return cls(**{k: v for k, v in data.items() if k in known})
        except (OSError, ValueError, TypeError) as exc:
            raise BackupNotFound(f"The manifest {path} cannot be read: {exc}") from exc


def root() -> Path:
    return Path(settings.HMS_BACKUP_DIR)


def backup_dir(code: str) -> Path:
    return root() / owner_name(code)


def work_dir() -> Path:
    return root() / ".work"


def new_stamp(now: datetime.datetime | None = None) -> str:
    moment = (now or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
    return moment.strftime("%Y%m%d%H%M%S%f")


def partial_name(path: Path) -> Path:
    return path.with_name(f"{path.name}.partial-{os.getpid()}")


def write_manifest(manifest: Manifest) -> None:
    final = manifest.path
    partial = partial_name(final)
    try:
        with open(partial, "x") as handle:
            json.dump(asdict(manifest), handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    fsync_path(final.parent)


def backups_of(code: str) -> list[Manifest]:
    """Complete backups of `code`, oldest first (a file without its manifest is not a backup)."""
    folder = backup_dir(code)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("*.json"):
        if _STAMP.match(path.stem):
            with contextlib.suppress(BackupNotFound):
                found.append(Manifest.load(path))
    return sorted(found, key=lambda m: m.stamp)


def latest(code: str) -> Manifest | None:
    found = backups_of(code)
    return found[-1] if found else None


def choose(code: str, *, source: str | None = None, at: datetime.datetime | None = None) -> Manifest:
    """The backup to restore: `source` (a stamp, a manifest or a backup file), else the newest
    taken at or before `at`, else the newest."""
    if source:
        path = Path(source)
        if _STAMP.match(source):
            path = backup_dir(code) / f"{source}.json"
        elif path.suffix == SUFFIX:
            path = path.with_suffix(".json")
        if not path.is_file():
            raise BackupNotFound(f"No backup manifest at {path}.")
        manifest = Manifest.load(path)
        if manifest.hospital != code:
            raise BackupNotFound(f"{path} is a backup of {manifest.hospital}, not of {code}.")
        return manifest
    found = backups_of(code)
    if at is not None:
        found = [m for m in found if m.taken <= at]
    if not found:
        when = f" taken at or before {at.isoformat()}" if at is not None else ""
        raise BackupNotFound(f"No backup of {code}{when} in {backup_dir(code)}.")
    return found[-1]


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove `*.partial-<pid>` files whose process is gone (a run killed halfway)."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        match = _PARTIAL.search(path.name)
        if match and not pid_alive(int(match.group("pid"))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def retention_keep(
    manifests: Iterable[Manifest], *, daily: int = 0, weekly: int = 0, monthly: int = 0
) -> set[str]:
    """Stamps to keep: the newest backup of each of the last `daily` days that have one, of
    each of the last `weekly` ISO weeks, and of each of the last `monthly` months; the newest
    backup always."""
    ordered = sorted(manifests, key=lambda m: m.stamp, reverse=True)
    keep: set[str] = {ordered[0].stamp} if ordered else set()
    for count, bucket in (
        (daily, lambda t: t.date()),
        (weekly, lambda t: t.isocalendar()[:2]),
        (monthly, lambda t: (t.year, t.month)),
    ):
        seen: list[Any] = []
        for manifest in ordered:
            key = bucket(manifest.taken)
            if key in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(key)
            keep.add(manifest.stamp)
    return keep


def retention_apply(code: str, *, daily: int, weekly: int, monthly: int) -> list[str]:
    """Delete the backups of `code` that retention does not keep; return their stamps."""
    manifests = backups_of(code)
    keep = retention_keep(manifests, daily=daily, weekly=weekly, monthly=monthly)
    removed = []
    for manifest in manifests:
        if manifest.stamp in keep:
            continue
        manifest.path.unlink(missing_ok=True)  # manifest first: no manifest, no backup
        manifest.file.unlink(missing_ok=True)
        removed.append(manifest.stamp)
    return removed
