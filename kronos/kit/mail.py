"""Outgoing mail behind one interface: SMTP when ``KRONOS_SMTP_HOST`` is set, the log otherwise.

Messages are sent after the request's transaction has committed (routers hand them to background tasks),
so nobody gets a link to a row that was rolled back. ``smtplib`` runs in a worker thread: one more
dependency (aiosmtplib) is not worth it for a handful of messages.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

from kronos.config import Settings
from kronos.kit.logging import get_logger

_log = get_logger("kronos.mail")


@dataclass(frozen=True, slots=True)
class Message:
    to: str
    subject: str
    text: str


class Mailer(Protocol):
    async def send(self, message: Message) -> None: ...


class LogMailer:
    """No SMTP server configured. In development the whole message is logged, so a developer can follow
    the link in it; elsewhere only the fact that a message was dropped (its body holds a secret link)."""

    def __init__(self, settings: Settings) -> None:
        self.show_body = settings.env == "development"

    async def send(self, message: Message) -> None:
        if self.show_body:
            _log.info("mail.not_sent_smtp_off", to=message.to, subject=message.subject, body=message.text)
        else:
            # Not the body: a reset or invitation link in a log is a key to an account for whoever reads it.
            _log.warning(
                "mail not sent: SMTP is not configured (set KRONOS_SMTP_HOST)",
                to=message.to,
                subject=message.subject,
            )


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host
        self.settings = settings
        self.host = settings.smtp_host

    def _build(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.settings.smtp_from
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Message-ID"] = make_msgid(domain="kronos")
        email.set_content(message.text)
        return email

    def _send_sync(self, message: Message) -> None:
        s = self.settings
        smtp: smtplib.SMTP
        if s.smtp_ssl:
            smtp = smtplib.SMTP_SSL(
                self.host, s.smtp_port, timeout=s.smtp_timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(self.host, s.smtp_port, timeout=s.smtp_timeout)
        with smtp:
            if s.smtp_starttls and not s.smtp_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                smtp.login(s.smtp_username, password)
            smtp.send_message(self._build(message))

    async def send(self, message: Message) -> None:
        await asyncio.to_thread(self._send_sync, message)
        _log.info("mail.sent", to=message.to, subject=message.subject)


def delivers(settings: Settings) -> bool:
    """Whether mail reaches its recipients (SMTP is configured) rather than the log."""
    return bool(settings.smtp_host)


def create_mailer(settings: Settings) -> Mailer:
    return SmtpMailer(settings) if settings.smtp_host else LogMailer(settings)


async def send_all(mailer: Mailer, messages: Iterable[Message]) -> None:
    """Send each message; one that fails is logged and does not stop the others."""
    for message in messages:
        try:
            await mailer.send(message)
        except (OSError, smtplib.SMTPException) as exc:
            _log.error("mail.failed", to=message.to, subject=message.subject, error=type(exc).__name__)
