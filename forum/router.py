"""Forum JSON API: courses, assignments, threads, replies, votes, answers and moderation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from core.access import Public
from core.db import SessionDep
from core.schemas import Message, Page
from core.security import client_ip
from forum import duplicates, present, privacy, privacy_service, service
from forum.dependencies import PostDep, PostThreadDep, ThreadDep
from forum.schemas import (
    AcceptBody,
    AssignmentPublic,
    CoursePublic,
    CourseSettings,
    DuplicateBody,
    FlagBody,
    MakePublicBody,
    PostCreate,
    PostPublic,
    PostUpdate,
    ThreadCreate,
    ThreadDetail,
    ThreadPublic,
    ThreadSort,
    ThreadUpdate,
    VoteBody,
)
from users.policy import CurrentUser, OptionalUser

router = APIRouter(tags=["forum"])


# Courses and assignments


@router.get("/courses", response_model=Page[CoursePublic])
def list_courses(session: SessionDep, user: OptionalUser) -> Page[CoursePublic]:
    """Every course with its number of assignments and threads."""
    courses = service.list_courses(session=session)
    counts = service.assignment_counts(session=session)
    threads = service.thread_counts(session=session, scope=privacy.scope_of(session, user))
    data = [
        CoursePublic(
            **c.model_dump(include={"id", "slug", "title", "description"}),
            assignment_count=counts.get(c.id or 0, 0),
            thread_count=threads.get(c.id or 0, 0),
        )
        for c in courses
    ]
    return Page(data=data, count=len(data))


@router.get("/courses/{slug}", response_model=CoursePublic)
def read_course(slug: str, session: SessionDep, user: OptionalUser) -> CoursePublic:
    course = service.get_course(session=session, slug=slug)
    scope = privacy.scope_of(session, user)
    return CoursePublic(
        **course.model_dump(include={"id", "slug", "title", "description", "allow_anonymous"}),
        assignment_count=service.assignment_counts(session=session).get(course.id or 0, 0),
        thread_count=service.thread_counts(session=session, scope=scope).get(course.id or 0, 0),
    )


@router.patch("/courses/{slug}", response_model=CoursePublic)
def update_course(
    slug: str, body: CourseSettings, user: CurrentUser, session: SessionDep
) -> CoursePublic:
    """Course settings (the course's instructors, moderators): ``allow_anonymous`` posts."""
    course = service.get_course(session=session, slug=slug)
    privacy_service.set_allow_anonymous(
        session=session, user=user, course=course, value=body.allow_anonymous
    )
    return read_course(slug, session, user)


@router.get(
    "/courses/{slug}/assignments", response_model=Page[AssignmentPublic], dependencies=[Public]
)
def list_assignments(slug: str, session: SessionDep) -> Page[AssignmentPublic]:
    course = service.get_course(session=session, slug=slug)
    rows = service.list_assignments(session=session, course_id=course.id or 0)
    data = [AssignmentPublic.model_validate(a, from_attributes=True) for a in rows]
    return Page(data=data, count=len(data))


# Threads


@router.get("/courses/{slug}/threads", response_model=Page[ThreadPublic])
def list_threads(
    slug: str,
    session: SessionDep,
    user: OptionalUser,
    assignment: Annotated[str | None, Query(max_length=80)] = None,
    sort: ThreadSort = ThreadSort.activity,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[ThreadPublic]:
    """A course's threads (or one assignment's), pinned first, then by ``sort``."""
    course = service.get_course(session=session, slug=slug)
    assignment_id = None
    if assignment:
        assignment_id = service.get_assignment(session=session, course=course, slug=assignment).id
    rows, count = service.list_threads(
        session=session,
        course_id=course.id or 0,
        assignment_id=assignment_id,
        sort=sort,
        limit=limit,
        offset=offset,
        scope=privacy.scope_of(session, user),
    )
    data = present.threads_public(session=session, threads=rows, viewer=user)
    return Page(data=data, count=count)


@router.post("/courses/{slug}/threads", response_model=ThreadDetail, status_code=201)
def create_thread(
    slug: str, body: ThreadCreate, request: Request, user: CurrentUser, session: SessionDep
) -> ThreadDetail:
    """Ask a question: a title and a Markdown body, optionally in one assignment."""
    course = service.get_course(session=session, slug=slug)
    assignment = (
        service.get_assignment(session=session, course=course, slug=body.assignment)
        if body.assignment
        else None
    )
    thread = service.create_thread(
        session=session,
        user=user,
        course=course,
        assignment=assignment,
        title=body.title,
        body=body.body,
        ip=client_ip(request),
        anonymous=body.anonymous,
        private=body.private,
    )
    return present.thread_detail(session=session, thread=thread, viewer=user)


@router.get("/threads/{thread_id}", response_model=ThreadDetail)
def read_thread(user: OptionalUser, session: SessionDep, thread: ThreadDep) -> ThreadDetail:
    """A thread with its question and replies (deleted replies are shown without text)."""
    return present.thread_detail(session=session, thread=thread, viewer=user)


@router.patch("/threads/{thread_id}", response_model=ThreadDetail)
def update_thread(
    body: ThreadUpdate, user: CurrentUser, session: SessionDep, thread: ThreadDep
) -> ThreadDetail:
    """Edit the title and/or the question (the author, moderators, the course's instructors)."""
    service.edit_thread(session=session, user=user, thread=thread, title=body.title, body=body.body)
    return present.thread_detail(session=session, thread=thread, viewer=user)


@router.delete("/threads/{thread_id}", response_model=Message)
def delete_thread(user: CurrentUser, session: SessionDep, thread: ThreadDep) -> Message:
    service.delete_thread(session=session, user=user, thread=thread)
    return Message(detail="Thread deleted.")


@router.post("/threads/{thread_id}/replies", response_model=PostPublic, status_code=201)
def create_reply(
    body: PostCreate, request: Request, user: CurrentUser, session: SessionDep, thread: ThreadDep
) -> PostPublic:
    post = service.create_reply(
        session=session, user=user, thread=thread, body=body.body, ip=client_ip(request),
        anonymous=body.anonymous,
    )  # fmt: skip
    return present.posts_public(session=session, thread=thread, posts=[post], viewer=user)[0]


@router.post("/threads/{thread_id}/accept", response_model=ThreadPublic)
def accept_answer(
    body: AcceptBody, user: CurrentUser, session: SessionDep, thread: ThreadDep
) -> ThreadPublic:
    """Accept a reply (the thread's author or the course's instructors); again to take it back."""
    service.accept(session=session, user=user, thread=thread, post_id=body.post_id)
    return present.threads_public(session=session, threads=[thread], viewer=user)[0]


@router.post("/threads/{thread_id}/pin", response_model=ThreadPublic)
def pin_thread(
    user: CurrentUser, session: SessionDep, thread: ThreadDep, body: FlagBody | None = None
) -> ThreadPublic:
    """Pin (``{"value": true}``) or unpin a thread: moderators and the course's instructors."""
    value = body.value if body else True
    service.set_pinned(session=session, user=user, thread=thread, value=value)
    return present.threads_public(session=session, threads=[thread], viewer=user)[0]


@router.post("/threads/{thread_id}/lock", response_model=ThreadPublic)
def lock_thread(
    user: CurrentUser, session: SessionDep, thread: ThreadDep, body: FlagBody | None = None
) -> ThreadPublic:
    """Lock (``{"value": true}``) or unlock a thread: moderators and the course's instructors."""
    value = body.value if body else True
    service.set_locked(session=session, user=user, thread=thread, value=value)
    return present.threads_public(session=session, threads=[thread], viewer=user)[0]


@router.put("/threads/{thread_id}/duplicate", response_model=ThreadPublic)
def close_duplicate(
    body: DuplicateBody, user: CurrentUser, session: SessionDep, thread: ThreadDep
) -> ThreadPublic:
    """Close as a duplicate of ``duplicate_of`` (moderators and the course's instructors)."""
    duplicates.close_as_duplicate(
        session=session, user=user, thread=thread, canonical_id=body.duplicate_of
    )
    return present.threads_public(session=session, threads=[thread], viewer=user)[0]


@router.delete("/threads/{thread_id}/duplicate", response_model=ThreadPublic)
def reopen_duplicate(user: CurrentUser, session: SessionDep, thread: ThreadDep) -> ThreadPublic:
    """Undo a duplicate close: the thread is listed and searched on its own again."""
    duplicates.reopen_duplicate(session=session, user=user, thread=thread)
    return present.threads_public(session=session, threads=[thread], viewer=user)[0]


@router.post("/threads/{thread_id}/publish", response_model=ThreadPublic)
def make_public(
    user: CurrentUser, session: SessionDep, thread: ThreadDep, body: MakePublicBody | None = None
) -> ThreadPublic:
    """Open an answered private thread to the class (``{"anonymous": true}`` hides the asker)."""
    privacy_service.make_public(
        session=session, user=user, thread=thread, anonymous=bool(body and body.anonymous)
    )
    return present.threads_public(session=session, threads=[thread], viewer=user)[0]


@router.post("/threads/{thread_id}/follow", response_model=Message)
def follow_thread(user: CurrentUser, session: SessionDep, thread: ThreadDep) -> Message:
    service.follow(session=session, user=user, thread=thread)
    return Message(detail="Following this thread.")


@router.delete("/threads/{thread_id}/follow", response_model=Message)
def unfollow_thread(user: CurrentUser, session: SessionDep, thread: ThreadDep) -> Message:
    service.unfollow(session=session, user=user, thread=thread)
    return Message(detail="No longer following this thread.")


# Posts


@router.patch("/posts/{post_id}", response_model=PostPublic)
def update_post(
    body: PostUpdate, user: CurrentUser, session: SessionDep, post: PostDep, thread: PostThreadDep
) -> PostPublic:
    service.edit_post(session=session, user=user, post=post, thread=thread, body=body.body)
    return present.posts_public(session=session, thread=thread, posts=[post], viewer=user)[0]


@router.delete("/posts/{post_id}", response_model=Message)
def delete_post(
    user: CurrentUser, session: SessionDep, post: PostDep, thread: PostThreadDep
) -> Message:
    service.delete_post(session=session, user=user, post=post, thread=thread)
    return Message(detail="Post deleted.")


@router.put("/posts/{post_id}/vote", response_model=PostPublic)
def vote(
    body: VoteBody, user: CurrentUser, session: SessionDep, post: PostDep, thread: PostThreadDep
) -> PostPublic:
    """Vote a post up (1) or down (-1); one vote per user, changeable."""
    service.vote(session=session, user=user, post=post, thread=thread, value=body.value)
    return present.posts_public(session=session, thread=thread, posts=[post], viewer=user)[0]


@router.delete("/posts/{post_id}/vote", response_model=PostPublic)
def retract_vote(
    user: CurrentUser, session: SessionDep, post: PostDep, thread: PostThreadDep
) -> PostPublic:
    service.retract_vote(session=session, user=user, post=post, thread=thread)
    return present.posts_public(session=session, thread=thread, posts=[post], viewer=user)[0]


@router.post("/posts/{post_id}/endorse", response_model=PostPublic)
def endorse_post(
    user: CurrentUser,
    session: SessionDep,
    post: PostDep,
    thread: PostThreadDep,
    body: Annotated[FlagBody | None, Body()] = None,
) -> PostPublic:
    """Endorse (``{"value": true}``, the default) or un-endorse a post: the course's staff."""
    value = body.value if body else True
    service.endorse(session=session, user=user, post=post, thread=thread, value=value)
    return present.posts_public(session=session, thread=thread, posts=[post], viewer=user)[0]
