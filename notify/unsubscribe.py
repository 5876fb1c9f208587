"""One-click unsubscribe: a signed, expiring link in every mail (RFC 8058).

The token says whose mail stops and for which kinds: ``<payload>.<HMAC-SHA256>``, the payload
a base64 JSON ``{"u": user id, "k": [kinds], "iat": issued, epoch seconds}``. A forged or
expired token changes nothing. Unsubscribing turns e-mail off for those kinds (the user keeps
following and keeps in-app notices), which is what the mail's footer promises.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from core.clock import utcnow
from core.errors import DomainError
from core.settings import get_settings
from notify.models import Delivery, FollowKind
from notify.service import preferences, set_preferences

PATH = "/unsubscribe"


class BadLink(DomainError):
    status = 400


class ExpiredLink(DomainError):
    status = 410


@dataclass(frozen=True)
class Unsubscribe:
    user_id: int
    kinds: tuple[FollowKind, ...]


def _mac(payload: bytes) -> str:
    key = get_settings().effective_secret_key().encode()
    digest = hmac.new(key, b"unsubscribe:" + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(
    *, user_id: int, kinds: tuple[FollowKind, ...], issued_at: datetime | None = None
) -> str:
    body = {
        "u": user_id,
        "k": [k.value for k in kinds],
        "iat": int((issued_at or utcnow()).timestamp()),
    }
    payload = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload.rstrip(b'=').decode()}.{_mac(payload.rstrip(b'='))}"


def url_for(*, user_id: int, kinds: tuple[FollowKind, ...]) -> str:
    base = get_settings().base_url.rstrip("/")
    return f"{base}{PATH}?t={make_token(user_id=user_id, kinds=kinds)}"


def read_token(token: str) -> Unsubscribe:
    """The request a link makes; BadLink when forged or garbled, ExpiredLink when too old."""
    forged = BadLink(
        "This unsubscribe link is not valid (it may be incomplete); nothing was changed. "
        "Choose what you get by e-mail on your profile's notification settings."
    )
    payload, _, mac = token.partition(".")
    if not payload or not mac or len(token) > 500:
        raise forged
    if not hmac.compare_digest(_mac(payload.encode()), mac):
        raise forged
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        request = Unsubscribe(user_id=int(body["u"]), kinds=tuple(FollowKind(k) for k in body["k"]))
        issued = int(body["iat"])
    except (ValueError, KeyError, TypeError):
        raise forged from None
    age = utcnow().timestamp() - issued
    if age > timedelta(days=get_settings().unsubscribe_days).total_seconds():
        raise ExpiredLink(
            "This unsubscribe link has expired; nothing was changed. Sign in and choose what "
            "you get by e-mail on your profile's notification settings."
        )
    return request


def apply(*, session: Session, request: Unsubscribe) -> list[FollowKind]:
    """Turn e-mail off for the link's kinds; returns the kinds that changed."""
    current = preferences(session=session, user_id=request.user_id)
    changed = {k: Delivery.in_app for k in request.kinds if current[k] != Delivery.in_app}
    if changed:
        set_preferences(session=session, user_id=request.user_id, choices=changed)
    return list(changed)
