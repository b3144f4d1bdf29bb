"""Forms of the sign-in pages: codes typed by people, and the password reset request."""

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm

from hms.core.forms import PlainTextForm, PlainTextMixin
from hms.security.log import Kind, security_record


class TokenForm(PlainTextForm):
    token = forms.CharField(
        label="Code",
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class ResetRequestForm(PlainTextMixin, PasswordResetForm):
    """Django's reset form (one answer whether or not the address has an account), which also
    writes each request to the security log: the accounts it matched, never the link."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        request = kwargs.get("request")
        email = self.cleaned_data["email"]
        matched = list(self.get_users(email))
        for user in matched:
            security_record(Kind.PASSWORD_RESET_REQUESTED, user=user, request=request)
        if not matched:
            security_record(Kind.PASSWORD_RESET_REQUESTED, request=request, detail={"accounts_matched": 0})
        super().save(*args, **kwargs)
