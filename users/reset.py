"""Password reset by an e-mailed, signed, single-use link (issue #19).

The link carries the user id, the time it was made and a fingerprint of the user's current
password hash, signed with the app secret (itsdangerous). Nothing is stored: once the password
changes (this reset, or any other) the fingerprint no longer matches and every earlier link is
dead; after ``LINK_MINUTES`` it has expired. Mail goes through notify's outbox, which sits above
users: the app hands in the queueing function with ``set_mail_queue``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import unicodedata
from typing import Protocol

from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import escape
from sqlalchemy import update
from sqlmodel import Session, col, func, or_, select

from core.clock import utcnow
from core.errors import InvalidInput
from core.ratelimit import limiter
from core.security import hash_password
from core.settings import get_settings
from users.auth import end_all_sessions
from users.models import User

log = logging.getLogger("checkfirst.users")

LINK_MINUTES = 60
# Requests per account (whatever was typed) and per address; a refusal is the usual 429.
RATE_ACCOUNT = "3/3600"
RATE_IP = "20/3600"
# The registration rule (users.models.UserCreate.password).
PASSWORD_MIN, PASSWORD_MAX = 8, 256
PASSWORD_RULE = f"Password: use {PASSWORD_MIN} to {PASSWORD_MAX} characters."


class MailQueue(Protocol):
    def __call__(
        self, session: Session, *, user: User, subject: str, text: str, html: str, kind: str
    ) -> None: ...


_queue: MailQueue | None = None


def set_mail_queue(queue: MailQueue | None) -> None:
    """Called by the app at start-up with notify's queueing function."""
    global _queue
    _queue = queue


class InvalidLink(InvalidInput):
    """The link is forged, expired, or already used."""

    status = 400


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().effective_secret_key(), salt="password-reset")


def _fingerprint(password_hash: str) -> str:
    # Keyed, so the link never shows anything derived from the hash alone.
    key = get_settings().effective_secret_key().encode()
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:16]


def make_token(user: User) -> str:
    payload = {"u": user.id, "f": _fingerprint(user.password_hash), "t": int(utcnow().timestamp())}
    return _serializer().dumps(payload)


def read_token(*, session: Session, token: str) -> User:
    """The user a link is for; ``InvalidLink`` when forged, expired or used."""
    try:
        payload = _serializer().loads(token)
        user_id, fingerprint, made = int(payload["u"]), str(payload["f"]), int(payload["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise InvalidLink("This reset link is not valid. Ask for a new one.") from None
    if utcnow().timestamp() - made > LINK_MINUTES * 60:
        raise InvalidLink("This reset link has expired. Ask for a new one.")
    user = session.get(User, user_id)
    if (
        user is None
        or not user.is_active
        or user.is_system
        or not hmac.compare_digest(_fingerprint(user.password_hash), fingerprint)
    ):
        raise InvalidLink(
            "This reset link was already used or is no longer valid. Ask for a new one."
        )
    return user


def _find(session: Session, login: str) -> User | None:
    key = unicodedata.normalize("NFKC", login).strip().casefold()
    if not key:
        return None
    return session.exec(
        select(User).where(
            or_(func.lower(col(User.username)) == key, func.lower(col(User.email)) == key)
        )
    ).first()


def request_reset(*, session: Session, login: str, ip: str) -> None:
    """Mail a link to the account named by username or e-mail, if there is one with an address.

    Says nothing either way: the caller shows the same page whether or not anything was sent.
    """
    settings = get_settings()
    key = unicodedata.normalize("NFKC", login).strip().casefold()
    if settings.rate_limits_enabled:
        limiter.hit(f"reset-ip:{ip}", RATE_IP, what="password reset requests")
        limiter.hit(f"reset-user:{key}", RATE_ACCOUNT, what="password reset requests")
    user = _find(session, login)
    if user is None or not user.email or not user.is_active or user.is_system:
        return
    if _queue is None:
        log.warning("password reset for user %s: no mail queue wired, nothing sent", user.id)
        return
    link = f"{settings.base_url.rstrip('/')}/password-reset/{make_token(user)}"
    text = (
        f"Hello {user.name},\n\n"
        f"Someone (hopefully you) asked to reset the password of the Checkfirst account "
        f"{user.username}. Follow this link within {LINK_MINUTES} minutes to choose a new "
        f"one:\n\n{link}\n\nThe link works once. If you did not ask, ignore this message: "
        "your password stays as it is.\n"
    )
    html = (
        f"<p>Hello {escape(user.name)},</p><p>Someone (hopefully you) asked to reset the "
        f"password of the Checkfirst account <b>{escape(user.username)}</b>. Follow this link "
        f"within {LINK_MINUTES} minutes to choose a new one:</p>"
        f'<p><a href="{escape(link)}">Choose a new password</a></p>'
        "<p>The link works once. If you did not ask, ignore this message: your password stays "
        "as it is.</p>"
    )
    _queue(
        session, user=user, subject="Reset your Checkfirst password", text=text, html=html,
        kind="password_reset",
    )  # fmt: skip


def check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInput(PASSWORD_RULE)


def complete_reset(*, session: Session, token: str, password: str, confirm: str) -> User:
    """Set the new password and sign the user out everywhere; the link dies with the old hash."""
    user = read_token(session=session, token=token)
    check_password(password)
    if password != confirm:
        raise InvalidInput("The two passwords differ; type the same one twice.")
    # Compare-and-set on the old hash: of two submits of one link, only the first wins.
    changed = session.execute(
        update(User)
        .where(col(User.id) == user.id, col(User.password_hash) == user.password_hash)
        .values(password_hash=hash_password(password))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidLink("This reset link was already used. Ask for a new one.")
    session.refresh(user)
    end_all_sessions(session=session, user=user)
    return user
