from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hms.accounts.mfa import mfa_required, mfa_reset
from hms.accounts.models import User


class Command(BaseCommand):
    help = (
        "Remove an account's second factor (authenticator and recovery codes), for someone who lost "
        "both. Check who is asking first. If their role requires one, they set up a new one at their "
        "next sign-in. Recorded in the security log."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", help="the account's username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = User.objects.filter(username=username).select_related("hospital").first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        removed = mfa_reset(user=user)
        then = (
            "sets up a new one at the next sign-in"
            if mfa_required(user)
            else "signs in with the password alone"
        )
        self.stdout.write(f"Removed {removed} device(s) of {username}; the account {then}.")
