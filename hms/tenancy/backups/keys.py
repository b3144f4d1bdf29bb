"""One backup key per hospital (and one for the shared database), each in its own file.

The keys live in HMS_BACKUP_KEY_DIR, outside every database and best outside the backup
disk too: destroying a hospital's key file makes exactly that hospital's backups
unreadable. With HMS_BACKUP_MASTER_KEY set (base64 of 32 bytes, from the environment),
new key files are stored wrapped by it, so a copy of the key folder alone opens nothing.
"""

import base64
import binascii
import contextlib
import hashlib
import json
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from hms.tenancy.codes import validate_hospital_code
from hms.tenancy.exceptions import TenancyError

SHARED = "_shared"  # the shared database's name in the key and backup folders; no code starts with _
KEY_BYTES = 32


class BackupKeyError(TenancyError):
    code = "backup_key"


def key_dir() -> Path:
    return Path(settings.HMS_BACKUP_KEY_DIR)


def owner_name(code: str) -> str:
    """A hospital code (validated) or SHARED: safe as a file name."""
    return code if code == SHARED else validate_hospital_code(code)


def key_path(code: str) -> Path:
    return key_dir() / f"{owner_name(code)}.key"


def key_id(key: bytes) -> str:
    """A short public name of a key (a hash; useless for decrypting)."""
    return hashlib.sha256(b"hms-backup-key-id" + key).hexdigest()[:16]


def _master_key() -> bytes | None:
    raw = getattr(settings, "HMS_BACKUP_MASTER_KEY", "") or ""
    if not raw:
        return None
    try:
        master = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BackupKeyError("HMS_BACKUP_MASTER_KEY is not base64.") from exc
    if len(master) != KEY_BYTES:
        raise BackupKeyError(f"HMS_BACKUP_MASTER_KEY must be {KEY_BYTES} bytes (base64 of 32 random bytes).")
    return master


def key_load(code: str) -> bytes:
    """The hospital's backup key; BackupKeyError if it is missing or cannot be unwrapped."""
    path = key_path(code)
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        raise BackupKeyError(
            f"No backup key for {code} at {path}: its backups cannot be decrypted "
            "(restore the key file from your key escrow)."
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupKeyError(f"The backup key file {path} cannot be read: {exc}") from exc
    try:
        material = base64.b64decode(record["key"])
        if record.get("wrapped"):
            master = _master_key()
            if master is None:
                raise BackupKeyError(
                    f"The backup key of {code} is wrapped, and HMS_BACKUP_MASTER_KEY is not set."
                )
            nonce, sealed = material[:12], material[12:]
            material = AESGCM(master).decrypt(nonce, sealed, owner_name(code).encode())
    except InvalidTag:
        raise BackupKeyError(
            f"The backup key of {code} does not open with HMS_BACKUP_MASTER_KEY (wrong master key?)."
        ) from None
    except (KeyError, TypeError, binascii.Error, ValueError) as exc:
        raise BackupKeyError(f"The backup key file {path} is malformed: {exc}") from exc
    if len(material) != KEY_BYTES:
        raise BackupKeyError(f"The backup key file {path} does not hold a {KEY_BYTES}-byte key.")
    return material


def key_ensure(code: str) -> bytes:
    """The hospital's key, made (0600, never overwriting) on its first backup."""
    path = key_path(code)
    if path.exists():
        return key_load(code)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    master = _master_key()
    if master is None:
        record = {"version": 1, "wrapped": False, "key": base64.b64encode(key).decode()}
    else:
        nonce = secrets.token_bytes(12)
        sealed = nonce + AESGCM(master).encrypt(nonce, key, owner_name(code).encode())
        record = {"version": 1, "wrapped": True, "key": base64.b64encode(sealed).decode()}
    partial = path.with_name(f"{path.name}.partial-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(record))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(partial, path)  # never replaces a key another process just made
    finally:
        partial.unlink(missing_ok=True)
    return key_load(code)
