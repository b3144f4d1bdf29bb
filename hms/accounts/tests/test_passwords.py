"""Passwords: Argon2, the change page, one-time reset links, and sessions ended by either."""

import re

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from config.settings import base
from hms.accounts.tests.conftest import PASSWORD, sign_in
from hms.security.log import Kind
from hms.security.models import SecurityEvent

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-new-Passphrase-42"


@pytest.fixture
def argon2(settings):
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS


def test_the_base_settings_hash_new_passwords_with_argon2_and_read_older_ones(argon2, doctor):
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in base.PASSWORD_HASHERS
    doctor.set_password(PASSWORD)
    assert doctor.password.startswith("argon2$argon2id$")


def test_an_older_hash_becomes_argon2_at_the_next_sign_in(argon2, client, doctor):
    doctor.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    doctor.save()

    sign_in(client, "doc")

    assert SESSION_KEY in client.session
    doctor.refresh_from_db()
    assert doctor.password.startswith("argon2$")


def test_the_test_settings_keep_a_fast_hasher():
    assert django_settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_signing_in_gives_a_new_session_key(client, doctor):
    session = client.session
    session["before"] = "anonymous"
    session.save()
    before = session.session_key

    sign_in(client, "doc")

    assert SESSION_KEY in client.session
    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_changing_the_password_ends_every_other_session_and_keeps_this_one(doctor):
    here, elsewhere = Client(), Client()
    sign_in(here, "doc")
    sign_in(elsewhere, "doc")
    assert elsewhere.get("/h/TH001/").status_code == 200
    key_before = here.session.session_key

    response = here.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    assert here.get("/h/TH001/").status_code == 200
    assert here.session.session_key != key_before
    gone = elsewhere.get("/h/TH001/")
    assert gone.status_code == 302 and gone["Location"].startswith("/login/")
    event = SecurityEvent.objects.get(kind=Kind.PASSWORD_CHANGED)
    assert event.user_id == doctor.pk
    assert NEW_PASSWORD not in str(event.detail) and PASSWORD not in str(event.detail)
    doctor.refresh_from_db()
    assert doctor.check_password(NEW_PASSWORD)


def test_a_wrong_old_password_changes_nothing(client, doctor):
    sign_in(client, "doc")
    response = client.post(
        reverse("password_change"),
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    doctor.refresh_from_db()
    assert doctor.check_password(PASSWORD)
    assert not SecurityEvent.objects.filter(kind=Kind.PASSWORD_CHANGED).exists()


def test_the_change_page_needs_a_signed_in_user(client):
    assert client.get(reverse("password_change"))["Location"].startswith("/login/")


def _reset_link():
    assert len(mail.outbox) == 1
    return re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[0].body).group(1)


def test_the_reset_form_answers_the_same_for_a_known_and_an_unknown_address(client, doctor):
    doctor.email = "doc@example.org"
    doctor.save()

    known = client.post(reverse("password_reset"), {"email": "doc@example.org"}, follow=True)
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)

    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert known.content == unknown.content
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["doc@example.org"]
    requested = list(SecurityEvent.objects.filter(kind=Kind.PASSWORD_RESET_REQUESTED).order_by("id"))
    assert [(event.user_id, event.detail) for event in requested] == [
        (doctor.pk, {}),
        (None, {"accounts_matched": 0}),
    ]


def test_a_reset_link_works_once_and_ends_every_session(client, doctor):
    doctor.email = "doc@example.org"
    doctor.save()
    elsewhere = Client()
    sign_in(elsewhere, "doc")
    client.post(reverse("password_reset"), {"email": "doc@example.org"})
    link = _reset_link()
    assert "token" not in str(list(SecurityEvent.objects.values())).lower()

    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    doctor.refresh_from_db()
    assert doctor.check_password(NEW_PASSWORD)
    assert SecurityEvent.objects.filter(kind=Kind.PASSWORD_RESET, user_id=doctor.pk).count() == 1
    assert elsewhere.get("/h/TH001/")["Location"].startswith("/login/")

    again = Client().get(link, follow=True)
    assert again.status_code == 200
    assert not again.context["validlink"]
    assert b"This link does not work" in again.content

    sign_in(client, "doc", NEW_PASSWORD)
    assert SESSION_KEY in client.session
