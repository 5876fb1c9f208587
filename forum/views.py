"""Forum pages: home, course, assignment, thread, new thread and edit; forms post and redirect."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from core.access import Public
from core.db import SessionDep
from core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from core.markdown import render
from core.paths import see_other
from core.security import client_ip
from core.settings import get_settings
from core.templating import page
from core.throttle import throttle
from forum import duplicates, present, privacy, privacy_service, service, suggest
from forum.dependencies import PostDep, PostThreadDep, ThreadDep
from forum.models import Assignment, Course, Thread
from forum.schemas import ThreadSort
from notify import service as notify_service
from notify.models import FollowKind
from users.models import User
from users.policy import CurrentUser, OptionalUser

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
SORT_LABELS = {
    ThreadSort.activity: "Active",
    ThreadSort.newest: "Newest",
    ThreadSort.votes: "Top voted",
    ThreadSort.unanswered: "Unanswered",
}


def _thread_list_context(
    *,
    session: SessionDep,
    course: Course,
    assignment: Assignment | None,
    sort: ThreadSort,
    page_no: int,
    user: User | None,
) -> dict[str, Any]:
    rows, count = service.list_threads(
        scope=privacy.scope_of(session, user),
        session=session,
        course_id=course.id or 0,
        assignment_id=assignment.id if assignment else None,
        sort=sort,
        limit=PAGE_SIZE,
        offset=(page_no - 1) * PAGE_SIZE,
    )
    pages = max(1, -(-count // PAGE_SIZE))
    return {
        "threads": present.threads_public(session=session, threads=rows, viewer=user),
        "count": count,
        "sort": sort,
        "sorts": SORT_LABELS,
        "page_no": page_no,
        "pages": pages,
    }


@router.get("/")
def home(request: Request, user: OptionalUser, session: SessionDep) -> Any:
    """Course cards and the latest activity across the programme."""
    courses = service.list_courses(session=session)
    scope = privacy.scope_of(session, user)
    recent = service.recent_threads(session=session, limit=10, scope=scope)
    return page(
        request,
        "home.html",
        courses=courses,
        assignment_counts=service.assignment_counts(session=session),
        thread_counts=service.thread_counts(session=session, scope=scope),
        recent=present.threads_public(session=session, threads=recent, viewer=user),
        course_titles={c.id: c.title for c in courses},
    )


def _following(
    session: SessionDep, user: User | None, kind: FollowKind, target: int | None
) -> bool:
    if user is None or user.id is None or target is None:
        return False
    return notify_service.is_following(
        session=session, user_id=user.id, kind=kind, target_id=target
    )


def _set_following(
    session: SessionDep, user: User, kind: FollowKind, target: int | None, value: bool
) -> None:
    assert user.id is not None and target is not None
    change = notify_service.follow if value else notify_service.unfollow
    change(session=session, user_id=user.id, kind=kind, target_id=target)


@router.post("/courses/{slug}/follow")
def course_follow_submit(
    slug: str, user: CurrentUser, session: SessionDep, value: Annotated[bool, Form()] = True
) -> Any:
    """The course page's Follow / Unfollow button (value=false unfollows)."""
    course = service.get_course(session=session, slug=slug)
    _set_following(session, user, FollowKind.course, course.id, value)
    return see_other(f"/courses/{course.slug}")


@router.post("/courses/{slug}/assignments/{assignment_slug}/follow")
def assignment_follow_submit(
    slug: str,
    assignment_slug: str,
    user: CurrentUser,
    session: SessionDep,
    value: Annotated[bool, Form()] = True,
) -> Any:
    """The assignment page's Follow / Unfollow button: its errata by your mail choice."""
    course = service.get_course(session=session, slug=slug)
    assignment = service.get_assignment(session=session, course=course, slug=assignment_slug)
    _set_following(session, user, FollowKind.assignment, assignment.id, value)
    return see_other(f"/courses/{course.slug}/assignments/{assignment.slug}")


