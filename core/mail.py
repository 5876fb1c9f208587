"""E-mail: build a message (plain text with an HTML alternative) and hand it over.

``SmtpSender`` speaks SMTP to ``CHECKFIRST_SMTP_URL``; when that is unset, ``FileSender`` writes
each message as an ``.eml`` file under ``<data_dir>/mail/`` so a newcomer can read what would
have gone out. Neither knows who gets mail or why: that is ``notify/``.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from core.clock import utcnow
from core.settings import Settings


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    # Extra headers, e.g. List-Unsubscribe; never To/From/Subject.
    headers: dict[str, str] = field(default_factory=dict)
    # Stable per outbox row, so a receiver can tell a retried message from a new one.
    message_id: str | None = None


def build_message(mail: Mail, *, from_addr: str) -> EmailMessage:
    """A multipart/alternative message: the plain text first, the HTML preferred by clients."""
    msg = EmailMessage()
    msg["From"] = from_addr
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = mail.message_id or make_msgid(domain="checkfirst")
    for name, value in mail.headers.items():
        msg[name] = value
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    return msg


class MailSender(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class PermanentFailure(Exception):
    """The server refused this message for good (5xx): retrying will not help."""


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    ssl: bool
    starttls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp://user:pass@host:port`` (``?starttls=1`` to upgrade) or ``smtps://…`` (TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("CHECKFIRST_SMTP_URL must look like smtp://user:pass@host:port")
    secure = parts.scheme == "smtps"
    query = parse_qs(parts.query)
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if secure else 25),
        ssl=secure,
        starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class SmtpSender:
    """One connection, opened on first use and reused for a batch."""

    def __init__(self, url: str, *, timeout: float = 20.0) -> None:
        self.target = parse_smtp_url(url)
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        t = self.target
        smtp: smtplib.SMTP
        if t.ssl:
            smtp = smtplib.SMTP_SSL(
                t.host, t.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(t.host, t.port, timeout=self.timeout)
            if t.starttls:
                smtp.starttls(context=ssl.create_default_context())
        if t.username:
            smtp.login(t.username, t.password or "")
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(f"recipient refused: {codes}") from exc
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise PermanentFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            self.close()
            raise
        except (OSError, smtplib.SMTPException):
            # The connection is in an unknown state: the next send opens a fresh one.
            self.close()
            raise
        if refused:
            raise PermanentFailure(f"recipient refused: {refused}")

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


class FileSender:
    """Development without a mail server: each message becomes ``<dir>/<time>-<n>.eml``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        # Written to a temporary name and renamed, so a reader never sees half a message.
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(message.as_bytes())
        os.replace(tmp, self.directory / f"{stamp}-{os.getpid()}.eml")

    def close(self) -> None:
        pass


def sender_for(settings: Settings) -> MailSender:
    if settings.smtp_url:
        return SmtpSender(settings.smtp_url, timeout=settings.smtp_timeout_seconds)
    return FileSender(settings.data_dir / "mail")


def address(name: str, email: str) -> str:
    return formataddr((name, email))
