"""Pages: the chat at /ask and the moderators' view of asks that found nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import col, select

from assistant import clusters
from core.db import SessionDep
from core.templating import page
from forum.models import Assignment, Course
from users.policy import ModeratorOrInstructor, OptionalUser, moderated_course_ids

router = APIRouter(include_in_schema=False)


@router.get("/ask")
def ask_page(
    request: Request,
    user: OptionalUser,
    session: SessionDep,
    course: str = "",
    assignment: str = "",
    q: str = "",
) -> Any:
    courses = session.exec(select(Course).order_by(col(Course.title))).all()
    assignments = session.exec(
        select(Assignment.slug, Assignment.title, Course.slug)
        .join(Course, col(Course.id) == Assignment.course_id)
        .order_by(col(Assignment.position), col(Assignment.title))
    ).all()
    return page(
        request,
        "assistant/ask.html",
        courses=courses,
        assignments=[{"slug": a, "title": t, "course": c} for a, t, c in assignments],
        course=course[:80],
        assignment=assignment[:80],
        q=q[:2000],
        needs_sign_in=user is None and not request.app.state.settings.anonymous_ask,
    )


@router.get("/moderation/asks")
def no_match_page(request: Request, user: ModeratorOrInstructor, session: SessionDep) -> Any:
    courses = moderated_course_ids(session, user)
    asks = clusters.no_match_asks(session, course_ids=None if courses is None else sorted(courses))
    return page(request, "assistant/no_match.html", groups=clusters.group_asks(asks))
