"""HMAC chains: each row sealed with a key kept out of every database, chained to the one before.

The audit log of each hospital and the platform's security log are both chains: a row's
seal is HMAC-SHA256(key, previous seal + canonical JSON of the row). Without the key,
whoever can write the database cannot make a row, or rewrite one, that the chain accepts.
Each seal names its key by a short id (never the key), so a rotated key's rows still verify
while the old key is kept in ``HMS_AUDIT_KEY_FALLBACKS``.
"""

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GENESIS = "0" * 64


def key_id(key: str) -> str:
    """A short public name of a key: enough to pick it from the list, useless to forge with."""
    return hashlib.sha256(f"hms-chain-key-id:{key}".encode()).hexdigest()[:12]


def current_key() -> tuple[str, bytes]:
    key = settings.HMS_AUDIT_KEY
    if not key:
        raise ImproperlyConfigured(
            "HMS_AUDIT_KEY is not set: the audit and security logs cannot be sealed without it "
            "(docs/security.md, 'Keys')."
        )
    return key_id(key), key.encode()


def known_keys() -> dict[str, bytes]:
    """Every key a seal may have been made with: the current one and the fallbacks."""
    keys = [settings.HMS_AUDIT_KEY, *settings.HMS_AUDIT_KEY_FALLBACKS]
    return {key_id(key): key.encode() for key in keys if key}


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def seal(previous: str, payload: dict[str, Any], key: bytes) -> str:
    return hmac.new(key, f"{previous}{canonical(payload)}".encode(), hashlib.sha256).hexdigest()


def seal_new(previous: str, payload: dict[str, Any]) -> tuple[str, str]:
    """(key id, seal) of a new row with the current key."""
    kid, key = current_key()
    return kid, seal(previous, payload, key)


def seal_problem(previous: str, payload: dict[str, Any], kid: str, recorded: str) -> str:
    """Why a sealed row does not verify, or "" when it does."""
    key = known_keys().get(kid)
    if key is None:
        return f"sealed with key {kid}, which is neither HMS_AUDIT_KEY nor in HMS_AUDIT_KEY_FALLBACKS"
    if not hmac.compare_digest(seal(previous, payload, key), recorded):
        return "contents do not match the recorded seal"
    return ""
