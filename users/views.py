"""Pages: sign in, register, sign out, profile and API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlmodel import col, select

from core.access import Public
from core.clock import utcnow
from core.db import SessionDep
from core.errors import DomainError, RateLimited
from core.paths import safe_next
from core.security import client_ip, is_https
from core.templating import page
from users import auth, reset, service
from users.models import ApiToken, TokenScope, UserCreate
from users.policy import CurrentUser

router = APIRouter(include_in_schema=False)


def _with_retry_after(exc: DomainError, response: Any) -> Any:
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@router.get("/login", dependencies=[Public])
def login_form(request: Request, next: str = "/") -> Any:
    return page(request, "auth/login.html", next=safe_next(next), error=None)


@router.post("/login", dependencies=[Public])
def login_submit(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Any:
    try:
        user = auth.authenticate(
            session=session,
            username=username,
            password=password,
            ip=client_ip(request),
            device=request.cookies.get(auth.DEVICE_COOKIE),
        )
    except DomainError as exc:
        return _with_retry_after(exc, page(
            request, "auth/login.html", status_code=exc.status, next=next, error=exc.message,
            username=username,
        ))  # fmt: skip
    response = RedirectResponse(safe_next(next), status_code=303)
    auth.start_session(session=session, user=user, response=response, secure=is_https(request))
    return response


USERNAME_RULE = "3 to 32 characters: letters, digits, dots, hyphens and underscores (no spaces)."


def _register_message(exc: ValidationError) -> str:
    """Say what each refused field allows, not the pattern it failed."""
    parts = []
    for e in exc.errors():
        field = str(e["loc"][0])
        if field == "username":
            parts.append(f"Username: use {USERNAME_RULE[0].lower()}{USERNAME_RULE[1:]}")
        elif field == "password":
            parts.append("Password: use 8 to 256 characters.")
        else:
            parts.append(f"{field.replace('_', ' ').capitalize()}: {e['msg']}")
    return " ".join(dict.fromkeys(parts))


@router.get("/register", dependencies=[Public])
def register_form(request: Request) -> Any:
    return page(request, "auth/register.html", error=None, values={}, username_rule=USERNAME_RULE)


@router.post("/register", dependencies=[Public])
def register_submit(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
) -> Any:
    values = {"username": username, "display_name": display_name, "email": email}
    try:
        body = UserCreate(
            username=username, password=password, display_name=display_name,
            email=email.strip() or None,
        )  # fmt: skip
        user = auth.create_user(session=session, user_create=body, ip=client_ip(request))
    except ValidationError as exc:
        return page(
            request, "auth/register.html", 422, error=_register_message(exc), values=values,
            username_rule=USERNAME_RULE,
        )  # fmt: skip
    except DomainError as exc:
        response = page(
            request, "auth/register.html", exc.status, error=exc.message, values=values,
            username_rule=USERNAME_RULE,
        )  # fmt: skip
        return _with_retry_after(exc, response)
    response = RedirectResponse("/", status_code=303)
    auth.start_session(session=session, user=user, response=response, secure=is_https(request))
    return response


@router.post("/logout", dependencies=[Public])
def logout(request: Request, session: SessionDep) -> Any:
    response = RedirectResponse("/", status_code=303)
    auth.end_session(session=session, request=request, response=response)
    return response


@router.get("/profile")
def profile(request: Request, user: CurrentUser, session: SessionDep) -> Any:
    tokens = session.exec(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(col(ApiToken.id).desc())
    ).all()
    return page(request, "auth/profile.html", user=user, tokens=tokens, new_token=None)


@router.post("/profile/tokens")
def create_token(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    scope: Annotated[TokenScope, Form()] = TokenScope.full,
) -> Any:
    name = name.strip()[:80] or "token"
    _, secret = auth.create_api_token(session=session, user=user, name=name, scope=scope)
    tokens = session.exec(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(col(ApiToken.id).desc())
    ).all()
    return page(request, "auth/profile.html", 201, user=user, tokens=tokens, new_token=secret)


@router.post("/profile/tokens/{token_id}/revoke")
def revoke_token(token_id: int, user: CurrentUser, session: SessionDep) -> Any:
    token = session.get(ApiToken, token_id)
    if token is not None and token.user_id == user.id and token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        session.commit()
    return RedirectResponse("/profile", status_code=303)


@router.post("/profile/email")
def change_email(
    request: Request, user: CurrentUser, session: SessionDep, email: Annotated[str, Form()] = ""
) -> Any:
    """Set, change or (empty) remove the address mail goes to; invalid ones are refused."""
    try:
        service.set_email(session=session, user=user, email=email)
    except DomainError as exc:
        tokens = session.exec(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(col(ApiToken.id).desc())
        ).all()
        return page(
            request, "auth/profile.html", exc.status, user=user, tokens=tokens, new_token=None,
            email_error=exc.message, email_value=email,
        )  # fmt: skip
    return RedirectResponse("/profile", status_code=303)


@router.post("/profile/sign-out-everywhere")
def sign_out_everywhere(request: Request, user: CurrentUser, session: SessionDep) -> Any:
    auth.end_all_sessions(session=session, user=user)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


# Password reset (users.reset): ask for a link, then choose a new password through it.

RESET_SENT = (
    "If an account with that username or e-mail exists, we sent it a link to reset the "
    "password. It works once, within an hour."
)


@router.get("/password-reset", dependencies=[Public])
def reset_request_form(request: Request) -> Any:
    return page(request, "auth/reset_request.html", sent=False, error=None)


@router.post("/password-reset", dependencies=[Public])
def reset_request_submit(
    request: Request, session: SessionDep, login: Annotated[str, Form()] = ""
) -> Any:
    """The same answer whether or not the account exists (no existence leak)."""
    if not login.strip():
        return page(request, "auth/reset_request.html", 422, sent=False,
                    error="Enter your username or e-mail address.")  # fmt: skip
    try:
        reset.request_reset(session=session, login=login, ip=client_ip(request))
    except DomainError as exc:
        return _with_retry_after(
            exc, page(request, "auth/reset_request.html", exc.status, sent=False, error=exc.message)
        )
    return page(request, "auth/reset_request.html", sent=True, error=None, message=RESET_SENT)


@router.get("/password-reset/{token}", dependencies=[Public])
def reset_form(request: Request, session: SessionDep, token: str) -> Any:
    try:
        user = reset.read_token(session=session, token=token)
    except DomainError as exc:
        return page(request, "auth/reset_invalid.html", exc.status, error=exc.message)
    return page(request, "auth/reset_form.html", token=token, username=user.username,
                error=None, rule=reset.PASSWORD_RULE)  # fmt: skip


@router.post("/password-reset/{token}", dependencies=[Public])
def reset_submit(
    request: Request,
    session: SessionDep,
    token: str,
    password: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Any:
    try:
        user = reset.complete_reset(
            session=session, token=token, password=password, confirm=confirm
        )
    except reset.InvalidLink as exc:
        return page(request, "auth/reset_invalid.html", exc.status, error=exc.message)
    except DomainError as exc:
        username = reset.read_token(session=session, token=token).username
        return page(request, "auth/reset_form.html", exc.status, token=token, username=username,
                    error=exc.message, rule=reset.PASSWORD_RULE)  # fmt: skip
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    auth.start_session(session=session, user=user, response=response, secure=is_https(request))
    return response
