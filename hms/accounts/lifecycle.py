"""Account lifecycle pieces shared by every door that manages accounts (a hospital's staff
pages, the platform admin, commands): one-time set-password links and ending a user's sessions.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from hms.accounts.models import User


def set_password_path(user: User) -> str:
    """The one-time "set your password" address of `user` (a path: the page adds its host).

    It stops working once a password is set, when the password changes, and after
    PASSWORD_RESET_TIMEOUT. Never log or store it.
    """
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def user_sessions_end(user: User) -> int:
    """Delete every stored session of `user` (database-backed session engines); how many ended.

    Inactive accounts are refused at their next request anyway (Django's ModelBackend
    returns no user for them); deleting the sessions makes that immediate and final.
    """
    engine = import_module(settings.SESSION_ENGINE)
    store = getattr(engine, "SessionStore", None)
    if store is None or not issubclass(store, DatabaseSessionStore):
        return 0
    model = store.get_model_class()
    ended = []
    wanted = str(user.pk)
    sessions = model.objects.filter(expire_date__gt=timezone.now()).only("session_key", "session_data")
    for session in sessions.iterator():
        if str(session.get_decoded().get("_auth_user_id", "")) == wanted:
            ended.append(session.session_key)
            if store is not DatabaseSessionStore:  # cached_db: drop the cached copy too
                store(session.session_key).delete()
    model.objects.filter(session_key__in=ended).delete()
    return len(ended)
