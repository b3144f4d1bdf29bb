"""The base of every hospital endpoint: the hospital, the acting user and the client's address,
as the services and selectors take them.

    class ThingList(HospitalAPIView):
        def get(self, request: Request, hospital_code: str) -> Response:
            page = thing_page(user=self.acting_user, page_number=self.paginator.page_number(request),
                              client_address=self.client_address)
            return self.paginator.response(page, ThingSerializer(page.object_list, many=True).data)

Refusals (NotFound, NotAllowed), rule breaks (ApplicationError) and bad input become problem
bodies (hms.api.errors); the refusal is recorded in the hospital's audit log as for a page.
"""

from rest_framework.request import Request
from rest_framework.views import APIView

from hms.accounts.models import User
from hms.api.pagination import SelectorCursorPagination
from hms.api.permissions import HospitalMember, PlatformOperator
from hms.core.http import client_address
from hms.hospitals.models import Hospital


class ApiView(APIView):
    """Any API view: the acting user and the client's address."""

    request: Request

    @property
    def acting_user(self) -> User:
        user = self.request.user
        assert isinstance(user, User)  # noqa: S101 - the permission classes admit accounts only
        return user

    @property
    def client_address(self) -> str | None:
        return client_address(self.request._request)


class _SelectorPages(ApiView):
    # No `pagination_class`: the schema generator would wrap every list response (`many=True`)
    # in a page. A paged list declares its page serializer ({"next", "previous", "results"});
    # a short list answered whole declares `many=True` and is described as the bare list it is.
    pagination_class = None

    @property
    def paginator(self) -> SelectorCursorPagination:
        if not hasattr(self, "_paginator"):
            self._paginator = SelectorCursorPagination()
        return self._paginator


class HospitalAPIView(_SelectorPages):
    """An endpoint under /api/v1/hospitals/<CODE>/: the middleware has selected the hospital."""

    permission_classes = [HospitalMember]

    @property
    def hospital(self) -> Hospital:
        hospital: Hospital = self.request._request.hospital
        return hospital


class PlatformAPIView(_SelectorPages):
    """An endpoint of the platform operator (SUPERADMIN): no hospital, no clinical data."""

    permission_classes = [PlatformOperator]
