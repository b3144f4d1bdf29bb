"""The REST API's addresses: /api/v1/... (included by config/urls.py), the schema and its docs."""

from django.urls import include, path

from hms.api import (
    alerts,
    appointments,
    audit,
    billing,
    clinical,
    docs,
    encounters,
    orders,
    patients,
    platform,
    staff,
    tokens,
)

app_name = "api"

# Under /api/v1/hospitals/<CODE>/: the hospital middleware has selected the hospital.
hospital_patterns = [
    *patients.urlpatterns,
    *staff.urlpatterns,
    *audit.urlpatterns,
    *appointments.urlpatterns,
    *encounters.urlpatterns,
    *orders.urlpatterns,
    *billing.urlpatterns,
    *clinical.urlpatterns,
    *alerts.urlpatterns,
]

urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(url_name="api:schema"), name="docs"),
    path("v1/auth/token", tokens.TokenIssue.as_view(), name="token"),
    path("v1/auth/tokens", tokens.TokenList.as_view(), name="tokens"),
    path("v1/auth/tokens/<str:token_id>", tokens.TokenRevoke.as_view(), name="token-revoke"),
    path("v1/", include(platform.urlpatterns)),
    path("v1/hospitals/<str:hospital_code>/", include(hospital_patterns)),
]
