"""Bench-only settings of bench/pg_throughput.py's baseline: the same site with no tenant routing.

Production settings with every table in one database: the tenant apps (patients,
audit) become shared apps, so `migrate` puts them in DATABASE_URL's database
beside the registry, users and sessions; there is no database router and no
HospitalMiddleware. /h/<CODE>/ is served by the wrapper in
bench/pg_untenanted_urls.py, which calls the very same hms.web.views.hospital_home.
Never used outside the benchmark.
"""

from config.settings.production import *  # noqa: F403
from config.settings.production import MIDDLEWARE, SHARED_APPS, TENANT_APPS

SHARED_APPS = [*SHARED_APPS, *TENANT_APPS]
TENANT_APPS = []
INSTALLED_APPS = SHARED_APPS  # the same apps in the same order as production's
DATABASE_ROUTERS = []
MIDDLEWARE = [m for m in MIDDLEWARE if m != "hms.tenancy.middleware.HospitalMiddleware"]
ROOT_URLCONF = "bench.pg_untenanted_urls"
HMS_DATABASE_SERVERS = ""
# The tenancy checks that insist on the router and the middleware removed above.
SILENCED_SYSTEM_CHECKS = ["tenancy.E003", "tenancy.E004"]
