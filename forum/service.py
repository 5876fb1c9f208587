"""Forum logic: courses, assignments, threads, replies, votes, answers and moderation.

Plain keyword-only functions over a ``Session``; they raise ``core.errors`` exceptions and never
import FastAPI. Every change to searchable content writes an index event in the same transaction.
Closing duplicates lives in ``forum.duplicates``; the staff's privacy actions (anonymity setting,
making a private thread public) in ``forum.privacy_service``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.ids import in_range
from core.ratelimit import is_new_account, limiter
from core.settings import get_settings
from core.throttle import throttle
from forum import hooks, privacy
from forum.models import Assignment, Course, Post, Thread, ThreadFollow, Vote
from forum.schemas import ThreadSort
from index.events import IndexOp, record
from notify import service as notify_service
from notify.models import FollowKind
from users.models import Role, User
from users.policy import may_moderate

# Courses and assignments


def list_courses(*, session: Session) -> list[Course]:
    """Every course, by title."""
    return list(session.exec(select(Course).order_by(col(Course.title))).all())


def get_course(*, session: Session, slug: str) -> Course:
    """The course with this slug, or NotFound."""
    course = None
    if _storable(slug):
        course = session.exec(select(Course).where(Course.slug == slug)).first()
    if course is None:
        raise NotFound(f"No course {slug!r}; pick one from the course list.")
    return course


def get_course_by_id(*, session: Session, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound("No such course; pick one from the course list.")
    return course


def list_assignments(*, session: Session, course_id: int) -> list[Assignment]:
    """A course's assignments in teaching order."""
    return list(
        session.exec(
            select(Assignment)
            .where(Assignment.course_id == course_id)
            .order_by(col(Assignment.position), col(Assignment.id))
        ).all()
    )


def get_assignment(*, session: Session, course: Course, slug: str) -> Assignment:
    """The assignment with this slug in this course, or NotFound."""
    assignment = None
    if _storable(slug):
        assignment = session.exec(
            select(Assignment).where(Assignment.course_id == course.id, Assignment.slug == slug)
        ).first()
    if assignment is None:
        raise NotFound(f"No assignment {slug!r} in {course.title}; pick one from the course page.")
    return assignment


def assignment_counts(*, session: Session) -> dict[int, int]:
    """Number of assignments per course id."""
    rows = session.exec(
        select(Assignment.course_id, func.count(col(Assignment.id))).group_by(
            col(Assignment.course_id)
        )
    ).all()
    return {course_id: n for course_id, n in rows}


def thread_counts(*, session: Session, scope: privacy.Scope = privacy.PUBLIC) -> dict[int, int]:
    """Number of threads per course id that ``scope`` may see in the lists (no duplicates)."""
    rows = session.exec(
        select(Thread.course_id, func.count(col(Thread.id)))
        .where(
            col(Thread.deleted_at).is_(None),
            col(Thread.duplicate_of_id).is_(None),
            privacy.visible_clause(scope),
        )
        .group_by(col(Thread.course_id))
    ).all()
    return {course_id: n for course_id, n in rows}


# Permissions: the one place the forum decides who may do what.


def can_edit(*, session: Session, user: User | None, thread: Thread, post: Post) -> bool:
    """Authors edit and delete their own posts; moderators and the course's instructors any."""
    if user is None:
        return False
    if post.author_id == user.id:
        return True
    return may_moderate(session, user, thread.course_id)


def can_accept(*, session: Session, user: User | None, thread: Thread) -> bool:
    if user is None:
        return False
    return thread.author_id == user.id or may_moderate(session, user, thread.course_id)


def can_endorse(*, session: Session, user: User | None, thread: Thread) -> bool:
    """Instructors of the course, moderators and admins."""
    return may_moderate(session, user, thread.course_id)


def can_moderate(*, session: Session, user: User | None, thread: Thread) -> bool:
    """Pin and lock: moderators, admins and the course's instructors."""
    return may_moderate(session, user, thread.course_id)


