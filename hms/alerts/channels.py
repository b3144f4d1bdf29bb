"""How an alert reaches people besides their start page (which always lists it): the channels a
hospital may switch on. A channel is a small class registered here by key; SMS or a webhook
is one more class and one more `channel_add`, and the ADMIN's settings page offers it.

A notice carries no patient data: it says that a critical result waits and where to
acknowledge it, because e-mail and text messages leave the hospital's systems. It is sent
after the transaction that raised or escalated the alert commits; a channel that fails is
logged and never undoes the alert, which the start page shows anyway.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail

from hms.accounts.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str
    url: str  # the page where it is acknowledged (a path on this site)


class Channel(Protocol):
    key: str
    label: str

    def send(self, notice: Notice, recipients: Iterable[User]) -> None: ...


class EmailChannel:
    """E-mail through Django's e-mail backend (DJANGO_EMAIL_URL), to each recipient's address."""

    key = "email"
    label = "E-mail (to the clinician's address on their account)"

    def send(self, notice: Notice, recipients: Iterable[User]) -> None:
        addresses = sorted({user.email for user in recipients if user.email})
        if not addresses:
            return
        body = f"{notice.body}\n\nSign in and acknowledge it: {notice.url}\n"
        # One message per person: no recipient learns who else was told.
        for address in addresses:
            send_mail(notice.subject, body, settings.DEFAULT_FROM_EMAIL, [address])


CHANNELS: dict[str, Channel] = {}


def channel_add(channel: Channel) -> None:
    CHANNELS[channel.key] = channel


channel_add(EmailChannel())


def channels_send(keys: Iterable[str], notice: Notice, recipients: list[User]) -> None:
    """Send `notice` to `recipients` through each channel named in `keys` (unknown keys skipped)."""
    for key in keys:
        channel = CHANNELS.get(key)
        if channel is None:
            continue
        try:
            channel.send(notice, recipients)
        except Exception:  # noqa: BLE001 - a channel down must not lose the alert, which the page shows
            logger.exception("Critical alert notice through %s failed", key)
