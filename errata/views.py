"""Errata pages: lists, the erratum page, reporting, the moderator queue, notifications, the feed.

Importing this module also registers the ``known_errata`` Jinja global (the banner on the
forum's assignment and thread pages) and a context processor that gives every page the unread
notification count and whether the user instructs any course (for the Moderation link).
"""

from __future__ import annotations

from typing import Annotated, Any
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session, col, select

from core import db
from core.db import SessionDep
from core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from core.ids import MAX_ID, IdPath
from core.markdown import render
from core.paths import safe_next, see_other
from core.security import client_ip
from core.settings import get_settings
from core.templating import context_processors, page, templates
from core.xmltext import xml_safe
from errata import notifications, outputs, present, suspects, threadmarks, undo
from errata import service as errata_service
from errata.dependencies import ErratumDep
from errata.forms import FORM_FIELDS, ErratumForm, ReportForm
from errata.models import Erratum, ErratumKind, ErratumStatus, Notification
from errata.schemas import ErratumCreate, ErratumUpdate
from forum.models import Assignment, Course, Thread
from users.models import User
from users.policy import (
    CurrentUser,
    ModeratorOrInstructor,
    OptionalUser,
    may_moderate,
    moderated_course_ids,
)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
S = ErratumStatus
KIND_LABELS = {
    ErratumKind.wrong_expected_output: "Wrong expected output",
    ErratumKind.wrong_test: "Wrong test",
    ErratumKind.instructions: "Instructions",
    ErratumKind.grader_mismatch: "Grader mismatch",
    ErratumKind.environment: "Environment",
}
STATUS_FILTERS = {
    "": "Verified and fixed",
    "verified": "Verified",
    "fixed": "Fixed",
    "reported": "Reported",
    "rejected": "Rejected",
    "duplicate": "Duplicate",
    "all": "All",
}


# Lists


