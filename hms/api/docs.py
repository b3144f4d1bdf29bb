"""The OpenAPI schema (/api/schema/) and its Swagger UI page (/api/docs/), served from our own
static files (drf-spectacular-sidecar): the CSP allows no CDN and no inline script or style."""

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


class SchemaView(SpectacularAPIView):
    pass


# Swagger UI's own stylesheet draws its icons as data: images.
@method_decorator(csp_update({"img-src": ["data:"]}), name="dispatch")
class DocsView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
    title = "HMS REST API"
