"""Staff (tenant database): the hospital's departments and the users who work in them.

A staff member names a shared user by id only (no foreign key across databases).
Rows are never deleted: they are deactivated.
"""

from django.db import models

from hms.accounts.models import STAFF_ROLE_CHOICES
from hms.core.models import TimeStampedModel


class Department(TimeStampedModel):
    name = models.CharField(max_length=100, unique=True)
    code = models.CharField(max_length=16, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class StaffMember(TimeStampedModel):
    user_id = models.BigIntegerField(unique=True, help_text="The shared user's id (accounts.User).")
    # The shared user's staff role (hms.accounts.models.Role), one of STAFF_ROLES.
    role = models.CharField(max_length=16, choices=STAFF_ROLE_CHOICES)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="staff_members"
    )
    specialty = models.CharField(max_length=100, blank=True)
    licence_number = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence_number"],
                condition=~models.Q(licence_number=""),
                name="staff_licence_number_unique_when_set",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="DOCTOR") | (~models.Q(specialty="") & ~models.Q(licence_number="")),
                name="staff_doctor_has_specialty_and_licence",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["DOCTOR", "NURSE"]) | models.Q(licence_number=""),
                name="staff_licence_only_for_doctors_and_nurses",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} #{self.user_id}"