@router.get("/courses/{slug}")
def course_page(
    request: Request,
    slug: str,
    user: OptionalUser,
    session: SessionDep,
    sort: ThreadSort = ThreadSort.activity,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Any:
    course = service.get_course(session=session, slug=slug)
    return page(
        request,
        "forum/course.html",
        course=course,
        assignment=None,
        assignments=service.list_assignments(session=session, course_id=course.id or 0),
        following=_following(session, user, FollowKind.course, course.id),
        **_thread_list_context(
            session=session,
            course=course,
            assignment=None,
            sort=sort,
            page_no=page_no,
            user=user,
        ),  # fmt: skip
        can_moderate=service.may_moderate_course(session=session, user=user, course=course),
    )


@router.get("/courses/{slug}/assignments/{assignment_slug}")
def assignment_page(
    request: Request,
    slug: str,
    assignment_slug: str,
    user: OptionalUser,
    session: SessionDep,
    sort: ThreadSort = ThreadSort.activity,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Any:
    course = service.get_course(session=session, slug=slug)
    assignment = service.get_assignment(session=session, course=course, slug=assignment_slug)
    return page(
        request,
        "forum/assignment.html",
        course=course,
        assignment=assignment,
        following=_following(session, user, FollowKind.assignment, assignment.id),
        **_thread_list_context(
            session=session,
            course=course,
            assignment=assignment,
            sort=sort,
            page_no=page_no,
            user=user,
        ),  # fmt: skip
    )


# Asking


def _new_thread_page(
    request: Request,
    session: SessionDep,
    *,
    status_code: int = 200,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Any:
    courses = service.list_courses(session=session)
    assignments = {
        c.slug: service.list_assignments(session=session, course_id=c.id or 0) for c in courses
    }
    values = values or {}
    return page(
        request,
        "forum/new_thread.html",
        status_code=status_code,
        courses=courses,
        assignments=assignments,
        values=values,
        error=error,
        error_field=error_field(error),
        max_title=get_settings().max_title_chars,
    )


def error_field(message: str | None) -> str | None:
    """Which composer field a service's message is about, so it is shown (and focused) there."""
    if not message:
        return None
    lowered = message.lower()
    if lowered.startswith("the title"):
        return "title"
    if "course" in lowered or "assignment" in lowered:
        return "course"
    if lowered.startswith("the "):
        return "body"
    return None


@router.get("/threads/new")
def new_thread_form(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    course: Annotated[str, Query(max_length=80)] = "",
    assignment: Annotated[str, Query(max_length=80)] = "",
    title: Annotated[str, Query(max_length=200)] = "",
    body: Annotated[str, Query(max_length=20_000)] = "",
) -> Any:
    # The assistant links here, prefilled, when nothing it found answers a question.
    values = {"course": course, "assignment": assignment, "title": title, "body": body}
    return _new_thread_page(request, session, values=values)


@router.post("/threads/new")
def new_thread_submit(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    course: Annotated[str, Form(max_length=200)] = "",
    assignment: Annotated[str, Form(max_length=200)] = "",
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    anonymous: Annotated[bool, Form()] = False,
    private: Annotated[bool, Form()] = False,
) -> Any:
    values = {"course": course, "assignment": assignment, "title": title, "body": body,
              "anonymous": "1" if anonymous else "", "private": "1" if private else ""}  # fmt: skip
    try:
        # The select sends "course-slug/assignment-slug" or "course-slug" alone.
        course_slug, _, assignment_slug = course.partition("/")
        assignment_slug = assignment_slug or assignment
        if not course_slug:
            raise InvalidInput("Choose the course (and assignment) your question is about.")
        the_course = service.get_course(session=session, slug=course_slug)
        the_assignment = (
            service.get_assignment(session=session, course=the_course, slug=assignment_slug)
            if assignment_slug
            else None
        )
        thread = service.create_thread(
            session=session,
            user=user,
            course=the_course,
            assignment=the_assignment,
            title=title,
            body=body,
            ip=client_ip(request),
            anonymous=anonymous,
            private=private,
        )
    except DomainError as exc:
        if exc.status == 429:
            raise
        return _new_thread_page(
            request, session, status_code=exc.status, error=exc.message, values=values
        )
    return see_other(f"/threads/{thread.id}")


@router.post("/preview")
def preview(
    user: CurrentUser, body: Annotated[str, Form(max_length=1_000_000)] = ""
) -> HTMLResponse:
    """The composer's live preview: the same Markdown and sanitizer as the posted page."""
    if len(body) > get_settings().max_post_chars:
        raise InvalidInput("Too long to preview; trim long outputs to the relevant part.")
    return HTMLResponse(str(render(body)) if body.strip() else "")


@router.get("/threads/similar", dependencies=[Public])
def similar_questions(
    request: Request,
    session: SessionDep,
    course: Annotated[str, Query(max_length=200)],
    title: Annotated[str, Query(max_length=500)] = "",
    body: Annotated[str, Query(max_length=5000)] = "",
) -> JSONResponse:
    """Beside the title while a question is typed: this course's (and assignment's) threads and
    errata like it, answered ones first. ``course`` is "course-slug[/assignment-slug]"."""
    throttle(
        "search", rate=get_settings().rate_search, user_id=None, ip=client_ip(request),
        what="searches",
    )  # fmt: skip
    course_slug, _, assignment_slug = course.partition("/")
    try:
        the_course = service.get_course(session=session, slug=course_slug)
        the_assignment = (
            service.get_assignment(session=session, course=the_course, slug=assignment_slug)
            if assignment_slug
            else None
        )
    except NotFound:
        return JSONResponse({"data": []})
    rows = suggest.similar_questions(
        session=session,
        title=title,
        body=body,
        course_id=the_course.id or 0,
        assignment_id=the_assignment.id if the_assignment else None,
    )
    return JSONResponse({"data": [r.__dict__ for r in rows]})


# A thread


def _thread_page(
    request: Request,
    session: SessionDep,
    thread: Thread,
    user: Any,
    *,
    status_code: int = 200,
    error: str | None = None,
    draft: str = "",
    mod_error: str | None = None,
) -> Any:
    detail = present.thread_detail(session=session, thread=thread, viewer=user)
    course = service.get_course_by_id(session=session, course_id=thread.course_id)
    canonical = None
    if thread.duplicate_of_id is not None:
        target = service.visible_thread(
            session=session, thread_id=thread.duplicate_of_id, viewer=user
        )
        if target is not None:
            canonical = present.threads_public(session=session, threads=[target], viewer=user)[0]
    assignment = (
        session.get(Assignment, thread.assignment_id) if thread.assignment_id is not None else None
    )
    question = service.get_question(session=session, thread=thread)
    replies = service.list_replies(session=session, thread=thread)
    rows = {p.id: p for p in [question, *replies]}
    can_edit = {
        pid: service.can_edit(session=session, user=user, thread=thread, post=post)
        for pid, post in rows.items()
    }
    # Authors who are this course's staff get a badge next to their name.
    authors = service.users_by_id(session=session, ids=[p.author_id for p in rows.values()])
    staff_ids = {
        uid
        for uid, u in authors.items()
        if service.is_staff(session=session, user=u, course_id=thread.course_id)
    }
    return page(
        request,
        "forum/thread.html",
        status_code=status_code,
        course=course,
        assignment=assignment,
        thread=detail.thread,
        question=detail.question,
        replies=detail.replies,
        following=detail.following,
        can_edit=can_edit,
        can_accept=service.can_accept(session=session, user=user, thread=thread),
        can_endorse=service.can_endorse(session=session, user=user, thread=thread),
        can_moderate=service.can_moderate(session=session, user=user, thread=thread),
        staff_ids=staff_ids,
        allow_anonymous=course.allow_anonymous,
        canonical=canonical,
        duplicates=present.threads_public(
            session=session,
            threads=duplicates.duplicates_of(session=session, thread=thread),
            viewer=user,
        ),  # fmt: skip
        error=error,
        draft=draft,
        mod_error=mod_error,
    )


@router.get("/threads/{thread_id}")
def thread_page(
    request: Request, user: OptionalUser, session: SessionDep, thread: ThreadDep
) -> Any:
    return _thread_page(request, session, thread, user)


@router.post("/threads/{thread_id}/reply")
def reply_submit(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    thread: ThreadDep,
    body: Annotated[str, Form()] = "",
    anonymous: Annotated[bool, Form()] = False,
) -> Any:
    try:
        post = service.create_reply(
            session=session, user=user, thread=thread, body=body, ip=client_ip(request),
            anonymous=anonymous,
        )  # fmt: skip
    except DomainError as exc:
        if exc.status == 429:
            raise
        return _thread_page(
            request, session, thread, user, status_code=exc.status, error=exc.message, draft=body
        )
    return see_other(f"/threads/{thread.id}#post-{post.id}")


@router.get("/threads/{thread_id}/edit")
def edit_thread_form(
    request: Request, user: CurrentUser, session: SessionDep, thread: ThreadDep
) -> Any:
    question = service.get_question(session=session, thread=thread)
    if not service.can_edit(session=session, user=user, thread=thread, post=question):
        raise PermissionDenied(service.EDIT_DENIED)
    return page(
        request,
        "forum/edit.html",
        thread=thread,
        post=question,
        action=f"/threads/{thread.id}/edit",
        values={"title": thread.title, "body": question.body},
        error=None,
    )


@router.post("/threads/{thread_id}/edit")
def edit_thread_submit(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    thread: ThreadDep,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
) -> Any:
    try:
        service.edit_thread(session=session, user=user, thread=thread, title=title, body=body)
    except InvalidInput as exc:
        session.rollback()
        return page(
            request,
            "forum/edit.html",
            exc.status,
            thread=thread,
            post=service.get_question(session=session, thread=thread),
            action=f"/threads/{thread.id}/edit",
            values={"title": title, "body": body},
            error=exc.message,
        )
    return see_other(f"/threads/{thread.id}")


@router.get("/posts/{post_id}/edit")
def edit_post_form(
    request: Request, user: CurrentUser, session: SessionDep, post: PostDep, thread: PostThreadDep
) -> Any:
    if post.is_question:
        return see_other(f"/threads/{thread.id}/edit")
    if not service.can_edit(session=session, user=user, thread=thread, post=post):
        raise PermissionDenied(service.EDIT_DENIED)
    return page(
        request,
        "forum/edit.html",
        thread=thread,
        post=post,
        action=f"/posts/{post.id}/edit",
        values={"body": post.body},
        error=None,
    )


@router.post("/posts/{post_id}/edit")
def edit_post_submit(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    post: PostDep,
    thread: PostThreadDep,
    body: Annotated[str, Form()] = "",
) -> Any:
    try:
        service.edit_post(session=session, user=user, post=post, thread=thread, body=body)
    except InvalidInput as exc:
        session.rollback()
        return page(
            request,
            "forum/edit.html",
            exc.status,
            thread=thread,
            post=post,
            action=f"/posts/{post.id}/edit",
            values={"body": body},
            error=exc.message,
        )
    return see_other(f"/threads/{thread.id}#post-{post.id}")


@router.post("/threads/{thread_id}/delete")
def delete_thread_submit(user: CurrentUser, session: SessionDep, thread: ThreadDep) -> Any:
    course = service.get_course_by_id(session=session, course_id=thread.course_id)
    service.delete_thread(session=session, user=user, thread=thread)
    return see_other(f"/courses/{course.slug}")


@router.post("/posts/{post_id}/delete")
def delete_post_submit(
    user: CurrentUser, session: SessionDep, post: PostDep, thread: PostThreadDep
) -> Any:
    service.delete_post(session=session, user=user, post=post, thread=thread)
    if post.is_question:
        course = service.get_course_by_id(session=session, course_id=thread.course_id)
        return see_other(f"/courses/{course.slug}")
    return see_other(f"/threads/{thread.id}")


@router.post("/posts/{post_id}/vote")
def vote_submit(
    user: CurrentUser,
    session: SessionDep,
    post: PostDep,
    thread: PostThreadDep,
    value: Annotated[int, Form(ge=-1, le=1)] = 0,
) -> Any:
    """1 or -1 votes; 0 takes the vote back."""
    if value == 0:
        service.retract_vote(session=session, user=user, post=post, thread=thread)
    else:
        service.vote(session=session, user=user, post=post, thread=thread, value=value)
    return see_other(f"/threads/{thread.id}#post-{post.id}")


@router.post("/threads/{thread_id}/accept")
def accept_submit(
    user: CurrentUser, session: SessionDep, thread: ThreadDep, post_id: Annotated[int, Form()]
) -> Any:
    service.accept(session=session, user=user, thread=thread, post_id=post_id)
    return see_other(f"/threads/{thread.id}#post-{post_id}")


@router.post("/posts/{post_id}/endorse")
def endorse_submit(
    user: CurrentUser,
    session: SessionDep,
    post: PostDep,
    thread: PostThreadDep,
    value: Annotated[bool, Form()] = True,
) -> Any:
    service.endorse(session=session, user=user, post=post, thread=thread, value=value)
    return see_other(f"/threads/{thread.id}#post-{post.id}")


@router.post("/threads/{thread_id}/pin")
def pin_submit(
    user: CurrentUser, session: SessionDep, thread: ThreadDep, value: Annotated[bool, Form()] = True
) -> Any:
    service.set_pinned(session=session, user=user, thread=thread, value=value)
    return see_other(f"/threads/{thread.id}")


@router.post("/threads/{thread_id}/lock")
def lock_submit(
    user: CurrentUser, session: SessionDep, thread: ThreadDep, value: Annotated[bool, Form()] = True
) -> Any:
    service.set_locked(session=session, user=user, thread=thread, value=value)
    return see_other(f"/threads/{thread.id}")


@router.post("/threads/{thread_id}/duplicate")
def duplicate_submit(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    thread: ThreadDep,
    duplicate_of: Annotated[str, Form(max_length=200)] = "",
) -> Any:
    """Close as a duplicate of a thread given by id or URL (``/threads/12``); empty reopens."""
    try:
        if not duplicate_of.strip():
            duplicates.reopen_duplicate(session=session, user=user, thread=thread)
        else:
            duplicates.close_as_duplicate(
                session=session, user=user, thread=thread,
                canonical_id=_thread_id_of(duplicate_of),
            )  # fmt: skip
    except (InvalidInput, NotFound) as exc:
        session.rollback()
        return _thread_page(
            request, session, thread, user, status_code=exc.status, mod_error=exc.message
        )
    return see_other(f"/threads/{thread.id}")


def _thread_id_of(text: str) -> int:
    tail = text.strip().rstrip("/").rsplit("/", 1)[-1].split("#")[0].lstrip("#")
    if not tail.isdigit() or len(tail) > 10:
        raise InvalidInput("Give the original thread's number or its link, e.g. /threads/12.")
    return int(tail)


@router.post("/threads/{thread_id}/publish")
def publish_submit(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    thread: ThreadDep,
    anonymous: Annotated[bool, Form()] = False,
) -> Any:
    """Staff make an answered private thread public, optionally hiding the asker."""
    try:
        privacy_service.make_public(session=session, user=user, thread=thread, anonymous=anonymous)
    except DomainError as exc:
        if exc.status in (401, 403, 429):
            raise
        session.rollback()
        return _thread_page(
            request, session, thread, user, status_code=exc.status, mod_error=exc.message
        )
    return see_other(f"/threads/{thread.id}")


@router.post("/courses/{slug}/settings")
def course_settings_submit(
    slug: str,
    user: CurrentUser,
    session: SessionDep,
    allow_anonymous: Annotated[bool, Form()] = False,
) -> Any:
    """The course's staff allow or forbid anonymous posts."""
    course = service.get_course(session=session, slug=slug)
    privacy_service.set_allow_anonymous(
        session=session, user=user, course=course, value=allow_anonymous
    )
    return see_other(f"/courses/{course.slug}")


@router.post("/threads/{thread_id}/follow")
def follow_submit(
    user: CurrentUser, session: SessionDep, thread: ThreadDep, value: Annotated[bool, Form()] = True
) -> Any:
    if value:
        service.follow(session=session, user=user, thread=thread)
    else:
        service.unfollow(session=session, user=user, thread=thread)
    return see_other(f"/threads/{thread.id}")
