from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "HMS platform administration"
admin.site.site_title = "HMS admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("hms.accounts.urls")),
    path("", include("hms.web.urls")),
]
