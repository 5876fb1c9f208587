"""Thread lines of the JSON Lines import and export (see ``app.importer``).

``{"type":"thread","external_id":…,"course":…,"course_title":…,"assignment":…,
"assignment_title":…,"title":…,"body":…,"replies":[{"body":…,"accepted":true,"endorsed":false}]}``

Rows are written through ``forum.models`` directly (the thread, its question post and replies)
with their index events; replies are matched on re-import by ``<external_id>#reply-<n>`` or by
their own ``external_id`` when the line gives one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.importing import Outcome, RecordBase, RejectedLine, cached_row, keep_row, local_id
from forum.models import Assignment, Course, Post, Thread
from index import events
from index.events import IndexOp


class ReplyLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    body: str = Field(min_length=1, max_length=1_000_000)
    accepted: bool = False
    endorsed: bool = False
    external_id: str | None = Field(default=None, max_length=200)


class ThreadLine(RecordBase):
    body: str = Field(min_length=1, max_length=1_000_000)
    replies: list[ReplyLine] = Field(default_factory=list, max_length=5000)


def _find_thread(session: Session, external_id: str) -> Thread | None:
    row = session.exec(select(Thread).where(Thread.external_id == external_id)).first()
    if row is not None:
        return row
    rid = local_id(external_id, "thread")
    if rid is not None:
        row = session.get(Thread, rid)
        if row is not None and row.external_id is None:
            return row
    return None


def _reply_key(thread_ext: str, index: int, reply: ReplyLine) -> str:
    return reply.external_id or f"{thread_ext}#reply-{index + 1}"


def import_record(session: Session, record: dict[str, Any], owner_id: int) -> Outcome:
    """Create or update one thread with its replies; an unchanged thread writes nothing."""
    line = ThreadLine.model_validate(record)
    if sum(1 for r in line.replies if r.accepted) > 1:
        raise RejectedLine("only one reply can be accepted")
    course, assignment = course_and_assignment(session, line)
    assert course.id is not None
    title = " ".join(line.title.split())
    thread = _find_thread(session, line.external_id)
    now = utcnow()
    created = thread is None
    if thread is None:
        thread = Thread(
            course_id=course.id,
            assignment_id=assignment.id if assignment else None,
            author_id=owner_id,
            title=title,
            external_id=line.external_id,
            created_at=now,
            last_activity_at=now,
        )
        session.add(thread)
        session.flush()
        assert thread.id is not None
        session.add(
            Post(
                thread_id=thread.id,
                author_id=owner_id,
                is_question=True,
                body=line.body,
                created_at=now,
                external_id=f"{line.external_id}#question",
            )
        )
        changed_thread = True
    else:
        changed_thread = _update_thread(session, thread, line, course, assignment, title)
    assert thread.id is not None
    changed_posts = _sync_replies(session, thread, line, owner_id, now)
    if not created and not changed_thread and not changed_posts:
        return "unchanged"
    if changed_thread or changed_posts:
        thread.reply_count = _count_replies(session, thread.id)
        session.add(thread)
    if changed_thread:
        events.record(session, doc_type="thread", doc_id=thread.id)
    for post_id, op in changed_posts:
        events.record(session, doc_type="post", doc_id=post_id, op=op)
    return "created" if created else "updated"


def _update_thread(
    session: Session,
    thread: Thread,
    line: ThreadLine,
    course: Course,
    assignment: Assignment | None,
    title: str,
) -> bool:
    changed = False
    wanted = {
        "course_id": course.id,
        "assignment_id": assignment.id if assignment else None,
        "title": title,
    }
    for key, value in wanted.items():
        if getattr(thread, key) != value:
            setattr(thread, key, value)
            changed = True
    question = session.exec(
        select(Post).where(Post.thread_id == thread.id, col(Post.is_question).is_(True))
    ).first()
    if question is not None and question.body != line.body:
        question.body = line.body
        question.edited_at = utcnow()
        session.add(question)
        changed = True
    return changed


def _sync_replies(
    session: Session, thread: Thread, line: ThreadLine, owner_id: int, now: Any
) -> list[tuple[int, IndexOp]]:
    """Make the thread's imported replies match the line; returns the posts that changed."""
    assert thread.id is not None
    existing = {
        p.external_id: p
        for p in session.exec(
            select(Post).where(Post.thread_id == thread.id, col(Post.is_question).is_(False))
        ).all()
    }
    # Exported replies without an external id come back as checkfirst:post:<id>.
    by_local = {f"checkfirst:post:{p.id}": p for p in existing.values() if p.external_id is None}
    changed: list[tuple[int, IndexOp]] = []
    accepted_id: int | None = None
    seen: set[int] = set()
    for index, reply in enumerate(line.replies):
        key = _reply_key(line.external_id, index, reply)
        post = existing.get(key) or by_local.get(key)
        endorsed_by = owner_id if reply.endorsed else None
        if post is None:
            post = Post(
                thread_id=thread.id,
                author_id=owner_id,
                body=reply.body,
                created_at=now,
                external_id=key,
                endorsed_by_id=endorsed_by,
                endorsed_at=now if reply.endorsed else None,
            )
            session.add(post)
            session.flush()
            assert post.id is not None
            changed.append((post.id, IndexOp.upsert))
        else:
            dirty = False
            if post.deleted_at is not None:
                post.deleted_at = None
                dirty = True
            if post.body != reply.body:
                post.body = reply.body
                post.edited_at = now
                dirty = True
            if (post.endorsed_by_id is not None) != reply.endorsed:
                post.endorsed_by_id = endorsed_by
                post.endorsed_at = now if reply.endorsed else None
                dirty = True
            if dirty:
                session.add(post)
                assert post.id is not None
                changed.append((post.id, IndexOp.upsert))
        assert post.id is not None
        seen.add(post.id)
        if reply.accepted:
            accepted_id = post.id
    # Imported replies the line no longer has are soft-deleted; local replies stay.
    prefix = f"{line.external_id}#reply-"
    for post in existing.values():
        if (
            post.id not in seen
            and post.deleted_at is None
            and post.external_id is not None
            and post.external_id.startswith(prefix)
        ):
            post.deleted_at = now
            session.add(post)
            assert post.id is not None
            changed.append((post.id, IndexOp.delete))
    # The line decides acceptance unless a local reply (not in the file) is the accepted one.
    if thread.accepted_post_id != accepted_id and (
        accepted_id is not None or thread.accepted_post_id in seen
    ):
        previous = thread.accepted_post_id
        thread.accepted_post_id = accepted_id
        session.add(thread)
        for pid in (previous, accepted_id):
            if pid is not None and all(pid != c[0] for c in changed):
                changed.append((pid, IndexOp.upsert))
    return changed


