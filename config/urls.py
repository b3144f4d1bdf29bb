from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "HMS platform administration"
admin.site.site_title = "HMS admin"

# Under h/<CODE>/: one hospital's pages, app by app.
hospital_patterns = [
    path("patients/", include("hms.patients.urls")),
    path("care/", include("hms.care.urls")),
    path("staff/", include("hms.staff.urls")),
    path("audit/", include("hms.audit.urls")),
    path("scheduling/", include("hms.scheduling.urls")),
    path("encounters/", include("hms.encounters.urls")),
    path("orders/", include("hms.orders.urls")),
    path("billing/", include("hms.billing.urls")),
    path("alerts/", include("hms.alerts.urls")),
    path("clinical/", include("hms.clinical.urls")),
    path("accounts/", include("hms.accounts.hospital_urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("platform/", include("hms.platform.urls")),
    path("api/", include("hms.api.urls")),
    path("", include("hms.ops.urls")),
    path("", include("hms.accounts.urls")),
    path("", include("hms.web.urls")),
    path("h/<str:hospital_code>/", include(hospital_patterns)),
    path("fhir/<str:hospital_code>/", include("hms.fhir.urls")),
]
