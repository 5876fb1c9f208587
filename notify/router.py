"""API: follow courses and assignments; choose how each kind of follow reaches you."""

from __future__ import annotations

from fastapi import APIRouter

from core.db import SessionDep
from core.schemas import Message
from notify import service
from notify.models import FollowKind
from notify.schemas import FollowBody, FollowPublic, Preferences
from users.policy import CurrentUser

router = APIRouter(tags=["notifications"])


@router.get("/follows", response_model=list[FollowPublic])
def list_follows(user: CurrentUser, session: SessionDep) -> list[FollowPublic]:
    """The courses and assignments you follow."""
    assert user.id is not None
    rows = service.list_follows(session=session, user_id=user.id)
    return [FollowPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/follows", response_model=Message, status_code=201)
def follow(body: FollowBody, user: CurrentUser, session: SessionDep) -> Message:
    """Follow a course or an assignment (404 if it does not exist)."""
    assert user.id is not None
    new = service.follow(session=session, user_id=user.id, kind=body.kind, target_id=body.target_id)
    return Message(detail="Following." if new else "Already following.")


@router.delete("/follows/{kind}/{target_id}", response_model=Message)
def unfollow(kind: FollowKind, target_id: int, user: CurrentUser, session: SessionDep) -> Message:
    """Stop following; nothing happens if you were not following."""
    assert user.id is not None
    gone = service.unfollow(session=session, user_id=user.id, kind=kind, target_id=target_id)
    return Message(detail="No longer following." if gone else "You were not following it.")


@router.get("/notification-preferences", response_model=Preferences)
def get_preferences(user: CurrentUser, session: SessionDep) -> Preferences:
    """How each kind of follow reaches you (your choice, or the default)."""
    assert user.id is not None
    chosen = service.preferences(session=session, user_id=user.id)
    return Preferences(**{k.value: v for k, v in chosen.items()})


@router.put("/notification-preferences", response_model=Preferences)
def put_preferences(body: Preferences, user: CurrentUser, session: SessionDep) -> Preferences:
    """Change some kinds' delivery; kinds left out keep theirs."""
    assert user.id is not None
    choices = {FollowKind(k): v for k, v in body.model_dump(exclude_none=True).items()}
    chosen = service.set_preferences(session=session, user_id=user.id, choices=choices)
    return Preferences(**{k.value: v for k, v in chosen.items()})
