"""Named for reverse() and the authorization walk; OperationsEndpointsMiddleware answers them first."""

from django.urls import path

from hms.ops import health, metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
]
