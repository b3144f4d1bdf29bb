"""The request a hospital page receives, for views to annotate with.

HospitalMiddleware sets `hospital` once it has let in a signed-in user who may enter
it; this class adds nothing at run time.
"""

from typing import TYPE_CHECKING

from django.http import HttpRequest

from hms.hospitals.models import Hospital

if TYPE_CHECKING:
    # settings.AUTH_USER_MODEL (hms.accounts.models.User), as django-stubs resolves it: the
    # engine sits below hms.accounts (whose permissions read the hospital context) and
    # does not import it, even for types.
    from django.contrib.auth.models import _User


class HospitalRequest(HttpRequest):
    user: "_User"
    hospital: Hospital