def may_moderate_course(*, session: Session, user: User | None, course: Course) -> bool:
    return course.id is not None and may_moderate(session, user, course.id)


def is_staff(*, session: Session, user: User | None, course_id: int) -> bool:
    """Shown as a badge next to names: instructors of the course and site moderators."""
    return may_moderate(session, user, course_id)


EDIT_DENIED = "Only the author, moderators and this course's instructors can edit this."


# Validation and limits


def _storable(text: str) -> bool:
    # PostgreSQL text cannot hold NUL; such a slug names nothing.
    return "\x00" not in text


def _strip_nul(text: str) -> str:
    return text.replace("\x00", "")


def clean_title(
    title: str | None, *, empty: str = "The title is empty; say in a few words what goes wrong."
) -> str:
    """A thread's or an erratum's title: one line, spaces collapsed, not empty, not too long.

    Linear in the input (tests/assistant/test_parsing_linear_time.py); ``empty`` is the message
    when nothing is left, worded for the form it comes from.
    """
    text = " ".join(_strip_nul(title or "").split())
    if not text:
        raise InvalidInput(empty)
    limit = get_settings().max_title_chars
    if len(text) > limit:
        raise InvalidInput(f"The title is longer than {limit} characters; shorten it.")
    return text


def _clean_body(body: str | None, what: str = "post") -> str:
    text = _strip_nul(body or "").strip("\n\r ")
    if not text.strip():
        raise InvalidInput(f"The {what} is empty; write something first.")
    limit = get_settings().max_post_chars
    if len(text) > limit:
        raise InvalidInput(
            f"The {what} is longer than {limit} characters; trim long outputs to the relevant part."
        )
    return text


def _rate_limit_post(*, user: User, ip: str | None) -> None:
    """Per user and per IP; brand-new accounts get the tighter limit (ACCEPTANCE B1)."""
    settings = get_settings()
    if not settings.rate_limits_enabled:
        return
    young = is_new_account(user.created_at, settings.new_account_seconds)
    if young and user.role == Role.learner:
        limiter.hit(f"post-new:{user.id}", settings.rate_post_new_account, what="posts")
    limiter.hit(f"post-user:{user.id}", settings.rate_post, what="posts")
    if ip:
        limiter.hit(f"post-ip:{ip}", settings.rate_post, what="posts from this address")


# Threads


def visible_thread(
    *, session: Session, thread_id: int, viewer: User | None = None
) -> Thread | None:
    """The thread, or None if there is none, it was deleted (gone for everyone, staff too), or
    it is private and ``viewer`` is neither its author nor the course's staff (issue #17).

    Routes and pages get it through ``forum.dependencies.ThreadDep``, which turns None into 404.
    """
    thread = session.get(Thread, thread_id) if in_range(thread_id) else None
    if thread is None or thread.deleted_at is not None:
        return None
    if not privacy.can_see(session, viewer, thread):
        return None
    return thread


def get_question(*, session: Session, thread: Thread) -> Post:
    post = session.exec(
        select(Post).where(Post.thread_id == thread.id, col(Post.is_question).is_(True))
    ).first()
    if post is None:  # pragma: no cover - every thread is created with its question
        raise NotFound("This thread has no question.")
    return post


def list_replies(*, session: Session, thread: Thread) -> list[Post]:
    """Replies in order, deleted ones included (pages show them as "[deleted]")."""
    return list(
        session.exec(
            select(Post)
            .where(Post.thread_id == thread.id, col(Post.is_question).is_(False))
            .order_by(col(Post.created_at), col(Post.id))
        ).all()
    )


