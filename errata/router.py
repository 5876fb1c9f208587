"""JSON API: errata, their lifecycle, "affects me too", suggestions, the queue and notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import Response
from sqlmodel import col, select

from core.access import Public
from core.db import SessionDep
from core.ids import IdPath
from core.schemas import Message, Page
from core.security import client_ip
from core.settings import get_settings
from core.throttle import throttle
from errata import importer, known, notifications, present
from errata import service as errata_service
from errata.dependencies import ErratumDep
from errata.models import Erratum, ErratumStatus
from errata.schemas import (
    AffectsResult,
    DuplicateBody,
    ErratumCreate,
    ErratumDetail,
    ErratumPublic,
    ErratumUpdate,
    FixBody,
    LinkBody,
    NotificationList,
    NotificationPublic,
    SimilarErratum,
    TransitionBody,
)
from users.policy import CurrentUser, OptionalUser, ensure_may_moderate

router = APIRouter(tags=["errata"])

Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("/errata", response_model=Page[ErratumPublic])
def list_errata(
    session: SessionDep,
    user: OptionalUser,
    course: Annotated[str, Query(min_length=1, max_length=80)],
    assignment: Annotated[str | None, Query(max_length=80)] = None,
    status: Annotated[list[ErratumStatus] | None, Query()] = None,
    version: Annotated[str | None, Query(max_length=20)] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[ErratumPublic]:
    """Errata of a course or assignment; verified and fixed unless ``status`` says otherwise."""
    course_row = errata_service.get_course(session=session, slug=course)
    assignment_id = None
    if assignment:
        assignment_id = errata_service.get_assignment(
            session=session, course=course_row, slug=assignment
        ).id
    rows, count = errata_service.list_errata(
        session=session,
        course_id=course_row.id,
        assignment_id=assignment_id,
        statuses=status,
        version=version,
        limit=limit,
        offset=offset,
    )
    return Page(data=present.errata_public(session=session, errata=rows), count=count)


@router.get("/errata/similar", response_model=Page[SimilarErratum])
def similar_errata(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    course: Annotated[str, Query(min_length=1, max_length=80)],
    title: Annotated[str, Query(max_length=1000)] = "",
    q: Annotated[str, Query(max_length=5000)] = "",
    assignment: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> Page[SimilarErratum]:
    """Existing errata like the one being reported, to avoid duplicates."""
    user_id = user.id if user is not None else None
    rate = get_settings().rate_search
    throttle("search", rate=rate, user_id=user_id, ip=client_ip(request), what="searches")
    course_row = errata_service.get_course(session=session, slug=course)
    assert course_row.id is not None
    assignment_id = None
    if assignment:
        assignment_id = errata_service.get_assignment(
            session=session, course=course_row, slug=assignment
        ).id
    pairs = errata_service.suggest_similar(
        session=session, course_id=course_row.id, assignment_id=assignment_id,
        title=title, text=q, limit=limit,
    )  # fmt: skip
    data = present.similar_public(session=session, pairs=pairs)
    return Page(data=data, count=len(data))


@router.get("/errata/{erratum_id}", response_model=ErratumDetail)
def read_erratum(session: SessionDep, user: OptionalUser, erratum: ErratumDep) -> ErratumDetail:
    """One erratum with its history and linked threads."""
    return present.erratum_detail(session=session, erratum=erratum, viewer=user)


@router.post("/errata", response_model=ErratumDetail, status_code=201)
def report_erratum(
    body: ErratumCreate, request: Request, session: SessionDep, user: CurrentUser
) -> ErratumDetail:
    """Report an erratum; it starts as ``reported`` until a moderator verifies it."""
    erratum = errata_service.report(session=session, user=user, data=body, ip=client_ip(request))
    return present.erratum_detail(session=session, erratum=erratum, viewer=user)


@router.patch("/errata/{erratum_id}", response_model=ErratumDetail)
def edit_erratum(
    erratum_id: IdPath, body: ErratumUpdate, session: SessionDep, user: CurrentUser
) -> ErratumDetail:
    """Edit the description (the reporter while pending; moderators always)."""
    erratum = errata_service.edit(session=session, user=user, erratum_id=erratum_id, data=body)
    return present.erratum_detail(session=session, erratum=erratum, viewer=user)


# The writes below take the id, not an ErratumDep: each service loads the row itself, inside
# its own transaction (a transition's compare-and-set must use the status it just read), and
# raises the same NotFound as ErratumDep when there is none.


def _moved(session: SessionDep, user: CurrentUser, erratum: Erratum) -> ErratumDetail:
    return present.erratum_detail(session=session, erratum=erratum, viewer=user)


@router.post("/errata/{erratum_id}/verify", response_model=ErratumDetail)
def verify_erratum(
    erratum_id: IdPath, session: SessionDep, user: CurrentUser, body: TransitionBody | None = None
) -> ErratumDetail:
    """Confirm the erratum (moderators and the course's instructors)."""
    erratum = errata_service.transition(
        session=session,
        user=user,
        erratum_id=erratum_id,
        to_status=ErratumStatus.verified,
        reason=body.reason if body else "",
    )
    return _moved(session, user, erratum)


@router.post("/errata/{erratum_id}/reject", response_model=ErratumDetail)
def reject_erratum(
    erratum_id: IdPath, body: TransitionBody, session: SessionDep, user: CurrentUser
) -> ErratumDetail:
    """Not an erratum: the reason is shown to learners."""
    erratum = errata_service.transition(
        session=session,
        user=user,
        erratum_id=erratum_id,
        to_status=ErratumStatus.rejected,
        reason=body.reason,
    )
    return _moved(session, user, erratum)


@router.post("/errata/{erratum_id}/duplicate", response_model=ErratumDetail)
def mark_duplicate(
    erratum_id: IdPath, body: DuplicateBody, session: SessionDep, user: CurrentUser
) -> ErratumDetail:
    """A duplicate of another erratum of the same course."""
    erratum = errata_service.transition(
        session=session,
        user=user,
        erratum_id=erratum_id,
        to_status=ErratumStatus.duplicate,
        reason=body.reason,
        duplicate_of_id=body.duplicate_of,
    )
    return _moved(session, user, erratum)


@router.post("/errata/{erratum_id}/fix", response_model=ErratumDetail)
def mark_fixed(
    erratum_id: IdPath, body: FixBody, session: SessionDep, user: CurrentUser
) -> ErratumDetail:
    """Fixed in a notebook version (a verified erratum only)."""
    erratum = errata_service.transition(
        session=session,
        user=user,
        erratum_id=erratum_id,
        to_status=ErratumStatus.fixed,
        reason=body.reason,
        fixed_in=body.fixed_in,
    )
    return _moved(session, user, erratum)


@router.post("/errata/{erratum_id}/affects", response_model=AffectsResult)
def toggle_affects(erratum_id: IdPath, session: SessionDep, user: CurrentUser) -> AffectsResult:
    """Mark "affects me too", or take the mark back."""
    marked, count = errata_service.toggle_affects(session=session, user=user, erratum_id=erratum_id)
    return AffectsResult(affects_me=marked, affects_count=count)


@router.post("/errata/{erratum_id}/links", response_model=ErratumDetail)
def link_thread(
    erratum_id: IdPath, body: LinkBody, session: SessionDep, user: CurrentUser
) -> ErratumDetail:
    """Link a thread that discusses this erratum."""
    erratum = errata_service.link_thread(
        session=session, user=user, erratum_id=erratum_id, thread_id=body.thread_id
    )
    return _moved(session, user, erratum)


@router.delete("/errata/{erratum_id}/links/{thread_id}", response_model=ErratumDetail)
def unlink_thread(
    erratum_id: IdPath, thread_id: IdPath, session: SessionDep, user: CurrentUser
) -> ErratumDetail:
    # The thread is named by id only: a deleted thread's link can still be removed.
    erratum = errata_service.unlink_thread(
        session=session, user=user, erratum_id=erratum_id, thread_id=thread_id
    )
    return _moved(session, user, erratum)


@router.get("/moderation/errata", response_model=Page[ErratumPublic])
def moderation_queue(
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[list[ErratumStatus] | None, Query()] = None,
) -> Page[ErratumPublic]:
    """Reports awaiting this user's moderation: most "affects me" first, then oldest."""
    rows = errata_service.moderation_queue(
        session=session, user=user, statuses=status or (ErratumStatus.reported,)
    )
    return Page(data=present.errata_public(session=session, errata=rows), count=len(rows))


@router.get(
    "/courses/{slug}/errata.jsonl",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def export_course_errata(slug: str, session: SessionDep, user: CurrentUser) -> Response:
    """The course's errata in the import format (JSON Lines), for its moderators."""
    course = errata_service.get_course(session=session, slug=slug)
    assert course.id is not None
    ensure_may_moderate(session, user, course.id)
    rows = session.exec(
        select(Erratum).where(Erratum.course_id == course.id).order_by(col(Erratum.id))
    ).all()
    body = "".join(importer.dump_line(line) for line in importer.export_errata(session, rows))
    return Response(
        body,
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{slug}-errata.jsonl"'},
    )


# Notifications


@router.get("/notifications", response_model=NotificationList, tags=["notifications"])
def list_notifications(
    session: SessionDep,
    user: CurrentUser,
    unread: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> NotificationList:
    """The signed-in user's notifications, newest first, with the unread count."""
    assert user.id is not None
    rows, count = notifications.list_for_user(
        session=session, user_id=user.id, unread_only=unread, limit=limit, offset=offset
    )
    return NotificationList(
        data=[NotificationPublic.model_validate(n, from_attributes=True) for n in rows],
        count=count,
        unread=notifications.unread_count(session=session, user_id=user.id),
    )


@router.post(
    "/notifications/{notification_id}/read", response_model=Message, tags=["notifications"]
)
def read_notification(notification_id: IdPath, session: SessionDep, user: CurrentUser) -> Message:
    assert user.id is not None
    notifications.mark_read(session=session, user_id=user.id, ids=[notification_id])
    return Message(detail="Marked read.")


@router.post("/notifications/read-all", response_model=Message, tags=["notifications"])
def read_all_notifications(session: SessionDep, user: CurrentUser) -> Message:
    assert user.id is not None
    n = notifications.mark_read(session=session, user_id=user.id)
    return Message(detail=f"Marked {n} read.")


# Known errata for the notebook banner


@router.get(
    "/courses/{course}/assignments/{assignment}/known-errata",
    response_model=known.KnownErrata,
    responses={304: {"description": "Not modified: the ETag sent in If-None-Match is current."}},
    dependencies=[Public],
)
def known_errata(
    course: Annotated[str, Path(min_length=1, max_length=80)],
    assignment: Annotated[str, Path(min_length=1, max_length=80)],
    session: SessionDep,
    version: Annotated[
        str | None, Query(pattern=known.VERSION_PATTERN, description="The notebook's version.")
    ] = None,
    if_none_match: Annotated[str | None, Header(max_length=2000)] = None,
) -> Response:
    """Verified and fixed errata of an assignment for a notebook version (public, cacheable)."""
    result = known.known_errata(
        session=session, course=course, assignment=assignment, version=version
    )
    body = result.model_dump_json().encode()
    tag = known.etag(body)
    headers = {"ETag": tag, "Cache-Control": "public, max-age=60"}
    if known.not_modified(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
