"""API test helpers: a client that holds a bearer token."""

import pytest
from django.test import Client

from hms.accounts.tests.factories import TEST_PASSWORD


def token_for(client: Client, username: str, password: str = TEST_PASSWORD, **extra):
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password, **extra},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()["token"]


class ApiClient(Client):
    """A test client that sends `Authorization: Bearer <token>` and JSON bodies."""

    def __init__(self, token: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.token = token

    def request(self, **request):
        if self.token:
            request.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        return super().request(**request)


@pytest.fixture
def api_for(make_user):
    """`api_for(user)`: an ApiClient holding a fresh token of `user` (made with the test password)."""

    def make(user):
        return ApiClient(token_for(Client(), user.username))

    return make


# The clinical resources' hospital (hms.api.tests.clinic), for their test modules.
from hms.api.tests.clinic import clinic  # noqa: E402, F401
