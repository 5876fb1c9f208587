"""Closing a thread as a duplicate of another, and reopening it (issue #17).

A closed duplicate leaves the lists and search; its words are searched as part of its canonical
thread, its page points there, and its followers are told.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from core.clock import utcnow
from core.errors import InvalidInput, NotFound, PermissionDenied
from forum import service
from forum.models import Thread
from index.events import IndexOp, record
from users.models import User


def close_as_duplicate(
    *, session: Session, user: User, thread: Thread, canonical_id: int
) -> Thread:
    """Close ``thread`` as a duplicate of ``canonical_id``: it leaves the lists and search (its
    words are searched as part of the canonical thread), its page points to the canonical one,
    and its followers (the asker first) are told."""
    if not service.can_moderate(session=session, user=user, thread=thread):
        raise PermissionDenied(
            "Only moderators and this course's instructors can close duplicates."
        )
    if canonical_id == thread.id:
        raise InvalidInput("A thread can't be a duplicate of itself; pick the original thread.")
    canonical = service.visible_thread(session=session, thread_id=canonical_id, viewer=user)
    if canonical is None:
        raise NotFound(f"There is no thread {canonical_id}; it may have been deleted.")
    if canonical.course_id != thread.course_id:
        raise InvalidInput("That thread is in another course; pick one from this course.")
    if canonical.is_private:
        raise InvalidInput(
            "That thread is private; a duplicate must point to a thread everyone can read."
        )
    if thread.is_private:
        raise InvalidInput("This thread is private; answer it, or make it public first.")
    if canonical.duplicate_of_id is not None:
        raise InvalidInput(
            f"Thread {canonical_id} is itself closed as a duplicate of thread "
            f"{canonical.duplicate_of_id}; point to that one."
        )
    if thread.duplicate_of_id == canonical_id:
        return thread
    old = thread.duplicate_of_id
    assert thread.id is not None and canonical.id is not None
    # Threads already closed onto this one move to the new canonical thread with it.
    for dup in session.exec(select(Thread).where(col(Thread.duplicate_of_id) == thread.id)).all():
        dup.duplicate_of_id = canonical.id
        session.add(dup)
    thread.duplicate_of_id = canonical.id
    thread.duplicate_by_id = user.id
    thread.duplicate_at = utcnow()
    session.add(thread)
    service.reindex_thread(session, thread)
    record(session, doc_type="thread", doc_id=canonical.id, op=IndexOp.upsert)
    if old is not None and old != canonical.id:
        record(session, doc_type="thread", doc_id=old, op=IndexOp.upsert)
    question = service.get_question(session=session, thread=thread)
    service.tell_followers(
        session, thread, "duplicate", "Closed as a duplicate", question, user.id,
        f"Answers are collected in “{canonical.title}”: /threads/{canonical.id}",
        url=f"/threads/{canonical.id}",
    )  # fmt: skip
    session.commit()
    session.refresh(thread)
    return thread


def reopen_duplicate(*, session: Session, user: User, thread: Thread) -> Thread:
    """Undo ``close_as_duplicate``: the thread is back in lists and search on its own."""
    if not service.can_moderate(session=session, user=user, thread=thread):
        raise PermissionDenied(
            "Only moderators and this course's instructors can reopen duplicates."
        )
    old = thread.duplicate_of_id
    if old is None:
        return thread
    thread.duplicate_of_id = None
    thread.duplicate_by_id = None
    thread.duplicate_at = None
    session.add(thread)
    service.reindex_thread(session, thread)
    record(session, doc_type="thread", doc_id=old, op=IndexOp.upsert)
    session.commit()
    session.refresh(thread)
    return thread


def duplicates_of(*, session: Session, thread: Thread) -> list[Thread]:
    """Live threads closed as duplicates of this one."""
    return list(
        session.exec(
            select(Thread)
            .where(col(Thread.duplicate_of_id) == thread.id, col(Thread.deleted_at).is_(None))
            .order_by(col(Thread.id))
        ).all()
    )
