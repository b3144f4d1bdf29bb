"""The platform's security log and the audit checkpoints (shared database)."""

from django.db import models
from django.utils import timezone


class SecurityEvent(models.Model):
    """One security-relevant event of the platform: append-only, HMAC-chained (hms.security.chain)."""

    class Kind(models.TextChoices):
        LOGIN = "login", "Signed in"
        LOGIN_FAILED = "login_failed", "Sign-in failed"
        LOGOUT = "logout", "Signed out"
        LOCKED_OUT = "locked_out", "Locked out after failed sign-ins"
        LOCKOUT_CLEARED = "lockout_cleared", "Lockout cleared"
        MFA_ENROLLED = "mfa_enrolled", "Second factor set up"
        MFA_FAILED = "mfa_failed", "Second factor refused"
        MFA_VERIFIED = "mfa_verified", "Second factor accepted"
        MFA_RESET = "mfa_reset", "Second factor removed"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset asked for"
        PASSWORD_RESET = "password_reset", "Password reset"
        PASSWORD_RESET_BY_ADMIN = "password_reset_by_admin", "Password reset by an administrator"
        SESSION_EXPIRED = "session_expired", "Session ended for inactivity or age"
        ACCOUNT_CREATED = "account_created", "Account created"
        ACCOUNT_CHANGED = "account_changed", "Account changed"
        ACCOUNT_DISABLED = "account_disabled", "Account disabled"
        ACCOUNT_ENABLED = "account_enabled", "Account enabled"
        ACCOUNT_DELETED = "account_deleted", "Account deleted"
        ROLE_CHANGED = "role_changed", "Role changed"
        ADMIN_ACTION = "admin_action", "Platform administration"
        FOREIGN_HOSPITAL = "foreign_hospital", "Asked for another hospital's page"

    occurred_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # The account concerned (shared user id; kept as a number so the row outlives the account).
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    username = models.CharField(max_length=150, blank=True)
    # Who did it, when that is someone else (an admin disabling an account).
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, blank=True)
    hospital_code = models.CharField(max_length=64, blank=True, db_index=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    key_id = models.CharField(max_length=12)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["kind", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username}"


class SecurityChainHead(models.Model):
    """One row holding the newest seal of the security log; locking it serialises its writers.

    The row is sealed itself (over the event id and seal it names), so deleting the newest
    events and pointing the head at an earlier one needs the key.
    """

    last_hash = models.CharField(max_length=64)
    last_event_id = models.BigIntegerField(default=0)
    key_id = models.CharField(max_length=12, blank=True)
    seal = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return self.last_hash


class AuditCheckpoint(models.Model):
    """The newest known head of one hospital's audit chain, kept outside that hospital's database.

    Deleting the newest events of a hospital's log (and rewriting its head row to match)
    leaves a chain whose every seal still verifies; only a record kept elsewhere shows that
    events are missing. The row is sealed with the audit key, so it cannot be rewritten
    to a shorter chain either.
    """

    hospital_code = models.CharField(max_length=64, unique=True)
    event_id = models.BigIntegerField()
    event_hash = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(default=timezone.now)
    key_id = models.CharField(max_length=12)
    seal = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.hospital_code} at event {self.event_id}"