def create_thread(
    *,
    session: Session,
    user: User,
    course: Course,
    title: str,
    body: str,
    assignment: Assignment | None = None,
    ip: str | None = None,
    anonymous: bool = False,
    private: bool = False,
) -> Thread:
    """A new question: the thread and its first post; the author follows it. ``anonymous``
    hides the author from classmates (if the course allows it), ``private`` shows the thread
    to its author and the course's staff only."""
    tidy_title = clean_title(title)
    clean_body = _clean_body(body, "question")
    if assignment is not None and assignment.course_id != course.id:
        raise InvalidInput("That assignment belongs to another course; pick one from this course.")
    if anonymous and not course.allow_anonymous:
        raise InvalidInput(f"{course.title} does not allow anonymous posts; post with your name.")
    _rate_limit_post(user=user, ip=ip)
    assert course.id is not None and user.id is not None
    now = utcnow()
    thread = Thread(
        course_id=course.id,
        assignment_id=assignment.id if assignment else None,
        author_id=user.id,
        title=tidy_title,
        created_at=now,
        last_activity_at=now,
        is_private=private,
        is_anonymous=anonymous,
        alias_salt=privacy.new_salt(),
    )
    session.add(thread)
    session.flush()
    assert thread.id is not None
    question = Post(
        thread_id=thread.id,
        author_id=user.id,
        is_question=True,
        body=clean_body,
        created_at=now,
        is_anonymous=anonymous,
    )
    session.add(question)
    session.add(ThreadFollow(user_id=user.id, thread_id=thread.id))
    if assignment is not None and assignment.id is not None:
        # Asking in an assignment follows it (issue #15): its errata reach the asker.
        notify_service.follow(
            session=session, user_id=user.id, kind=FollowKind.assignment,
            target_id=assignment.id, commit=False,
        )  # fmt: skip
    record(session, doc_type="thread", doc_id=thread.id, op=IndexOp.upsert)
    hooks.post_written(session, thread, question, user)
    session.commit()
    session.refresh(thread)
    return thread


