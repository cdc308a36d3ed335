"""Email to teammates (notifications), sent by a job after the transaction commits.

Every email the app sends goes through :func:`send_email`: it defers
:func:`deliver` so a slow mail server never holds up a request, and a
rolled-back request sends nothing. :func:`deliver` picks the transport: a
callable in ``runtime.extras["mail_transport"]`` (tests, or another route
such as a transactional-mail API), else SMTP from ``UNPLUGGED_SMTP_URL``,
else it logs that mail is not configured. Swap the transport, not the callers.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy.orm import Session

from inbox.queue import defer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    body: str
    html: str | None = None  # an HTML alternative to the plain-text body (the weekly digest)


Transport = Callable[[OutgoingEmail], None]


def send_email(session: Session, to: str, subject: str, body: str) -> None:
    """Queue an email to go out once ``session`` commits."""
    defer(session, deliver, to, subject[:200], body, queue="default")


def deliver(to: str, subject: str, body: str) -> None:
    """The job: hand one email to the configured transport."""
    from inbox.runtime import get_runtime

    rt = get_runtime()
    email = OutgoingEmail(to, subject, body)
    transport = rt.extras.get("mail_transport")
    if callable(transport):
        transport(email)
        return
    settings = rt.settings
    if not settings.smtp_url or not settings.mail_from:
        log.warning("email to %s not sent: UNPLUGGED_SMTP_URL / UNPLUGGED_MAIL_FROM unset", to)
        return
    smtp_send(settings.smtp_url, settings.mail_from, email)


def smtp_send(url: str, sender: str, email: OutgoingEmail) -> None:
    """Send through ``smtp://user:pass@host:587`` (STARTTLS when offered) or ``smtps://``."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("UNPLUGGED_SMTP_URL must look like smtp://user:password@host:587")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, email.to, email.subject
    msg.set_content(email.body)
    if email.html is not None:
        msg.add_alternative(email.html, subtype="html")
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(parts.hostname, parts.port or 465, context=context, timeout=30)
    else:
        client = smtplib.SMTP(parts.hostname, parts.port or 587, timeout=30)
    with client:
        if parts.scheme == "smtp":
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(msg)
