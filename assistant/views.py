"""Pages: the chat at /ask and the moderators' view of asks that found nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import col, select

from assistant import checks_router, clusters
from core.db import SessionDep
from core.templating import page
from forum.models import Assignment, Course
from users.policy import ModeratorOrInstructor, OptionalUser, moderated_course_ids

router = APIRouter(include_in_schema=False)
# Issue #18: the learner's opt-out page.
router.include_router(checks_router.pages)


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
    rows = session.exec(
        select(Assignment.slug, Assignment.title, Assignment.course_id).order_by(
            col(Assignment.position), col(Assignment.title)
        )
    ).all()
    # The assignment menu, one <optgroup> per course in the course menu's order, each in
    # the course's own order: a learner looks for "their" course, then the notebook.
    groups = [
        {"course": c.slug, "title": c.title,
         "assignments": [{"slug": a, "title": t} for a, t, cid in rows if cid == c.id]}
        for c in courses
    ]  # fmt: skip
    return page(
        request,
        "assistant/ask.html",
        courses=courses,
        assignment_groups=[g for g in groups if g["assignments"]],
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
