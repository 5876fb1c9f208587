"""Turn forum rows into public API shapes (no private user fields, deleted text withheld)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from core.markdown import plain_snippet, render
from forum import privacy, service
from forum.models import Course, Post, Thread
from forum.schemas import AuthorPublic, PostPublic, ThreadDetail, ThreadPublic
from users.models import User


def author(user: User | None, *, anonymous: bool = False) -> AuthorPublic | None:
    if user is None or user.id is None:
        return None
    return AuthorPublic(
        id=user.id, username=user.username, display_name=user.display_name, role=user.role,
        anonymous=anonymous,
    )  # fmt: skip


def alias_author(thread: Thread, user_id: int) -> AuthorPublic:
    """An anonymous post as classmates see it: the thread's alias, no id, no username."""
    return AuthorPublic(
        id=None, username="", display_name=privacy.alias(thread, user_id), anonymous=True
    )


def post_author(
    scope: privacy.Scope, thread: Thread, post: Post, users: dict[int, User]
) -> AuthorPublic | None:
    """The real author (marked when anonymous) for staff and the author; else the alias."""
    if privacy.hides_author(scope, thread, post):
        return alias_author(thread, post.author_id)
    return author(users.get(post.author_id), anonymous=post.is_anonymous)


def thread_url(thread_id: int) -> str:
    return f"/threads/{thread_id}"


def threads_public(
    *, session: Session, threads: Sequence[Thread], viewer: User | None = None
) -> list[ThreadPublic]:
    """Several threads at once, with their authors, courses and assignments looked up in bulk;
    an anonymous asker is shown by alias unless ``viewer`` is the asker or the course's staff."""
    scope = privacy.scope_of(session, viewer)
    users = service.users_by_id(session=session, ids=[t.author_id for t in threads])
    courses = service.courses_by_id(session=session, ids=[t.course_id for t in threads])
    assignments = service.assignments_by_id(session=session, ids=[t.assignment_id for t in threads])
    questions = service.questions_by_thread(
        session=session, thread_ids=[t.id for t in threads if t.id is not None]
    )
    out = []
    for t in threads:
        assert t.id is not None
        a = assignments.get(t.assignment_id) if t.assignment_id else None
        q = questions.get(t.id)
        course: Course | None = courses.get(t.course_id)
        out.append(
            ThreadPublic(
                id=t.id,
                course_id=t.course_id,
                course_slug=course.slug if course else "",
                assignment_id=t.assignment_id,
                assignment_slug=a.slug if a else None,
                author=(
                    alias_author(t, t.author_id)
                    if t.is_anonymous
                    and t.author_id != scope.user_id
                    and not scope.is_staff(t.course_id)
                    else author(users.get(t.author_id), anonymous=t.is_anonymous)
                ),  # fmt: skip
                title=t.title,
                snippet=plain_snippet(q.body, 160) if q and q.deleted_at is None else "",
                created_at=t.created_at,
                last_activity_at=t.last_activity_at,
                pinned=t.pinned,
                locked=t.locked,
                accepted_post_id=t.accepted_post_id,
                reply_count=t.reply_count,
                score=t.score,
                url=thread_url(t.id),
                private=t.is_private,
                duplicate_of_id=t.duplicate_of_id,
            )
        )
    return out


def posts_public(
    *, session: Session, thread: Thread, posts: Sequence[Post], viewer: User | None
) -> list[PostPublic]:
    users = service.users_by_id(
        session=session,
        ids=[p.author_id for p in posts]
        + [p.edited_by_id for p in posts]
        + [p.endorsed_by_id for p in posts],
    )
    votes = service.my_votes(
        session=session, user=viewer, post_ids=[p.id for p in posts if p.id is not None]
    )
    scope = privacy.scope_of(session, viewer)
    out = []
    for p in posts:
        assert p.id is not None
        deleted = p.deleted_at is not None
        hidden = privacy.hides_author(scope, thread, p)
        # An anonymous author's own edit is shown under the alias too; anyone else's by name.
        editor = (
            alias_author(thread, p.author_id)
            if hidden and p.edited_by_id == p.author_id
            else author(users.get(p.edited_by_id))
            if p.edited_by_id
            else None
        )
        out.append(
            PostPublic(
                id=p.id,
                thread_id=p.thread_id,
                author=None if deleted else post_author(scope, thread, p, users),
                is_question=p.is_question,
                body="" if deleted else p.body,
                body_html="" if deleted else str(render(p.body)),
                created_at=p.created_at,
                edited_at=p.edited_at,
                edited_by=editor,
                deleted=deleted,
                score=p.score,
                accepted=thread.accepted_post_id == p.id,
                endorsed=p.endorsed_by_id is not None,
                endorsed_by=author(users.get(p.endorsed_by_id)) if p.endorsed_by_id else None,
                my_vote=votes.get(p.id),
            )
        )
    return out


def thread_detail(*, session: Session, thread: Thread, viewer: User | None) -> ThreadDetail:
    question = service.get_question(session=session, thread=thread)
    replies = service.list_replies(session=session, thread=thread)
    posts = posts_public(session=session, thread=thread, posts=[question, *replies], viewer=viewer)
    return ThreadDetail(
        thread=threads_public(session=session, threads=[thread], viewer=viewer)[0],
        question=posts[0],
        replies=posts[1:],
        following=service.is_following(session=session, user=viewer, thread=thread),
    )