def _list_page(
    request: Request,
    session: Session,
    user: User | None,
    course: Course,
    assignment: Assignment | None,
    status: str,
    version: str,
    page_no: int,
) -> Any:
    statuses: list[ErratumStatus] | None
    if status == "all":
        statuses = list(ErratumStatus)
    elif status in ErratumStatus.__members__:
        statuses = [ErratumStatus(status)]
    else:
        status, statuses = "", None
    rows, count = errata_service.list_errata(
        session=session,
        course_id=course.id,
        assignment_id=assignment.id if assignment else None,
        statuses=statuses,
        version=version or None,
        limit=PAGE_SIZE,
        offset=(page_no - 1) * PAGE_SIZE,
    )
    assignments = session.exec(
        select(Assignment)
        .where(Assignment.course_id == course.id)
        .order_by(col(Assignment.position), col(Assignment.id))
    ).all()
    return page(
        request,
        "errata/list.html",
        course=course,
        assignment=assignment,
        assignments=assignments,
        errata=rows,
        assignment_slugs={a.id: a for a in assignments},
        count=count,
        status=status,
        version=version,
        status_filters=STATUS_FILTERS,
        page_no=page_no,
        pages=max(1, -(-count // PAGE_SIZE)),
        kind_labels=KIND_LABELS,
        can_moderate=may_moderate(session, user, course.id or 0),
    )


@router.get("/courses/{slug}/errata")
def course_errata(
    request: Request,
    slug: str,
    user: OptionalUser,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "",
    version: Annotated[str, Query(max_length=20)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Any:
    course = errata_service.get_course(session=session, slug=slug)
    return _list_page(request, session, user, course, None, status, version, page_no)


@router.get("/courses/{slug}/assignments/{assignment_slug}/errata")
def assignment_errata(
    request: Request,
    slug: str,
    assignment_slug: str,
    user: OptionalUser,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "",
    version: Annotated[str, Query(max_length=20)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Any:
    course = errata_service.get_course(session=session, slug=slug)
    assignment = errata_service.get_assignment(session=session, course=course, slug=assignment_slug)
    return _list_page(request, session, user, course, assignment, status, version, page_no)


# The Atom feed

ATOM = "http://www.w3.org/2005/Atom"


@router.get("/courses/{slug}/errata.atom")
def errata_feed(slug: str, session: SessionDep, user: OptionalUser) -> Response:
    """Verified and fixed errata of a course, newest change first (Atom 1.0)."""
    course = errata_service.get_course(session=session, slug=slug)
    rows = session.exec(
        select(Erratum)
        .where(Erratum.course_id == course.id, col(Erratum.status).in_((S.verified, S.fixed)))
        .order_by(col(Erratum.updated_at).desc(), col(Erratum.id).desc())
        .limit(50)
    ).all()
    base = get_settings().base_url.rstrip("/")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        # Stored text is already clean (core.db); a row written some other way must still not
        # make the whole feed unparsable, so the characters XML cannot hold are dropped here too.
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: xml_safe(v) for k, v in attrs.items()})
        if text is not None:
            el.text = xml_safe(text)
        return el

    sub(feed, "id", f"{base}/courses/{course.slug}/errata")
    sub(feed, "title", f"{course.title}: verified errata")
    updated = max((e.updated_at for e in rows), default=course.created_at)
    sub(feed, "updated", updated.isoformat())
    sub(feed, "link", rel="self", href=f"{base}/courses/{course.slug}/errata.atom")
    sub(feed, "link", rel="alternate", href=f"{base}/courses/{course.slug}/errata")
    author = sub(feed, "author")
    sub(author, "name", "Checkfirst")
    for e in rows:
        entry = sub(feed, "entry")
        sub(entry, "id", f"{base}/errata/{e.id}")
        label = "Fixed in " + (e.fixed_in or "?") if e.status == S.fixed else "Verified"
        sub(entry, "title", f"[{label}] {e.title}")
        sub(entry, "updated", e.updated_at.isoformat())
        sub(entry, "published", e.created_at.isoformat())
        sub(entry, "link", rel="alternate", href=f"{base}/errata/{e.id}")
        sub(entry, "category", term=e.status.value)
        if e.location:
            sub(entry, "summary", f"In {e.location}")
        # Sanitized HTML, escaped once more by the serializer as Atom's type="html" requires.
        sub(entry, "content", _feed_html(e), type="html")
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return Response(
        '<?xml version="1.0" encoding="utf-8"?>\n' + body,
        media_type="application/atom+xml; charset=utf-8",
    )


def _feed_html(e: Erratum) -> str:
    parts: list[str] = [str(render(e.description))]
    if e.published_output:
        parts.append(f"<p>Published expected output:</p>{render(_fence(e.published_output))}")
    if e.corrected_output:
        parts.append(f"<p>Corrected expected output:</p>{render(_fence(e.corrected_output))}")
    if e.workaround:
        parts.append(f"<p>Workaround:</p>{render(e.workaround)}")
    return "\n".join(parts)


def _fence(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}text\n{text}\n{fence}"


# Reporting and editing


def _form_values(**values: str) -> dict[str, str]:
    return {k: values.get(k, "") for k in FORM_FIELDS}


def _report_page(
    request: Request,
    session: Session,
    *,
    course: Course | None,
    assignment: Assignment | None,
    values: dict[str, str],
    thread_id: int | None = None,
    post_id: int | None = None,
    error: str | None = None,
    status_code: int = 200,
    erratum: Erratum | None = None,
) -> Any:
    courses = session.exec(select(Course).order_by(col(Course.title))).all()
    assignments = (
        session.exec(
            select(Assignment)
            .where(Assignment.course_id == course.id)
            .order_by(col(Assignment.position), col(Assignment.id))
        ).all()
        if course
        else []
    )
    source = session.get(Thread, thread_id) if thread_id else None
    if source is not None and source.is_private:
        source = None  # never named on a form that may be re-shown to anyone (issue #17)
    return page(
        request,
        "errata/report.html",
        status_code=status_code,
        course=course,
        current_assignment=assignment,
        courses=courses,
        assignments=assignments,
        values=values,
        thread_id=thread_id,
        post_id=post_id,
        source=source,
        error=error,
        kind_labels=KIND_LABELS,
        erratum=erratum,
    )


@router.get("/errata/report")
def report_form(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    course: Annotated[str | None, Query(max_length=80)] = None,
    assignment: Annotated[str | None, Query(max_length=80)] = None,
    thread: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    post: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Any:
    """The report form, prefilled when it comes from a thread or a reply."""
    if thread is not None or post is not None:
        prefill = errata_service.prefill_from_source(
            session=session, thread_id=thread, post_id=post, viewer=user
        )
        return _report_page(
            request,
            session,
            course=prefill.course,
            assignment=prefill.assignment,
            values=_form_values(
                title=prefill.title,
                description=present.report_description(
                    thread_title=prefill.title, thread_id=prefill.thread_id, body=prefill.body
                ),
            ),
            thread_id=prefill.thread_id,
            post_id=prefill.post_id,
        )
    course_row = errata_service.get_course(session=session, slug=course) if course else None
    assignment_row = (
        errata_service.get_assignment(session=session, course=course_row, slug=assignment)
        if course_row and assignment
        else None
    )
    return _report_page(
        request, session, course=course_row, assignment=assignment_row, values=_form_values()
    )


@router.post("/errata/report")
def report_submit(
    request: Request, user: CurrentUser, session: SessionDep, form: Annotated[ReportForm, Form()]
) -> Any:
    values = form.values()
    course, assignment = form.course, form.assignment
    thread_id, post_id = form.thread_id, form.post_id
    course_row = session.exec(select(Course).where(Course.slug == course)).first()
    assignment_row = (
        session.exec(
            select(Assignment).where(
                Assignment.course_id == course_row.id, Assignment.slug == assignment
            )
        ).first()
        if course_row and assignment
        else None
    )
    try:
        data = ErratumCreate(
            course=course or "-",
            assignment=assignment or None,
            source_thread_id=thread_id,
            source_post_id=post_id,
            **{**values, "kind": form.kind or ErratumKind.wrong_expected_output.value},  # type: ignore[arg-type]
        )
        erratum = errata_service.report(
            session=session, user=user, data=data, ip=client_ip(request)
        )
    except ValidationError as exc:
        message = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors()[:3])
        return _report_page(
            request, session, course=course_row, assignment=assignment_row, values=values,
            thread_id=thread_id, post_id=post_id, error=message, status_code=422,
        )  # fmt: skip
    except DomainError as exc:
        if exc.status == 429:
            raise
        return _report_page(
            request, session, course=course_row, assignment=assignment_row, values=values,
            thread_id=thread_id, post_id=post_id, error=exc.message, status_code=exc.status,
        )  # fmt: skip
    return see_other(f"/errata/{erratum.id}")


@router.get("/errata/{erratum_id}/edit")
def edit_form(request: Request, user: CurrentUser, session: SessionDep, erratum: ErratumDep) -> Any:
    if not errata_service.can_edit(session=session, user=user, erratum=erratum):
        raise PermissionDenied("Only the reporter (while pending) and moderators can edit this.")
    course = session.get(Course, erratum.course_id)
    assignment = session.get(Assignment, erratum.assignment_id) if erratum.assignment_id else None
    values = {k: str(getattr(erratum, k) or "") for k in FORM_FIELDS}
    values["kind"] = erratum.kind.value
    return _report_page(
        request, session, course=course, assignment=assignment, values=values, erratum=erratum
    )


@router.post("/errata/{erratum_id}/edit")
def edit_submit(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    erratum: ErratumDep,
    form: Annotated[ErratumForm, Form()],
) -> Any:
    assert erratum.id is not None
    values = form.values()
    try:
        data = ErratumUpdate(**values)  # type: ignore[arg-type]
        errata_service.edit(session=session, user=user, erratum_id=erratum.id, data=data)
    except (ValidationError, InvalidInput) as exc:
        message = (
            exc.message
            if isinstance(exc, InvalidInput)
            else "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors()[:3])
        )
        course = session.get(Course, erratum.course_id)
        assignment = (
            session.get(Assignment, erratum.assignment_id) if erratum.assignment_id else None
        )
        return _report_page(
            request, session, course=course, assignment=assignment, values=values,
            error=message, status_code=422, erratum=erratum,
        )  # fmt: skip
    return see_other(f"/errata/{erratum.id}")


# The erratum page


def _detail_page(
    request: Request, session: Session, user: User | None, erratum: Erratum, **extra: Any
) -> Any:
    assert erratum.id is not None
    course = session.get(Course, erratum.course_id)
    assignment = session.get(Assignment, erratum.assignment_id) if erratum.assignment_id else None
    detail = present.erratum_detail(session=session, erratum=erratum, viewer=user)
    original = session.get(Erratum, erratum.duplicate_of_id) if erratum.duplicate_of_id else None
    duplicates = session.exec(
        select(Erratum).where(Erratum.duplicate_of_id == erratum.id).order_by(col(Erratum.id))
    ).all()
    can_moderate = may_moderate(session, user, erratum.course_id)
    published, corrected = outputs.highlight(
        erratum.published_output or "", erratum.corrected_output or ""
    )
    return page(
        request,
        "errata/detail.html",
        published_html=published,
        corrected_html=corrected,
        **flash_context(request, session, user),
        status_code=extra.pop("status_code", 200),
        erratum=erratum,
        detail=detail,
        course=course,
        current_assignment=assignment,
        original=original,
        duplicates=duplicates,
        kind_labels=KIND_LABELS,
        can_moderate=can_moderate,
        can_edit=errata_service.can_edit(session=session, user=user, erratum=erratum),
        allowed=errata_service.allowed_transitions(ErratumStatus(erratum.status))
        if can_moderate
        else frozenset(),
        error=extra.pop("error", None),
        **extra,
    )


@router.get("/errata/{erratum_id}")
def erratum_page(
    request: Request, user: OptionalUser, session: SessionDep, erratum: ErratumDep
) -> Any:
    return _detail_page(request, session, user, erratum)


@router.post("/errata/{erratum_id}/affects")
def affects_submit(erratum_id: IdPath, user: CurrentUser, session: SessionDep) -> Any:
    errata_service.toggle_affects(session=session, user=user, erratum_id=erratum_id)
    return see_other(f"/errata/{erratum_id}")


@router.post("/errata/{erratum_id}/transition")
def transition_submit(
    request: Request,
    erratum_id: IdPath,
    user: CurrentUser,
    session: SessionDep,
    action: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=20_000)] = "",
    duplicate_of: Annotated[str, Form(max_length=20)] = "",
    fixed_in: Annotated[str, Form(max_length=40)] = "",
    next: Annotated[str, Form(max_length=300)] = "",
) -> Any:
    """One form for every moderator action: verify, reject, duplicate or fix."""
    targets = {"verify": S.verified, "reject": S.rejected, "duplicate": S.duplicate, "fix": S.fixed}
    if action not in targets:
        raise InvalidInput("Pick an action: verify, reject, duplicate or fix.")
    target_id: int | None = None
    try:
        if action == "duplicate":
            digits = duplicate_of.strip().lstrip("#")
            if not digits.isdigit() or int(digits) > MAX_ID:
                raise InvalidInput("Give the number of the original erratum, e.g. 12.")
            target_id = int(digits)
        errata_service.transition(
            session=session,
            user=user,
            erratum_id=erratum_id,
            to_status=targets[action],
            reason=reason,
            duplicate_of_id=target_id,
            fixed_in=fixed_in,
        )
    except DomainError as exc:
        if exc.status in (401, 403, 429) or not isinstance(exc, (InvalidInput, NotFound)):
            raise
        # A wrong "Original #" or version: say so beside the form, keep what was typed.
        session.rollback()
        erratum = errata_service.get(session=session, erratum_id=erratum_id)
        if isinstance(exc, NotFound) and action == "duplicate":
            exc = InvalidInput(f"There is no erratum #{target_id}; check the original's number.")
        return _detail_page(
            request, session, user, erratum, status_code=422, error=exc.message,
            failed_action=action, typed={"reason": reason, "duplicate_of": duplicate_of,
                                         "fixed_in": fixed_in},
        )  # fmt: skip
    done = undo.latest_move_id(session=session, erratum_id=erratum_id)
    target = safe_next(next, f"/errata/{erratum_id}")
    return see_other(f"{target}{'&' if '?' in target else '?'}done={done}")


@router.post("/errata/{erratum_id}/undo")
def undo_submit(
    erratum_id: IdPath,
    user: CurrentUser,
    session: SessionDep,
    history_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    next: Annotated[str, Form(max_length=300)] = "",
) -> Any:
    """Put back the status a moderator just changed (within a few minutes)."""
    undo.undo(session=session, user=user, erratum_id=erratum_id, history_id=history_id)
    target = safe_next(next, f"/errata/{erratum_id}")
    return see_other(f"{target}{'&' if '?' in target else '?'}undone={erratum_id}")


def flash_context(request: Request, session: Session, user: User | None) -> dict[str, Any]:
    """The confirmation (with Undo) for a move just made, and the note after an undo."""
    if user is None:
        return {}
    done = request.query_params.get("done", "")
    undone = request.query_params.get("undone", "")
    ctx: dict[str, Any] = {}
    if done.isdigit() and int(done) <= MAX_ID:
        ctx["flash"] = undo.just_done(session=session, user=user, history_id=int(done))
        ctx["flash_verbs"] = undo.PAST
    if undone.isdigit() and int(undone) <= MAX_ID:
        ctx["undone"] = session.get(Erratum, int(undone))
    return ctx


@router.post("/errata/{erratum_id}/links")
def link_submit(
    erratum_id: IdPath,
    user: CurrentUser,
    session: SessionDep,
    thread: Annotated[str, Form(max_length=300)] = "",
) -> Any:
    """Link a thread by its number or its address (…/threads/12)."""
    ref = thread.strip().rstrip("/").rsplit("/", 1)[-1].lstrip("#")
    if not ref.isdigit() or int(ref) > MAX_ID:
        raise InvalidInput("Give the thread's number or address, e.g. /threads/12.")
    errata_service.link_thread(
        session=session, user=user, erratum_id=erratum_id, thread_id=int(ref)
    )
    return see_other(f"/errata/{erratum_id}#threads")


# The moderator queue


@router.get("/moderation")
def moderation_page(request: Request, user: ModeratorOrInstructor, session: SessionDep) -> Any:
    """Pending reports by "affects me" count then age; verified errata waiting for a fix."""
    pending = errata_service.moderation_queue(session=session, user=user)
    awaiting_fix = errata_service.moderation_queue(
        session=session, user=user, statuses=(S.verified,)
    )
    # Suspected errata (issue #18) get their own section, with the learners' evidence.
    moderated = moderated_course_ids(session, user)
    suspected = suspects.queue(
        session=session, course_ids=None if moderated is None else sorted(moderated)
    )
    suspected_ids = {q.erratum.id for q in suspected}
    pending = [e for e in pending if e.id not in suspected_ids]
    suspect_marks = {
        q.erratum.id: outputs.highlight(q.suspect.published_output, q.suspect.proposed_output)
        for q in suspected
    }
    course_ids = {e.course_id for e in [*pending, *awaiting_fix, *(q.erratum for q in suspected)]}
    courses = (
        {c.id: c for c in session.exec(select(Course).where(col(Course.id).in_(course_ids)))}
        if course_ids
        else {}
    )
    return page(
        request,
        "errata/moderation.html",
        pending=pending,
        awaiting_fix=awaiting_fix,
        suspected=suspected,
        suspect_marks=suspect_marks,
        courses=courses,
        kind_labels=KIND_LABELS,
        **flash_context(request, session, user),
    )


# Notifications


@router.get("/notifications")
def notifications_page(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Any:
    assert user.id is not None
    rows, count = notifications.list_for_user(
        session=session, user_id=user.id, limit=50, offset=(page_no - 1) * 50
    )
    return page(
        request,
        "errata/notifications.html",
        notifications=rows,
        count=count,
        page_no=page_no,
        pages=max(1, -(-count // 50)),
    )


@router.post("/notifications/read")
def notifications_read(
    user: CurrentUser,
    session: SessionDep,
    notification_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    next: Annotated[str, Form(max_length=300)] = "",
) -> Any:
    """Mark one notification read (and follow it), or all of them."""
    assert user.id is not None
    ids = [notification_id] if notification_id is not None else None
    notifications.mark_read(session=session, user_id=user.id, ids=ids)
    return see_other(safe_next(next, "/notifications"))


@router.get("/notifications/{notification_id}/open")
def notification_open(notification_id: IdPath, user: CurrentUser, session: SessionDep) -> Any:
    """Follow a notification: it is read once opened (a GET, so a middle-click counts too)."""
    assert user.id is not None
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound("There is no such notification; it may have been removed.")
    notifications.mark_read(session=session, user_id=user.id, ids=[notification_id])
    return see_other(safe_next(row.url, "/notifications"))


# Globals and context for every page


def known_errata_for_banner(course_id: int | None, assignment_id: int | None = None) -> list[Any]:
    """The banner's errata (verified first), read in a session of its own."""
    if not course_id:
        return []
    with Session(db.get_engine()) as session:
        rows = errata_service.known_errata(
            session=session, course_id=course_id, assignment_id=assignment_id
        )
        for row in rows:
            session.expunge(row)
        return rows


def _header_context(request: Request) -> dict[str, Any]:
    user = getattr(request.state, "user", None)
    if user is None or user.id is None:
        return {}
    with Session(db.get_engine()) as session:
        return {
            "notifications_unread": notifications.unread_count(session=session, user_id=user.id),
            "is_instructor_anywhere": moderated_course_ids(session, user) != set(),
        }


def register_templates() -> None:
    """Give every page the known-errata banner and the header's counts. Called once by the app
    factory (``app.app.create_app``): importing this module changes nothing."""
    templates.env.globals["known_errata"] = known_errata_for_banner
    # Badges and notes on forum pages, recent verified errata on the home page (threadmarks).
    templates.env.globals["thread_errata"] = threadmarks.thread_errata
    templates.env.globals["recent_verified_errata"] = threadmarks.recent_verified_errata
    if _header_context not in context_processors:
        context_processors.append(_header_context)
