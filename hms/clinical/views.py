"""The ADMIN's page for the hospital's clinical profile: units, code system, working week, growth
charts. Thin: the form parses, clinical_profile_update decides and audits."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from hms.accounts.permissions import Action, Resource, permission_require
from hms.clinical.forms import ClinicalProfileForm
from hms.clinical.profiles import clinical_profile, clinical_profile_update
from hms.core.pages import form_submit, hospital_page
from hms.tenancy.http import HospitalRequest


@hospital_page("GET", "POST")
def profile_page(request: HospitalRequest, hospital_code: str) -> HttpResponse:
    permission_require(user=request.user, resource=Resource.CLINICAL_PROFILE, action=Action.VIEW)
    profile = clinical_profile()
    if request.method == "POST":
        permission_require(user=request.user, resource=Resource.CLINICAL_PROFILE, action=Action.UPDATE)
        form = ClinicalProfileForm(request.POST)
        if form_submit(request, form, clinical_profile_update) is not None:
            messages.success(
                request, "The clinical profile is saved; it applies to what is entered from now on."
            )
            return redirect("clinical:profile", hospital_code=hospital_code)
    else:
        form = ClinicalProfileForm(initial=ClinicalProfileForm.initial_of(profile))
    status = 400 if form.is_bound else 200
    return render(
        request,
        "clinical/profile.html",
        {"form": form, "profile": profile, "saved": not profile._state.adding},
        status=status,
    )