def _count_replies(session: Session, thread_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Post)
            .where(
                Post.thread_id == thread_id,
                col(Post.is_question).is_(False),
                col(Post.deleted_at).is_(None),
            )
        ).one()
    )


def export_threads(session: Session, *, course_id: int | None = None) -> Iterator[dict[str, Any]]:
    """Live threads as import lines; ones without an external id get ``checkfirst:thread:<id>``."""
    query = select(Thread).where(col(Thread.deleted_at).is_(None)).order_by(col(Thread.id))
    if course_id is not None:
        query = query.where(Thread.course_id == course_id)
    courses = {c.id: c for c in session.exec(select(Course)).all()}
    assignments = {a.id: a for a in session.exec(select(Assignment)).all()}
    for thread in session.exec(query).all():
        assert thread.id is not None
        posts = session.exec(
            select(Post)
            .where(Post.thread_id == thread.id, col(Post.deleted_at).is_(None))
            .order_by(col(Post.created_at), col(Post.id))
        ).all()
        question = next((p for p in posts if p.is_question), None)
        if question is None:
            continue
        ext = thread.external_id or f"checkfirst:thread:{thread.id}"
        replies = []
        for index, p in enumerate(p for p in posts if not p.is_question):
            reply: dict[str, Any] = {
                "body": p.body,
                "accepted": p.id == thread.accepted_post_id,
                "endorsed": p.endorsed_by_id is not None,
            }
            default_key = f"{ext}#reply-{index + 1}"
            key = p.external_id or f"checkfirst:post:{p.id}"
            if key != default_key:
                reply["external_id"] = key
            replies.append(reply)
        course = courses[thread.course_id]
        assignment = assignments.get(thread.assignment_id) if thread.assignment_id else None
        yield {
            "type": "thread",
            "external_id": ext,
            "course": course.slug,
            "course_title": course.title,
            "assignment": assignment.slug if assignment else None,
            "assignment_title": assignment.title if assignment else "",
            "title": thread.title,
            "body": question.body,
            "replies": replies,
        }


def course_and_assignment(session: Session, record: RecordBase) -> tuple[Course, Assignment | None]:
    """The record's course and assignment, created when unknown (titles default to the slug).

    Ids found by a query (so already committed) are remembered for the session's later lines;
    rows created in this line's transaction are not, so a rolled-back line leaves no stale id.
    """
    cache: dict[tuple[str, str | None], int] = session.info.setdefault("import_ids", {})
    course = cached_row(session, Course, cache.get((record.course, None)))
    if course is None:
        course = session.exec(select(Course).where(Course.slug == record.course)).first()
        if course is not None and course.id is not None:
            cache[(record.course, None)] = course.id
            keep_row(session, course)
    if course is None:
        course = Course(slug=record.course, title=record.course_title or record.course)
        session.add(course)
        session.flush()
    if not record.assignment:
        return course, None
    assert course.id is not None
    key = (record.course, record.assignment)
    assignment = cached_row(session, Assignment, cache.get(key))
    if assignment is None or assignment.course_id != course.id:
        assignment = session.exec(
            select(Assignment).where(
                Assignment.course_id == course.id, Assignment.slug == record.assignment
            )
        ).first()
        if assignment is not None and assignment.id is not None:
            cache[key] = assignment.id
            keep_row(session, assignment)
    if assignment is None:
        assignment = Assignment(
            course_id=course.id,
            slug=record.assignment,
            title=record.assignment_title or record.assignment,
        )
        session.add(assignment)
        session.flush()
    return course, assignment
