"""/healthz and /readyz: no login, no hospital, tiny, never cached; /healthz touches no database."""

import pytest
from django.db import OperationalError, connections
from django.urls import reverse

from hms.ops import health


def test_healthz_answers_without_any_database(client):
    # No `db` fixture: pytest-django refuses every query, so any database work would fail here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"] == "no-store"
    assert "sessionid" not in response.cookies
    assert reverse("healthz") == "/healthz"


@pytest.mark.django_db
def test_readyz_answers_while_the_shared_database_does(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"
    assert reverse("readyz") == "/readyz"


@pytest.mark.django_db
def test_readyz_is_503_when_the_shared_database_does_not_answer(client, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    health._last_not_ready_logged[0] = 0.0
    first = client.get("/readyz")
    second = client.get("/readyz")
    assert first.status_code == second.status_code == 503
    assert b"shared database" in first.content
    assert first["Cache-Control"] == "no-store"
    assert len([r for r in caplog.records if r.name == health.__name__]) == 1  # not once per probe


def test_probes_need_no_allowed_host_and_no_https(client, settings):
    """A kubelet or load balancer asks a process by its own address, over plain HTTP."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["hms.example.org"]
    response = client.get("/healthz", HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200
    assert client.get("/login/", HTTP_HOST="10.0.3.7:8000").status_code == 400  # everything else checks


def test_probes_answer_get_and_head_only(client):
    assert client.head("/healthz").status_code == 200
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
