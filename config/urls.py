from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "HMS platform administration"
admin.site.site_title = "HMS admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("platform/", include("hms.platform.urls")),
    path("api/", include("hms.api.urls")),
    path("", include("hms.ops.urls")),
    path("", include("hms.accounts.urls")),
    path("", include("hms.web.urls")),
    path("h/<str:hospital_code>/patients/", include("hms.patients.urls")),
    path("h/<str:hospital_code>/care/", include("hms.care.urls")),
    path("h/<str:hospital_code>/staff/", include("hms.staff.urls")),
    path("h/<str:hospital_code>/audit/", include("hms.audit.urls")),
    path("h/<str:hospital_code>/scheduling/", include("hms.scheduling.urls")),
    path("h/<str:hospital_code>/encounters/", include("hms.encounters.urls")),
    path("h/<str:hospital_code>/orders/", include("hms.orders.urls")),
    path("h/<str:hospital_code>/billing/", include("hms.billing.urls")),
    path("h/<str:hospital_code>/alerts/", include("hms.alerts.urls")),
    path("h/<str:hospital_code>/clinical/", include("hms.clinical.urls")),
    path("h/<str:hospital_code>/accounts/", include("hms.accounts.hospital_urls")),
    path("fhir/<str:hospital_code>/", include("hms.fhir.urls")),
]
