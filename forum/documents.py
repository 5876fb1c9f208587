"""What the index sees of the forum: threads (title + question) and replies.

Only searchable rows are returned: a deleted thread, a deleted reply, or a reply in a deleted
thread is absent, which the indexer takes as "remove". So is a thread closed as a duplicate and
its replies (issue #17): its title and question are searched as part of its canonical thread,
so a search in the duplicate's words finds the canonical one instead. A private thread and its
replies carry ``private`` and ``owner`` (the asker) in their metadata: the index filters them
inside the search for anyone but the owner and the course's staff.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from forum.models import Post, Thread
from index import documents
from index.documents import Document

# Made once: building an alias per call cost ~2 ms of column proxies per batch.
_QUESTION = aliased(Post)


def _thread_url(thread_id: int) -> str:
    return f"/threads/{thread_id}"


def _among(column: Any, ids: Sequence[int]) -> Any:
    """``column`` among ``ids``: a range when they are dense (a rebuild's batch of consecutive
    ids; the caller drops rows it did not ask for), else an IN list. A 512-id IN list is 512
    bound parameters that SQLAlchemy renders and psycopg parses on every batch: over the 196
    batches of a 100k cold start that was 3 of the loader's 4 s of CPU."""
    low, high = min(ids), max(ids)
    if high - low < 2 * len(ids):
        return column.between(low, high)
    return column.in_(list(ids))


def load_threads(session: Session, ids: Sequence[int]) -> list[Document]:
    """Threads by id: title plus the question's body.

    Only the needed columns, in one query (the question joined in), as plain rows: a cold
    start reads 100k threads, and full ORM objects made that several times slower."""
    if not ids:
        return []
    question = _QUESTION
    rows = session.execute(
        select(  # type: ignore[call-overload, misc]
            Thread.id, Thread.title, Thread.course_id, Thread.assignment_id,
            Thread.accepted_post_id, Thread.external_id, question.body, question.deleted_at,
            Thread.is_private, Thread.author_id,
        )
        .outerjoin(
            question,
            (col(question.thread_id) == col(Thread.id))
            & col(question.is_question).is_(True)
            # Implied by the join, but it lets PostgreSQL read just these threads' questions
            # through the thread_id index: without it every batch of a cold start hashed all
            # the questions (47 ms a 512-thread batch at 100k threads, 1.5 ms with it).
            & _among(col(question.thread_id), ids),
        )
        .where(
            _among(col(Thread.id), ids),
            col(Thread.deleted_at).is_(None),
            col(Thread.duplicate_of_id).is_(None),
        )
        .order_by(col(Thread.id), col(question.id))
    ).all()  # fmt: skip
    wanted = set(ids)
    rows = [r for r in rows if r[0] in wanted]
    duplicates = _duplicate_texts(session, [r[0] for r in rows])
    by_id: dict[int, Document] = {}
    for (tid, title, course_id, assignment_id, accepted, external_id, body, q_deleted,
         private, author_id) in rows:  # fmt: skip
        text = body if body is not None and q_deleted is None else ""
        metadata = {"thread_id": tid, "answered": accepted is not None, "external_id": external_id}
        if private:
            metadata.update(private=True, owner=author_id)
        if duplicates.get(tid):
            # Closed duplicates' words lead here: search ranks the canonical thread for them.
            text = "\n\n".join([text, *duplicates[tid]])
            metadata["duplicates"] = len(duplicates[tid])
        by_id[tid] = Document(  # a second question row (never made today) wins, as before
            doc_type="thread",
            doc_id=tid,
            title=title,
            text=text,
            url=_thread_url(tid),
            course_id=course_id,
            assignment_id=assignment_id,
            metadata=metadata,
        )
    return list(by_id.values())