def list_threads(
    *,
    session: Session,
    course_id: int,
    assignment_id: int | None = None,
    sort: ThreadSort = ThreadSort.activity,
    limit: int = 20,
    offset: int = 0,
    scope: privacy.Scope = privacy.PUBLIC,
) -> tuple[list[Thread], int]:
    """One page of a course's (or an assignment's) visible threads, pinned first, and the count.

    Threads closed as duplicates leave the lists (their canonical thread stays); private
    threads are listed only to those ``scope`` says may see them."""
    where: list[Any] = [
        col(Thread.course_id) == course_id,
        col(Thread.deleted_at).is_(None),
        col(Thread.duplicate_of_id).is_(None),
        privacy.visible_clause(scope),
    ]
    if assignment_id is not None:
        where.append(col(Thread.assignment_id) == assignment_id)
    if sort == ThreadSort.unanswered:
        # No accepted answer (and threads with no reply at all come first).
        where.append(col(Thread.accepted_post_id).is_(None))
    count = session.exec(select(func.count(col(Thread.id))).where(*where)).one()
    orders: dict[ThreadSort, list[Any]] = {
        ThreadSort.newest: [col(Thread.created_at).desc()],
        ThreadSort.activity: [col(Thread.last_activity_at).desc()],
        ThreadSort.votes: [col(Thread.score).desc(), col(Thread.created_at).desc()],
        ThreadSort.unanswered: [col(Thread.reply_count), col(Thread.created_at).desc()],
    }
    order = orders[sort]
    rows = session.exec(
        select(Thread)
        .where(*where)
        .order_by(col(Thread.pinned).desc(), *order, col(Thread.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(count)


def recent_threads(
    *, session: Session, limit: int = 8, scope: privacy.Scope = privacy.PUBLIC
) -> list[Thread]:
    """The most recently active threads across all courses (the home page)."""
    return list(
        session.exec(
            select(Thread)
            .where(
                col(Thread.deleted_at).is_(None),
                col(Thread.duplicate_of_id).is_(None),
                privacy.visible_clause(scope),
            )
            .order_by(col(Thread.last_activity_at).desc(), col(Thread.id).desc())
            .limit(limit)
        ).all()
    )


def edit_thread(
    *,
    session: Session,
    user: User,
    thread: Thread,
    title: str | None = None,
    body: str | None = None,
) -> Thread:
    """Change the title and/or the question; marks the question edited."""
    throttle("edit", rate=get_settings().rate_edit, user_id=user.id, ip=None, what="edits")
    question = get_question(session=session, thread=thread)
    if not can_edit(session=session, user=user, thread=thread, post=question):
        raise PermissionDenied(
            "Only the author, moderators and this course's instructors can edit."
        )
    if title is None and body is None:
        raise InvalidInput("Send a new title or body to edit.")
    now = utcnow()
    if title is not None:
        thread.title = clean_title(title)
    if body is not None:
        question.body = _clean_body(body, "question")
    question.edited_at = now
    question.edited_by_id = user.id
    session.add(thread)
    session.add(question)
    assert thread.id is not None
    record(session, doc_type="thread", doc_id=thread.id, op=IndexOp.upsert)
    _reindex_canonical(session, thread)
    session.commit()
    return thread


def delete_thread(*, session: Session, user: User, thread: Thread) -> None:
    """Soft delete: the thread disappears from lists, pages and search."""
    question = get_question(session=session, thread=thread)
    if not can_edit(session=session, user=user, thread=thread, post=question):
        raise PermissionDenied(
            "Only the author, moderators and this course's instructors can delete."
        )
    now = utcnow()
    thread.deleted_at = now
    question.deleted_at = now
    session.add(thread)
    session.add(question)
    assert thread.id is not None
    record(session, doc_type="thread", doc_id=thread.id, op=IndexOp.delete)
    _reindex_canonical(session, thread)
    for reply in list_replies(session=session, thread=thread):
        if reply.deleted_at is None and reply.id is not None:
            record(session, doc_type="post", doc_id=reply.id, op=IndexOp.delete)
    session.commit()


def set_pinned(*, session: Session, user: User, thread: Thread, value: bool) -> Thread:
    if not can_moderate(session=session, user=user, thread=thread):
        raise PermissionDenied("Only moderators and this course's instructors can pin threads.")
    thread.pinned = value
    session.add(thread)
    session.commit()
    return thread


def set_locked(*, session: Session, user: User, thread: Thread, value: bool) -> Thread:
    if not can_moderate(session=session, user=user, thread=thread):
        raise PermissionDenied("Only moderators and this course's instructors can lock threads.")
    thread.locked = value
    session.add(thread)
    session.commit()
    return thread


# Reindexing when what a thread shows changed (issue #17: duplicates, private threads)


def _reindex_canonical(session: Session, thread: Thread) -> None:
    """A duplicate's title and question are searched as part of its canonical thread."""
    if thread.duplicate_of_id is not None:
        record(session, doc_type="thread", doc_id=thread.duplicate_of_id, op=IndexOp.upsert)


def reindex_thread(session: Session, thread: Thread) -> None:
    """The thread and each of its live replies, reloaded (their visibility changed)."""
    assert thread.id is not None
    record(session, doc_type="thread", doc_id=thread.id, op=IndexOp.upsert)
    for reply in list_replies(session=session, thread=thread):
        if reply.deleted_at is None and reply.id is not None:
            record(session, doc_type="post", doc_id=reply.id, op=IndexOp.upsert)


# Posts


def visible_post(*, session: Session, post_id: int, viewer: User | None = None) -> Post | None:
    """The post, or None if there is none, it was deleted, or its thread was (a deleted
    thread's replies keep no ``deleted_at`` of their own but are gone with it).

    Routes and pages get it through ``forum.dependencies.PostDep``, which turns None into 404.
    """
    post = session.get(Post, post_id) if in_range(post_id) else None
    if post is None or post.deleted_at is not None:
        return None
    if visible_thread(session=session, thread_id=post.thread_id, viewer=viewer) is None:
        return None
    return post


def create_reply(
    *,
    session: Session,
    user: User,
    thread: Thread,
    body: str,
    ip: str | None = None,
    anonymous: bool = False,
) -> Post:
    """A reply; the replier follows the thread. ``anonymous``: shown to classmates under the
    thread's alias for this user (if the course allows anonymous posts)."""
    if thread.locked:
        raise Conflict("This thread is locked; start a new thread if you still need help.")
    clean = _clean_body(body, "reply")
    if anonymous:
        course = get_course_by_id(session=session, course_id=thread.course_id)
        if not course.allow_anonymous:
            raise InvalidInput(
                f"{course.title} does not allow anonymous posts; post with your name."
            )
        if not thread.alias_salt:
            privacy.ensure_salt(thread)
            session.add(thread)
    _rate_limit_post(user=user, ip=ip)
    assert thread.id is not None and user.id is not None
    now = utcnow()
    post = Post(
        thread_id=thread.id, author_id=user.id, body=clean, created_at=now, is_anonymous=anonymous
    )
    session.add(post)
    # In SQL, not in Python: concurrent replies must not lose a count.
    session.execute(
        update(Thread)
        .where(col(Thread.id) == thread.id)
        .values(reply_count=col(Thread.reply_count) + 1, last_activity_at=now)
    )
    if not _follow_row(session=session, user=user, thread=thread):
        session.add(ThreadFollow(user_id=user.id, thread_id=thread.id))
    session.flush()
    assert post.id is not None
    record(session, doc_type="post", doc_id=post.id, op=IndexOp.upsert)
    name = privacy.public_name(thread, post, user.name)
    tell_followers(session, thread, "reply", f"{name} replied", post, user.id, clean)
    hooks.post_written(session, thread, post, user)
    session.commit()
    session.refresh(post)
    session.refresh(thread)
    return post


def edit_post(*, session: Session, user: User, post: Post, thread: Thread, body: str) -> Post:
    """Change a post's body; the page shows it as edited."""
    throttle("edit", rate=get_settings().rate_edit, user_id=user.id, ip=None, what="edits")
    if not can_edit(session=session, user=user, thread=thread, post=post):
        raise PermissionDenied(
            "Only the author, moderators and this course's instructors can edit."
        )
    post.body = _clean_body(body, "question" if post.is_question else "reply")
    post.edited_at = utcnow()
    post.edited_by_id = user.id
    session.add(post)
    doc_type, doc_id = ("thread", thread.id) if post.is_question else ("post", post.id)
    assert doc_id is not None
    record(session, doc_type=doc_type, doc_id=doc_id, op=IndexOp.upsert)
    if post.is_question:
        _reindex_canonical(session, thread)
    hooks.post_written(session, thread, post, user)
    session.commit()
    return post


def delete_post(*, session: Session, user: User, post: Post, thread: Thread) -> None:
    """Soft delete a reply (the question deletes its whole thread)."""
    if post.is_question:
        delete_thread(session=session, user=user, thread=thread)
        return
    if not can_edit(session=session, user=user, thread=thread, post=post):
        raise PermissionDenied(
            "Only the author, moderators and this course's instructors can delete."
        )
    assert post.id is not None and thread.id is not None
    # Only the request that actually deletes the reply changes the count.
    done = session.execute(
        update(Post)
        .where(col(Post.id) == post.id, col(Post.deleted_at).is_(None))
        .values(deleted_at=utcnow())
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise NotFound("No such post; it may have been deleted.")
    values: dict[str, Any] = {"reply_count": col(Thread.reply_count) - 1}
    if thread.accepted_post_id == post.id:
        values["accepted_post_id"] = None
    session.execute(update(Thread).where(col(Thread.id) == thread.id).values(**values))
    record(session, doc_type="post", doc_id=post.id, op=IndexOp.delete)
    session.commit()
    session.refresh(post)
    session.refresh(thread)


# Votes


def _add_score(*, session: Session, post: Post, thread: Thread, delta: int) -> None:
    # Incremented in SQL (row-locked by the UPDATE), so concurrent voters never lose a vote;
    # the question's score is copied to its thread for sorting.
    if delta == 0:
        return
    session.flush()
    session.execute(
        update(Post).where(col(Post.id) == post.id).values(score=col(Post.score) + delta)
    )
    if post.is_question:
        session.execute(
            update(Thread)
            .where(col(Thread.id) == thread.id)
            .values(score=col(Thread.score) + delta)
        )


def vote(*, session: Session, user: User, post: Post, thread: Thread, value: int) -> Post:
    """Set the user's one vote on a post (+1 or -1), replacing an earlier one."""
    throttle("vote", rate=get_settings().rate_vote, user_id=user.id, ip=None, what="votes")
    if value not in (1, -1):
        raise InvalidInput("A vote is 1 (up) or -1 (down).")
    if post.author_id == user.id:
        raise PermissionDenied("You can't vote on your own post.")
    assert user.id is not None and post.id is not None
    existing = session.exec(
        select(Vote).where(Vote.user_id == user.id, Vote.post_id == post.id)
    ).first()
    old = existing.value if existing is not None else 0
    if existing is None:
        session.add(Vote(user_id=user.id, post_id=post.id, value=value))
    else:
        existing.value = value
        session.add(existing)
    try:
        _add_score(session=session, post=post, thread=thread, delta=value - old)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("Your vote was counted by another request; reload the page.") from None
    session.refresh(post)
    session.refresh(thread)
    return post


def retract_vote(*, session: Session, user: User, post: Post, thread: Thread) -> Post:
    """Take the user's vote back (nothing happens if there is none)."""
    throttle("vote", rate=get_settings().rate_vote, user_id=user.id, ip=None, what="votes")
    existing = session.exec(
        select(Vote).where(Vote.user_id == user.id, Vote.post_id == post.id)
    ).first()
    if existing is not None:
        session.delete(existing)
        _add_score(session=session, post=post, thread=thread, delta=-existing.value)
        session.commit()
        session.refresh(post)
        session.refresh(thread)
    return post


def my_votes(*, session: Session, user: User | None, post_ids: Sequence[int]) -> dict[int, int]:
    if user is None or not post_ids:
        return {}
    rows = session.exec(
        select(Vote.post_id, Vote.value).where(
            Vote.user_id == user.id, col(Vote.post_id).in_(list(post_ids))
        )
    ).all()
    return {post_id: value for post_id, value in rows}


# Accepted and endorsed answers


def accept(*, session: Session, user: User, thread: Thread, post_id: int) -> Thread:
    """Mark a reply as the accepted answer; accepting it again takes that back."""
    if not can_accept(session=session, user=user, thread=thread):
        raise PermissionDenied(
            "Only the thread's author and this course's instructors can accept an answer."
        )
    post = session.get(Post, post_id) if in_range(post_id) else None
    if post is None or post.thread_id != thread.id or post.deleted_at is not None:
        raise NotFound("No such reply in this thread.")
    if post.is_question:
        raise InvalidInput("The question can't be its own answer; accept a reply.")
    previous = thread.accepted_post_id
    thread.accepted_post_id = None if previous == post.id else post.id
    session.add(thread)
    assert thread.id is not None
    for changed in {previous, post.id} - {None}:
        assert changed is not None
        record(session, doc_type="post", doc_id=changed, op=IndexOp.upsert)
    record(session, doc_type="thread", doc_id=thread.id, op=IndexOp.upsert)
    if thread.accepted_post_id is not None:
        tell_followers(session, thread, "accepted", "An answer was accepted", post, user.id)
    session.commit()
    return thread


def endorse(*, session: Session, user: User, post: Post, thread: Thread, value: bool) -> Post:
    """An instructor's (or moderator's) mark that a post is right."""
    if not can_endorse(session=session, user=user, thread=thread):
        raise PermissionDenied("Only this course's instructors and moderators can endorse.")
    if value:
        if post.endorsed_by_id is None:
            post.endorsed_by_id = user.id
            post.endorsed_at = utcnow()
            what = f"{user.name} endorsed an answer"
            tell_followers(session, thread, "endorsed", what, post, user.id)
    else:
        post.endorsed_by_id = None
        post.endorsed_at = None
    session.add(post)
    doc_type, doc_id = ("thread", thread.id) if post.is_question else ("post", post.id)
    assert doc_id is not None
    record(session, doc_type=doc_type, doc_id=doc_id, op=IndexOp.upsert)
    session.commit()
    return post


# Following


def tell_followers(
    session: Session, thread: Thread, kind: str, what: str, post: Post, actor_id: int | None,
    body: str = "", url: str | None = None,
) -> None:  # fmt: skip
    """Queue a notice to the thread's followers (in-app, and mail by their choice, issue #15)."""
    assert thread.id is not None
    title = thread.title if len(thread.title) <= 120 else thread.title[:117] + "…"
    notify_service.enqueue_event(
        session=session, kind=kind, subject_kind=FollowKind.thread, subject_id=thread.id,
        course_id=thread.course_id, group_title=thread.title, title=f"{what}: “{title}”",
        message=f"{what} in “{title}”.", url=url or f"/threads/{thread.id}#post-{post.id}",
        detail=(body or post.body)[:1500], actor_id=actor_id,
        recipients=followers(session=session, thread_id=thread.id),
    )  # fmt: skip


def _follow_row(*, session: Session, user: User, thread: Thread) -> ThreadFollow | None:
    return session.exec(
        select(ThreadFollow).where(
            ThreadFollow.user_id == user.id, ThreadFollow.thread_id == thread.id
        )
    ).first()


def is_following(*, session: Session, user: User | None, thread: Thread) -> bool:
    return user is not None and _follow_row(session=session, user=user, thread=thread) is not None


def follow(*, session: Session, user: User, thread: Thread) -> None:
    if _follow_row(session=session, user=user, thread=thread) is None:
        assert user.id is not None and thread.id is not None
        session.add(ThreadFollow(user_id=user.id, thread_id=thread.id))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # followed by a concurrent request: the outcome is the same


def unfollow(*, session: Session, user: User, thread: Thread) -> None:
    row = _follow_row(session=session, user=user, thread=thread)
    if row is not None:
        session.delete(row)
        session.commit()


def followers(*, session: Session, thread_id: int) -> list[int]:
    """User ids following a thread (for notifications)."""
    return list(
        session.exec(select(ThreadFollow.user_id).where(ThreadFollow.thread_id == thread_id)).all()
    )


# Lookups for building responses


def users_by_id(*, session: Session, ids: Sequence[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(User).where(col(User.id).in_(wanted))).all()
    return {u.id: u for u in rows if u.id is not None}


def assignments_by_id(*, session: Session, ids: Sequence[int | None]) -> dict[int, Assignment]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(Assignment).where(col(Assignment.id).in_(wanted))).all()
    return {a.id: a for a in rows if a.id is not None}


def courses_by_id(*, session: Session, ids: Sequence[int]) -> dict[int, Course]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.exec(select(Course).where(col(Course.id).in_(wanted))).all()
    return {c.id: c for c in rows if c.id is not None}


def questions_by_thread(*, session: Session, thread_ids: Sequence[int]) -> dict[int, Post]:
    if not thread_ids:
        return {}
    rows = session.exec(
        select(Post).where(col(Post.thread_id).in_(list(thread_ids)), col(Post.is_question))
    ).all()
    return {p.thread_id: p for p in rows}
