"""API: registration, sign-in, the current user and personal API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import col, select

from core.access import Public
from core.clock import utcnow
from core.db import SessionDep
from core.errors import NotFound
from core.schemas import Message, Page
from core.security import client_ip, is_https
from users import auth
from users.models import (
    ApiToken,
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenPublic,
    UserCreate,
    UserPublic,
)
from users.policy import CurrentUser
from users.schemas import LoginBody

router = APIRouter(tags=["users"])


@router.post("/auth/register", response_model=UserPublic, status_code=201, dependencies=[Public])
def register(body: UserCreate, request: Request, session: SessionDep) -> UserPublic:
    """Create a learner account."""
    user = auth.create_user(session=session, user_create=body, ip=client_ip(request))
    return UserPublic.model_validate(user)


@router.post("/auth/login", response_model=UserPublic, dependencies=[Public])
def login(body: LoginBody, request: Request, response: Response, session: SessionDep) -> UserPublic:
    """Sign in and receive a session cookie."""
    user = auth.authenticate(
        session=session,
        username=body.username,
        password=body.password,
        ip=client_ip(request),
        device=request.cookies.get(auth.DEVICE_COOKIE),
    )
    auth.start_session(session=session, user=user, response=response, secure=is_https(request))
    return UserPublic.model_validate(user)


@router.post("/auth/logout", response_model=Message, dependencies=[Public])
def logout(request: Request, response: Response, session: SessionDep) -> Message:
    """End this browser's session; the old cookie stops working at once."""
    auth.end_session(session=session, request=request, response=response)
    return Message(detail="Signed out.")


@router.post("/auth/logout-everywhere", response_model=Message)
def logout_everywhere(
    user: CurrentUser, request: Request, response: Response, session: SessionDep
) -> Message:
    """End every session of this account and revoke its personal API tokens."""
    ended, revoked = auth.end_all_sessions(session=session, user=user)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return Message(
        detail=f"Signed out everywhere: {ended} sessions ended, {revoked} API tokens revoked."
    )


@router.get("/users/me", response_model=UserPublic)
def read_me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)


@router.get("/tokens", response_model=Page[ApiTokenPublic])
def list_tokens(user: CurrentUser, session: SessionDep) -> Page[ApiTokenPublic]:
    rows = session.exec(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(col(ApiToken.id).desc())
    ).all()
    return Page(data=[ApiTokenPublic.model_validate(t) for t in rows], count=len(rows))


@router.post("/tokens", response_model=ApiTokenCreated, status_code=201)
def create_token(body: ApiTokenCreate, user: CurrentUser, session: SessionDep) -> ApiTokenCreated:
    """Create a token; its secret is shown in this response only."""
    token, secret = auth.create_api_token(
        session=session, user=user, name=body.name, scope=body.scope
    )
    return ApiTokenCreated(**ApiTokenPublic.model_validate(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=ApiTokenPublic)
def revoke_token(token_id: int, user: CurrentUser, session: SessionDep) -> ApiTokenPublic:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        session.commit()
    return ApiTokenPublic.model_validate(token)