def _duplicate_texts(session: Session, canonical_ids: Sequence[int]) -> dict[int, list[str]]:
    """Per canonical thread, the title and question of each live thread closed onto it.

    Two indexed lookups rather than one join: almost no batch has a duplicate, and PostgreSQL
    planned the join as a scan of every question for each batch of a cold start (a 100k-thread
    cold start took 66 s instead of 22, ``bench/index_cold_start.py --postgresql``)."""
    if not canonical_ids:
        return {}
    closed = session.execute(
        select(Thread.id, Thread.duplicate_of_id, Thread.title)  # type: ignore[call-overload]
        .where(
            _among(col(Thread.duplicate_of_id), canonical_ids),
            col(Thread.deleted_at).is_(None),
        )
        .order_by(col(Thread.id))
    ).all()
    wanted = set(canonical_ids)
    closed = [row for row in closed if row[1] in wanted]
    if not closed:
        return {}
    bodies = dict(
        session.execute(
            select(Post.thread_id, Post.body).where(  # type: ignore[call-overload]
                col(Post.thread_id).in_([tid for tid, _, _ in closed]),
                col(Post.is_question).is_(True),
                col(Post.deleted_at).is_(None),
            )
        ).all()
    )
    out: dict[int, list[str]] = {}
    for tid, canonical, title in closed:
        if tid in bodies:
            out.setdefault(canonical, []).append(f"{title}\n{bodies[tid]}")
    return out


def list_threads(session: Session) -> list[int]:
    return [
        i
        for i in session.exec(
            select(Thread.id).where(
                col(Thread.deleted_at).is_(None), col(Thread.duplicate_of_id).is_(None)
            )
        ).all()
        if i is not None
    ]


def load_posts(session: Session, ids: Sequence[int]) -> list[Document]:
    """Replies by id, each titled with its thread's title for context (columns, not objects)."""
    if not ids:
        return []
    rows = session.execute(
        select(  # type: ignore[call-overload, misc]
            Post.id, Post.body, Post.endorsed_by_id, Post.external_id, Thread.id, Thread.title,
            Thread.course_id, Thread.assignment_id, Thread.accepted_post_id, Thread.is_private,
            Thread.author_id,
        )
        .join(Thread, col(Thread.id) == col(Post.thread_id))
        .where(
            _among(col(Post.id), ids),
            col(Post.is_question).is_(False),
            col(Post.deleted_at).is_(None),
            col(Thread.deleted_at).is_(None),
            col(Thread.duplicate_of_id).is_(None),
        )
    ).all()  # fmt: skip
    wanted = set(ids)
    out = []
    for (
        post_id,
        body,
        endorsed_by,
        external_id,
        tid,
        title,
        course_id,
        assignment_id,
        accepted,
        private,
        asker,
    ) in rows:
        if post_id not in wanted:  # in the range read, not asked for
            continue
        metadata = {
            "thread_id": tid,
            # Replies follow their thread: deleting or renaming it reloads them.
            "parent": f"thread:{tid}",
            "accepted": accepted == post_id,
            "endorsed": endorsed_by is not None,
            "external_id": external_id,
        }
        if private:  # a private thread's replies are the asker's to see, with its staff
            metadata.update(private=True, owner=asker)
        out.append(
            Document(
                doc_type="post",
                doc_id=post_id,
                title=f"Re: {title}",
                text=body,
                url=f"{_thread_url(tid)}#post-{post_id}",
                course_id=course_id,
                assignment_id=assignment_id,
                metadata=metadata,
            )
        )
    return out


def list_posts(session: Session) -> list[int]:
    return [
        i
        for i in session.exec(
            select(Post.id)
            .join(Thread, col(Thread.id) == col(Post.thread_id))
            .where(
                col(Post.is_question).is_(False),
                col(Post.deleted_at).is_(None),
                col(Thread.deleted_at).is_(None),
                col(Thread.duplicate_of_id).is_(None),
            )
        ).all()
        if i is not None
    ]


def register() -> None:
    documents.register("thread", load_threads, list_threads)
    documents.register("post", load_posts, list_posts)
