"""Who may call what: every route declares one of these policies (ACCEPTANCE A1, invariant 6).

Each policy is a FastAPI dependency tagged with ``__policy__``; ``tests/core/test_authz_walk.py``
walks every route and fails on one whose dependency tree holds no tagged callable. Per-course
permissions (instructors) are checked in services with ``may_moderate``, once the course is
known, and lists are scoped with ``moderated_course_ids``; deny is the default everywhere.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session, select

from core.access import declares
from core.db import SessionDep
from core.errors import NotAuthenticated, PermissionDenied
from users.auth import resolve_user
from users.models import CourseRole, Role, TokenScope, User


@declares("optional_user")
def optional_user(request: Request, session: SessionDep) -> User | None:
    """Anyone; the signed-in user (or token owner) when there is one."""
    return resolve_user(request, session)


@declares("user")
def require_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    """A signed-in user or a full-scope token."""
    # Checked first: a widget caller resolves to no user, and deserves the clearer message.
    if getattr(request.state, "token_scope", None) == TokenScope.widget:
        raise PermissionDenied("This widget token may only ask and read.")
    if user is None:
        raise NotAuthenticated("Sign in (or send an API token) to do this.")
    return user


@declares("moderator")
def require_moderator(user: Annotated[User, Depends(require_user)]) -> User:
    """A site moderator or admin."""
    if user.role not in (Role.moderator, Role.admin):
        raise PermissionDenied("Only moderators can do this.")
    return user


@declares("admin")
def require_admin(user: Annotated[User, Depends(require_user)]) -> User:
    if user.role != Role.admin:
        raise PermissionDenied("Only admins can do this.")
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(require_user)]
ModeratorUser = Annotated[User, Depends(require_moderator)]
AdminUser = Annotated[User, Depends(require_admin)]


def is_instructor(session: Session, user: User | None, course_id: int) -> bool:
    if user is None or user.id is None:
        return False
    row = session.exec(
        select(CourseRole.id).where(
            CourseRole.user_id == user.id,
            CourseRole.course_id == course_id,
            CourseRole.role == "instructor",
        )
    ).first()
    return row is not None


def moderated_course_ids(session: Session, user: User | None) -> set[int] | None:
    """The courses ``user`` moderates: None means every course (site moderators and admins);
    an instructor's own courses otherwise; empty for everyone else."""
    if user is None or user.id is None:
        return set()
    if user.role in (Role.moderator, Role.admin):
        return None
    rows = session.exec(
        select(CourseRole.course_id).where(
            CourseRole.user_id == user.id, CourseRole.role == "instructor"
        )
    ).all()
    return set(rows)


def may_moderate(session: Session, user: User | None, course_id: int) -> bool:
    """Site moderators and admins everywhere; instructors in their own courses only."""
    if user is None:
        return False
    if user.role in (Role.moderator, Role.admin):
        return True
    return is_instructor(session, user, course_id)


def ensure_may_moderate(session: Session, user: User | None, course_id: int) -> None:
    if not may_moderate(session, user, course_id):
        raise PermissionDenied("Only moderators and this course's instructors can do this.")


@declares("moderator_or_instructor")
def require_moderator_or_instructor(user: CurrentUser, session: SessionDep) -> User:
    """A site moderator or admin, or an instructor of at least one course (which courses is
    checked once the course is known, with ``may_moderate``)."""
    if moderated_course_ids(session, user) == set():
        raise PermissionDenied("Only moderators and course instructors can do this.")
    return user


ModeratorOrInstructor = Annotated[User, Depends(require_moderator_or_instructor)]
