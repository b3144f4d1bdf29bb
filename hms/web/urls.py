from django.urls import path

from hms.web import views
from hms.web.dashboard import CHARTS

urlpatterns = [
    path("", views.home, name="home"),
    path("h/<str:hospital_code>/", views.hospital_home, name="hospital-home"),
    path("h/<str:hospital_code>/patient-list/", views.patient_list, name="patient-list"),
    *(
        path(
            f"h/<str:hospital_code>/dashboard/{slug}.csv",
            views.dashboard_csv,
            {"chart": slug},
            name=f"dashboard-csv-{slug}",
        )
        for slug in CHARTS
    ),
]
