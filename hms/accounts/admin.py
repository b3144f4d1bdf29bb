from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from hms.accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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
