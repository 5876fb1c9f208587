"""Failing checks and suspected errata (issue #18): the learner's opt-out (API and page) and the
moderators' list of suspected errata (API; the queue page is errata's /moderation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from assistant import checks, consensus
from core.db import SessionDep
from core.settings import get_settings
from core.templating import page
from errata import suspects
from users.policy import CurrentUser, ModeratorOrInstructor, moderated_course_ids

router = APIRouter(tags=["assistant"])
pages = APIRouter(include_in_schema=False)


class OutputSharing(BaseModel):
    keep: bool = Field(description="Keep my failing checks to detect wrong expected outputs")
    retention_days: int = Field(default=0, description="How long checks are kept (read-only)")


class OutputSharingUpdate(BaseModel):
    keep: bool


class SamplePublic(BaseModel):
    learner: str = Field(description="A per-course pseudonym, never a name")
    version: str
    at: str
    output: str


class SuspectedErratumPublic(BaseModel):
    erratum_id: int
    url: str
    title: str
    status: str
    course_id: int
    assignment_id: int
    notebook_version: str
    location: str
    proposed_output: str
    published_output: str
    learners: int
    weight: float
    share: float
    reports: int
    first_seen: datetime
    last_seen: datetime
    samples: list[SamplePublic]


def _sharing(session: SessionDep, user_id: int) -> OutputSharing:
    return OutputSharing(
        keep=not checks.opted_out(session, user_id),
        retention_days=get_settings().check_retention_days,
    )


@router.get("/me/output-sharing", response_model=OutputSharing)
def read_output_sharing(user: CurrentUser, session: SessionDep) -> OutputSharing:
    """Whether your failing checks are kept (see the README: what is kept, for how long)."""
    assert user.id is not None
    return _sharing(session, user.id)


@router.put("/me/output-sharing", response_model=OutputSharing)
def update_output_sharing(
    body: OutputSharingUpdate, user: CurrentUser, session: SessionDep
) -> OutputSharing:
    """Opt out (every check kept so far is deleted) or back in."""
    assert user.id is not None
    consensus.set_opt_out(session=session, user=user, opt_out=not body.keep)
    return _sharing(session, user.id)


@router.get("/moderation/suspected-errata", response_model=list[SuspectedErratumPublic])
def suspected_errata(user: ModeratorOrInstructor, session: SessionDep) -> list[Any]:
    """Pending suspected errata of the courses you moderate, most learners first."""
    courses = moderated_course_ids(session, user)
    entries = suspects.queue(
        session=session, course_ids=None if courses is None else sorted(courses)
    )
    return [
        SuspectedErratumPublic(
            erratum_id=q.erratum.id or 0,
            url=f"/errata/{q.erratum.id}",
            title=q.erratum.title,
            status=q.erratum.status.value,
            course_id=q.suspect.course_id,
            assignment_id=q.suspect.assignment_id,
            notebook_version=q.suspect.notebook_version,
            location=q.suspect.location,
            proposed_output=q.suspect.proposed_output,
            published_output=q.suspect.published_output,
            learners=q.suspect.learners,
            weight=q.suspect.weight,
            share=q.suspect.share,
            reports=q.suspect.reports,
            first_seen=q.suspect.first_seen,
            last_seen=q.suspect.last_seen,
            samples=[SamplePublic(**s.__dict__) for s in q.samples],
        )
        for q in entries
    ]


@pages.get("/profile/output-sharing")
def sharing_page(request: Request, user: CurrentUser, session: SessionDep) -> Any:
    assert user.id is not None
    return page(request, "assistant/output_sharing.html", sharing=_sharing(session, user.id))


@pages.post("/profile/output-sharing")
async def sharing_submit(request: Request, user: CurrentUser, session: SessionDep) -> Any:
    """One checkbox: keep my failing checks (unchecked: opt out and delete them)."""
    assert user.id is not None
    form = await request.form()
    keep = form.get("keep") == "on"
    consensus.set_opt_out(session=session, user=user, opt_out=not keep)
    return page(
        request, "assistant/output_sharing.html", sharing=_sharing(session, user.id), saved=True
    )
