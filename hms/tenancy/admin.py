"""Platform admin for the hospital registry; creating a hospital here provisions its database.

It lives in the engine, not in hms.hospitals, because it calls provisioning: the registry
imports nothing from the engine. Its pages keep the model's URLs (/admin/hospitals/hospital/).
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from hms.core.exceptions import ApplicationError
from hms.hospitals.models import Hospital
from hms.hospitals.services import hospital_set_status
from hms.tenancy.exceptions import TenancyError
from hms.tenancy.first_admin import first_admin_create
from hms.tenancy.provisioning import hospital_provision


class HospitalCreationForm(forms.ModelForm):
    """A new hospital and, optionally, its first administrator (made once the hospital is)."""

    admin_username = forms.CharField(max_length=150, required=False, label="First administrator's username")
    admin_email = forms.EmailField(required=False, label="First administrator's email")
    admin_first_name = forms.CharField(max_length=150, required=False, label="First name")
    admin_last_name = forms.CharField(max_length=150, required=False, label="Last name")

    class Meta:
        model = Hospital
        fields = ["code", "name", "time_zone"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("admin_username", "").strip()) != bool(cleaned.get("admin_email", "").strip()):
            raise ValidationError("Give the first administrator's username and email, or neither.")
        if self.errors:
            return cleaned
        try:
            # Provisioning is the form's save: errors belong on the form, not in a 500.
            self.instance = hospital_provision(
                code=cleaned["code"], name=cleaned["name"], time_zone=cleaned["time_zone"]
            )
        except TenancyError as exc:
            raise ValidationError(exc.message) from exc
        return cleaned

    def _post_clean(self) -> None:
        # Skip ModelForm's instance validation: the service validated and saved it.
        pass


CREATION_FIELDS = (
    "code",
    "name",
    "time_zone",
    "admin_username",
    "admin_email",
    "admin_first_name",
    "admin_last_name",
)
EDITABLE_FIELDS = ("name", "time_zone")
RECORDED_FIELDS = (
    "status",
    "status_detail",
    "migration_error",
    "read_only",
    "server",
    "database_name",
    "schema_fingerprint",
    "created_at",
    "updated_at",
)


@admin.register(Hospital)
class HospitalAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "status", "time_zone", "server", "schema_fingerprint", "updated_at")
    list_filter = ("status", "server")
    search_fields = ("code", "name")
    actions = ["suspend", "reactivate"]

    def get_form(
        self, request: HttpRequest, obj: Hospital | None = None, change: bool = False, **kwargs: Any
    ) -> "type[forms.ModelForm[Hospital]]":
        if obj is None:
            kwargs["form"] = HospitalCreationForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Hospital | None = None) -> tuple[str, ...]:
        if obj is None:
            return CREATION_FIELDS
        return ("code", *EDITABLE_FIELDS, *RECORDED_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: Hospital | None = None) -> tuple[str, ...]:
        # Only the name and time zone are edited here; the rest is changed by services.
        return () if obj is None else ("code", *RECORDED_FIELDS)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if object_id is None:
            # Not inside the admin's usual transaction: provisioning commits its own steps,
            # so a crash mid-way leaves a PROVISIONING hospital that a rerun finishes. What
            # changeform_view runs inside that transaction is this (undeclared) method.
            response: HttpResponse = self._changeform_view(  # type: ignore[attr-defined]
                request, object_id, form_url, extra_context
            )
            return response
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(
        self, request: HttpRequest, obj: Hospital, form: "forms.ModelForm[Hospital]", change: bool
    ) -> None:
        if change:
            obj.save(update_fields=[*EDITABLE_FIELDS, "updated_at"])
            return
        # A new hospital was provisioned (and saved) while the form was validated; its first
        # administrator is made now, and their one-time link shown once, on the next page.
        data = form.cleaned_data
        if not data.get("admin_username", "").strip():
            return
        try:
            made = first_admin_create(
                hospital=obj,
                username=data["admin_username"],
                email=data["admin_email"],
                first_name=data.get("admin_first_name", ""),
                last_name=data.get("admin_last_name", ""),
                acting_user=request.user,
            )
        except (ApplicationError, TenancyError) as exc:
            details = getattr(exc, "details", {}) or {}
            problems = "; ".join(str(m) for messages in details.values() for m in messages)
            self.message_user(
                request,
                f"{obj.code} was created, but not its administrator: {exc.message} {problems} "
                "Run manage.py create_hospital with --admin-username and --admin-email to add one.",
                messages.ERROR,
            )
            return
        link = request.build_absolute_uri(made.set_password_path)
        self.message_user(
            request,
            f"Administrator {data['admin_username'].strip()} created for {obj.code}. Give them this "
            f"one-time link to set their password (shown only now): {link}",
            messages.WARNING,
        )

    def has_delete_permission(self, request: HttpRequest, obj: Hospital | None = None) -> bool:
        return False  # hospitals are archived, never deleted

    @admin.action(description="Suspend selected hospitals")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Hospital]) -> None:
        self._set_status(request, queryset, Hospital.Status.SUSPENDED)

    @admin.action(description="Reactivate selected hospitals")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Hospital]) -> None:
        self._set_status(request, queryset, Hospital.Status.ACTIVE)

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Hospital], status: str) -> None:
        for hospital in queryset:
            try:
                hospital_set_status(hospital=hospital, status=status)
            except ApplicationError as exc:
                self.message_user(request, f"{hospital.code}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{hospital.code} is now {status}.", messages.SUCCESS)
