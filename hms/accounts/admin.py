"""The platform operator's accounts admin: platform super-administrators and hospitals'
administrators only.

Clinical accounts (doctors, nurses, receptionists, patients) are made and kept by their
hospital's administrator (hms.staff, the patients' portal): an operator who could make a
doctor could read patients. So this admin neither lists nor opens them (its queryset), and
its forms offer and accept only the two roles, checked again on every POST.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Field, QuerySet
from django.http import HttpRequest

from hms.accounts.models import Role, User

# The roles the platform operator manages; every other account belongs to a hospital's admin.
OPERATOR_ROLES = (Role.SUPERADMIN, Role.ADMIN)
ROLE_REFUSED = (
    "The platform admin manages super-administrators and hospitals' administrators only; "
    "a hospital's administrator creates its other accounts."
)


def _operator_rules(form: forms.ModelForm, cleaned: dict[str, Any]) -> None:
    """The operator's limits on an account: its role, hospital and admin flags."""
    role = cleaned.get("role", getattr(form.instance, "role", None))
    hospital = cleaned.get("hospital", getattr(form.instance, "hospital", None))
    if role not in OPERATOR_ROLES:
        form.add_error("role" if "role" in form.fields else None, ROLE_REFUSED)
        return
    if role == Role.SUPERADMIN and hospital is not None:
        form.add_error("hospital", "A platform super-administrator belongs to no hospital.")
    if role == Role.ADMIN and hospital is None:
        form.add_error("hospital", "A hospital's administrator needs their hospital.")
    if role != Role.SUPERADMIN and (cleaned.get("is_staff") or cleaned.get("is_superuser")):
        form.add_error(None, "Only a platform super-administrator may use the platform admin.")


class OperatorUserCreationForm(AdminUserCreationForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _operator_rules(self, cleaned)
        return cleaned


class OperatorUserChangeForm(UserChangeForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _operator_rules(self, cleaned)
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = OperatorUserChangeForm
    add_form = OperatorUserCreationForm
    list_display = ("username", "email", "role", "hospital", "is_active")
    list_filter = ("role", "hospital", "is_active")
    list_select_related = ("hospital",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Hospital", {"fields": ("role", "hospital")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Hospital", {"fields": ("role", "hospital")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # Clinical accounts are neither listed nor opened, changed, deleted or given a password.
        return super().get_queryset(request).filter(role__in=OPERATOR_ROLES)

    def formfield_for_choice_field(self, db_field: Field, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role":
            kwargs["choices"] = [(role.value, role.label) for role in OPERATOR_ROLES]
        return super().formfield_for_choice_field(db_field, request, **kwargs)
