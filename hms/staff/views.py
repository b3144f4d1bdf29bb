"""Staff pages: the hospital's staff directory; its administrator manages departments and members."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require, permission_scope
from hms.core.exceptions import ApplicationError
from hms.core.http import refusals_as_http
from hms.core.ids import record_id
from hms.staff.forms import DepartmentForm, StaffMemberForm
from hms.staff.models import Department, StaffMember
from hms.staff.selectors import department_list, staff_candidates, staff_list
from hms.staff.services import department_create, staff_member_add, staff_member_deactivate


def _page(request: HttpRequest, *, status: int = 200, error: str = "", **forms) -> HttpResponse:
    user = request.user
    permission_require(user=user, resource=Resource.STAFF, action=Action.VIEW)
    departments = department_list(user=user)
    chosen = request.GET.get("department", "")
    department = next((d for d in departments if str(d.pk) == chosen), None)
    page = staff_list(user=user, department=department, page_number=request.GET.get("page", 1))
    may_manage = permission_scope(user=user, resource=Resource.STAFF, action=Action.UPDATE) is not None
    return render(
        request,
        "staff/staff_index.html",
        {
            "hospital": request.hospital,
            "page": page,
            "departments": departments,
            "department": department,
            "may_manage": may_manage,
            "candidates": staff_candidates(user=user) if may_manage else [],
            "department_form": forms.get("department_form") or DepartmentForm(),
            "member_form": forms.get("member_form") or StaffMemberForm(),
            "error": error,
        },
        status=status,
    )


@login_required
@refusals_as_http
def staff_index(request: HttpRequest, hospital_code: str) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
@refusals_as_http
def department_new(request: HttpRequest, hospital_code: str) -> HttpResponse:
    form = DepartmentForm(request.POST)
    if form.is_valid():
        try:
            department_create(acting_user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            return _page(request, status=400, error=error.message, department_form=form)
        return redirect("staff:index", hospital_code=hospital_code)
    return _page(request, status=400, error="Check the department's name and code.", department_form=form)


@login_required
@require_POST
@refusals_as_http
def member_new(request: HttpRequest, hospital_code: str) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.STAFF, action=Action.CREATE)
    form = StaffMemberForm(request.POST)
    if not form.is_valid():
        return _page(request, status=400, error="Choose an account.", member_form=form)
    data = form.cleaned_data
    account = User.objects.filter(pk=data["user_id"]).select_related("hospital").first()
    department = None
    if data["department_id"] is not None:
        department = Department.objects.filter(pk=data["department_id"]).first()
        if department is None:
            return _page(request, status=400, error="Choose a department of this hospital.", member_form=form)
    try:
        if account is None:
            raise ApplicationError("Choose an account of this hospital.")
        staff_member_add(
            acting_user=request.user,
            user=account,
            department=department,
            specialty=data["specialty"],
            licence_number=data["licence_number"],
        )
    except ApplicationError as error:
        detail = " ".join(str(m) for messages in error.details.values() for m in messages)
        return _page(request, status=400, error=f"{error.message} {detail}".strip(), member_form=form)
    return redirect("staff:index", hospital_code=hospital_code)


@login_required
@require_POST
@refusals_as_http
def member_deactivate(request: HttpRequest, hospital_code: str, member_id: str) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.STAFF, action=Action.UPDATE)
    wanted = record_id(member_id)
    member = StaffMember.objects.filter(pk=wanted).first() if wanted is not None else None
    if member is None:
        return _page(request, status=404, error="No such staff member here.")
    try:
        staff_member_deactivate(acting_user=request.user, staff_member=member)
    except ApplicationError as error:
        return _page(request, status=400, error=error.message)
    return redirect("staff:index", hospital_code=hospital_code)
