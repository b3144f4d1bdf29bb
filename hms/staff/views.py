"""Staff pages: the hospital's staff directory; its administrator manages departments and members."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require, permission_scope
from hms.core.exceptions import ApplicationError, NotFound
from hms.core.http import client_address
from hms.core.pages import form_submit, hospital_page
from hms.staff.accounts import (
    AccountLink,
    staff_account_create,
    staff_account_disable,
    staff_account_enable,
    staff_account_password_reset,
)
from hms.staff.forms import DepartmentForm, StaffAccountForm, StaffMemberForm
from hms.staff.models import Department, StaffMember
from hms.staff.selectors import department_list, staff_candidates, staff_list, staff_member_find
from hms.staff.services import department_create, staff_member_add
from hms.tenancy.http import HospitalRequest

# Where a service's detail keys name a form field differently.
MEMBER_FIELDS = {"department": "department_id", "user": "username"}


def _page(
    request: HospitalRequest,
    *,
    status: int = 200,
    error: str = "",
    department_form: DepartmentForm | None = None,
    member_form: StaffMemberForm | None = None,
    account_form: StaffAccountForm | None = None,
) -> HttpResponse:
    user = request.user
    permission_require(user=user, resource=Resource.STAFF, action=Action.VIEW)
    departments = department_list(user=user)
    chosen = request.GET.get("department", "")
    department = next((d for d in departments if str(d.pk) == chosen), None)
    may_manage = permission_scope(user=user, resource=Resource.STAFF, action=Action.UPDATE) is not None
    page = staff_list(
        user=user,
        department=department,
        include_inactive=may_manage,  # the administrator sees disabled accounts, to enable them
        page_number=request.GET.get("page", 1),
    )
    return render(
        request,
        "staff/staff_index.html",
        {
            "page": page,
            "departments": departments,
            "department": department,
            "may_manage": may_manage,
            "candidates": staff_candidates(user=user) if may_manage else [],
            "department_form": department_form or DepartmentForm(),
            "member_form": member_form or StaffMemberForm(),
            "account_form": account_form or StaffAccountForm(),
            "error": error,
        },
        status=status,
    )


@hospital_page()
def staff_index(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    return _page(request)


@hospital_page("POST")
def department_new(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    form = DepartmentForm(request.POST)
    if form_submit(request, form, _department_create) is None:
        return _page(request, status=400, department_form=form)
    return redirect("staff:index", hospital_code=hospital_code)


def _department_create(*, client_address: str | None, **department: Any) -> Department:
    """department_create for form_submit (the staff register keeps no client address)."""
    return department_create(**department)


@hospital_page("POST")
def member_new(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.STAFF, action=Action.CREATE)
    form = StaffMemberForm(request.POST)
    if form_submit(request, form, _member_add, field_names=MEMBER_FIELDS) is None:
        return _page(request, status=400, member_form=form)
    return redirect("staff:index", hospital_code=hospital_code)


def _member_add(
    *,
    acting_user: User,
    account: User,
    department: Department | None,
    specialty: str,
    licence_number: str,
    **typed: object,
) -> StaffMember:
    """staff_member_add for form_submit: the form has found the `account` and `department` that
    its username and department id name; those as `typed`, and the client address, are not the
    service's."""
    return staff_member_add(
        acting_user=acting_user,
        user=account,
        department=department,
        specialty=specialty,
        licence_number=licence_number,
    )


@hospital_page("POST")
def account_new(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    """A new account and its staff record; the page shows its one-time set-password link."""
    permission_require(user=request.user, resource=Resource.STAFF, action=Action.CREATE)
    form = StaffAccountForm(request.POST)
    made = form_submit(request, form, staff_account_create, field_names=MEMBER_FIELDS)
    if made is None:
        return _page(request, status=400, account_form=form)
    return _link_page(request, made, created=True)


def _member(request: HospitalRequest, member_id: int) -> StaffMember:
    permission_require(user=request.user, resource=Resource.STAFF, action=Action.UPDATE)
    member = staff_member_find(user=request.user, member_id=member_id)
    if member is None:
        raise NotFound("No such staff member here.")
    return member


@hospital_page("POST")
def member_password_reset(request: HospitalRequest, hospital_code: str, member_id: int) -> HttpResponse:
    member = _member(request, member_id)
    try:
        made = staff_account_password_reset(
            acting_user=request.user, staff_member=member, client_address=client_address(request)
        )
    except ApplicationError as error:
        return _page(request, status=400, error=error.message)
    return _link_page(request, made, created=False)


def _link_page(request: HospitalRequest, made: AccountLink, *, created: bool) -> HttpResponse:
    # Shown once: the link is not stored, and the page is never cached (no-store).
    return render(
        request,
        "staff/account_link.html",
        {
            "account": made.user,
            "member": made.member,
            "created": created,
            "link": request.build_absolute_uri(made.set_password_path),
            "timeout_minutes": int(settings.PASSWORD_RESET_TIMEOUT) // 60,
        },
    )


@hospital_page("POST")
def member_deactivate(request: HospitalRequest, hospital_code: str, member_id: int) -> HttpResponse:
    """Disable a staff member's account: every open session of theirs ends now."""
    return _member_change(request, member_id, staff_account_disable)


@hospital_page("POST")
def member_reactivate(request: HospitalRequest, hospital_code: str, member_id: int) -> HttpResponse:
    return _member_change(request, member_id, staff_account_enable)


def _member_change(
    request: HospitalRequest, member_id: int, service: Callable[..., StaffMember]
) -> HttpResponse:
    member = _member(request, member_id)
    try:
        service(acting_user=request.user, staff_member=member, client_address=client_address(request))
    except ApplicationError as error:
        return _page(request, status=400, error=error.message)
    return redirect("staff:index", hospital_code=request.hospital.code)
