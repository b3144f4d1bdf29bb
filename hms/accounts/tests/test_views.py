import pytest
from django.contrib.auth import SESSION_KEY

from hms.accounts.models import Role

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def th001(make_hospital):
    return make_hospital("TH001", name="Test Hospital")


@pytest.mark.django_db
def test_login_page_renders(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


@pytest.mark.django_db
def test_login_with_the_right_password_leads_to_the_users_hospital(client, th001, make_user):
    user = make_user("doc", role=Role.DOCTOR, hospital=th001, password=PASSWORD)

    response = client.post("/login/", {"username": "doc", "password": PASSWORD}, follow=True)

    assert [url for url, _ in response.redirect_chain] == ["/", "/h/TH001/"]
    assert response.status_code == 200
    assert int(client.session[SESSION_KEY]) == user.pk
    assert response.wsgi_request.user == user
    assert b"Test Hospital" in response.content


@pytest.mark.django_db
def test_login_with_a_wrong_password_shows_an_error_and_does_not_log_in(client, th001, make_user):
    make_user("doc", role=Role.DOCTOR, hospital=th001, password=PASSWORD)

    response = client.post("/login/", {"username": "doc", "password": "not-the-password"})

    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert response.context["form"].non_field_errors()
    assert b"errorlist" in response.content
    # Still anonymous: the hospital page sends us back to the login page.
    assert client.get("/h/TH001/")["Location"].startswith("/login/")


@pytest.mark.django_db
def test_login_of_an_unknown_user_fails_the_same_way(client, th001):
    response = client.post("/login/", {"username": "ghost", "password": PASSWORD})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert response.context["form"].non_field_errors()


@pytest.mark.django_db
def test_logout_is_a_post_and_ends_the_session(client, th001, make_user):
    make_user("doc", role=Role.DOCTOR, hospital=th001, password=PASSWORD)
    assert client.login(username="doc", password=PASSWORD)
    assert client.get("/h/TH001/").status_code == 200

    assert client.get("/logout/").status_code == 405  # GET must not log anyone out
    assert SESSION_KEY in client.session

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert SESSION_KEY not in client.session
    after = client.get("/h/TH001/")
    assert after.status_code == 302
    assert after["Location"].startswith("/login/")


@pytest.mark.django_db
def test_superadmin_without_a_hospital_lands_on_the_hospital_list(client, make_hospital, make_user):
    make_hospital("TH001", name="Test Hospital")
    make_hospital("DMC001", name="Downtown Medical Center")
    make_user("root", role=Role.SUPERADMIN, hospital=None, password=PASSWORD)

    response = client.post("/login/", {"username": "root", "password": PASSWORD}, follow=True)

    assert [url for url, _ in response.redirect_chain] == ["/"]
    assert response.status_code == 200
    assert [h.code for h in response.context["hospitals"]] == ["DMC001", "TH001"]
    assert b'href="/h/TH001/"' in response.content
    assert b'href="/h/DMC001/"' in response.content
    assert b"Downtown Medical Center" in response.content


@pytest.mark.django_db
def test_anonymous_home_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
