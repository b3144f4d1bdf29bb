"""Staff pages: the hospital's staff directory; its administrator manages departments and members."""

from django.http import HttpResponse
from django.shortcuts import redirect, render

from hms.accounts.permissions import Action, Resource, permission_require, permission_scope
from hms.core.exceptions import ApplicationError
from hms.core.pages import form_error_show, hospital_page
from hms.staff.forms import DepartmentForm, StaffMemberForm
from hms.staff.selectors import department_list, staff_candidates, staff_list, staff_member_find
from hms.staff.services import department_create, staff_member_add, staff_member_deactivate
from hms.tenancy.http import HospitalRequest

# Where a service's detail keys name a form field differently.
MEMBER_FIELDS = {"department": "department_id", "user": "user_id"}


def _page(
    request: HospitalRequest,
    *,
    status: int = 200,
    error: str = "",
    department_form: DepartmentForm | None = None,
    member_form: StaffMemberForm | None = None,
) -> HttpResponse:
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
            "page": page,
            "departments": departments,
            "department": department,
            "may_manage": may_manage,
            "candidates": staff_candidates(user=user) if may_manage else [],
            "department_form": department_form or DepartmentForm(),
            "member_form": member_form or StaffMemberForm(),
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
    if form.is_valid():
        try:
            department_create(acting_user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_error_show(form, error)
        else:
            return redirect("staff:index", hospital_code=hospital_code)
    return _page(request, status=400, department_form=form)


@hospital_page("POST")
def member_new(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.STAFF, action=Action.CREATE)
    form = StaffMemberForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            staff_member_add(
                acting_user=request.user,
                user=data["account"],
                department=data["department"],
                specialty=data["specialty"],
                licence_number=data["licence_number"],
            )
        except ApplicationError as error:
            form_error_show(form, error, field_names=MEMBER_FIELDS)
        else:
            return redirect("staff:index", hospital_code=hospital_code)
    return _page(request, status=400, member_form=form)


@hospital_page("POST")
def member_deactivate(request: HospitalRequest, hospital_code: str, member_id: int) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.STAFF, action=Action.UPDATE)
    member = staff_member_find(user=request.user, member_id=member_id)
    if member is None:
        return _page(request, status=404, error="No such staff member here.")
    try:
        staff_member_deactivate(acting_user=request.user, staff_member=member)
    except ApplicationError as error:
        return _page(request, status=400, error=error.message)
    return redirect("staff:index", hospital_code=hospital_code)
