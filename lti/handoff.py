"""The "open in a new tab" fallback: where the browser blocks cookies inside the platform's
iframe, the launch's session never comes back; a one-time link (2 minutes, single use) lets the
learner continue in a first-party tab without launching again."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

import jwt
from sqlalchemy import update
from sqlmodel import Session, col

from core.clock import utcnow
from core.errors import InvalidInput
from core.settings import get_settings
from lti.models import LtiNonce
from users.models import User

HANDOFF_SECONDS = 120
_AUDIENCE = "checkfirst:lti-handoff"


def issue(*, session: Session, user: User, platform_id: int, url: str) -> str:
    jti = secrets.token_urlsafe(24)
    now = utcnow()
    session.add(
        LtiNonce(
            state=jti,
            nonce=secrets.token_urlsafe(24),
            purpose="handoff",
            platform_id=platform_id,
            created_at=now,
            expires_at=now + timedelta(seconds=HANDOFF_SECONDS),
        )
    )
    session.commit()
    payload = {"aud": _AUDIENCE, "jti": jti, "sub": str(user.id), "url": url,
               "exp": int(time.time()) + HANDOFF_SECONDS}  # fmt: skip
    return jwt.encode(payload, get_settings().effective_secret_key(), algorithm="HS256")


def redeem(*, session: Session, token: str) -> tuple[User, str]:
    """The user and landing page of a handoff link, which then stops working."""
    try:
        payload: dict[str, Any] = jwt.decode(
            token, get_settings().effective_secret_key(), algorithms=["HS256"], audience=_AUDIENCE
        )
    except jwt.PyJWTError as exc:
        raise InvalidInput(
            "This link has expired or is not valid; launch Checkfirst again from the course."
        ) from exc
    spent = session.execute(
        update(LtiNonce)
        .where(
            col(LtiNonce.state) == payload["jti"],
            col(LtiNonce.purpose) == "handoff",
            col(LtiNonce.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )
    session.commit()
    user = session.get(User, int(payload["sub"]))
    if spent.rowcount != 1 or user is None or not user.is_active:  # type: ignore[attr-defined]
        raise InvalidInput("This link was already used; launch Checkfirst again from the course.")
    url = str(payload["url"])
    return user, url if url.startswith("/") and not url.startswith("//") else "/"
