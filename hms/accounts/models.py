"""User accounts (shared database): a role and the hospital the user belongs to."""

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models


class Role(models.TextChoices):
    SUPERADMIN = "SUPERADMIN", "Platform super-administrator"
    ADMIN = "ADMIN", "Hospital administrator"
    DOCTOR = "DOCTOR", "Doctor"
    NURSE = "NURSE", "Nurse"
    # Enters and validates (verifies) lab results; the clinician's review is a separate step.
    LAB = "LAB", "Laboratory scientist"
    RECEPTIONIST = "RECEPTIONIST", "Receptionist"
    PATIENT = "PATIENT", "Patient"


STAFF_ROLES = frozenset({Role.ADMIN, Role.DOCTOR, Role.NURSE, Role.LAB, Role.RECEPTIONIST})
# The staff roles as (value, label) pairs in Role's order: the choices of a hospital's staff record.
STAFF_ROLE_CHOICES = [(role.value, role.label) for role in Role if role in STAFF_ROLES]


class UserManager(DjangoUserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> "User":
        """A platform super-administrator: role SUPERADMIN and no hospital (what `createsuperuser` makes).

        Django's superuser flags on any other role would give a hospital user the whole
        platform admin, so another role or a hospital is refused rather than overridden.
        """
        role = extra_fields.setdefault("role", Role.SUPERADMIN)
        if role != Role.SUPERADMIN:
            raise ValueError(f"A superuser must have role {Role.SUPERADMIN}, not {role}.")
        if extra_fields.get("hospital") is not None or extra_fields.get("hospital_id") is not None:
            raise ValueError("A superuser belongs to no hospital: create hospital users with their own role.")
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)
    hospital = models.ForeignKey(
        "hospitals.Hospital",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text="The hospital this user belongs to; only a super-administrator may have none.",
    )

    objects: ClassVar[UserManager] = UserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role=Role.SUPERADMIN) | models.Q(hospital__isnull=False),
                name="accounts_user_hospital_required_unless_superadmin",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_superadmin(self) -> bool:
        return self.role == Role.SUPERADMIN

    def may_enter(self, hospital_id: int) -> bool:
        """Whether the user may work in that hospital (their own; any for a super-administrator)."""
        return self.is_superadmin or self.hospital_id == hospital_id
