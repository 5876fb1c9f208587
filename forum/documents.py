"""What the index sees of the forum: threads (title + question) and replies.

Only searchable rows are returned: a deleted thread, a deleted reply, or a reply in a deleted
thread is absent, which the indexer takes as "remove".
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from forum.models import Post, Thread
from index import documents
from index.documents import Document


def _thread_url(thread_id: int) -> str:
    return f"/threads/{thread_id}"


def load_threads(session: Session, ids: Sequence[int]) -> list[Document]:
    """Threads by id: title plus the question's body."""
    if not ids:
        return []
    threads = session.exec(
        select(Thread).where(col(Thread.id).in_(list(ids)), col(Thread.deleted_at).is_(None))
    ).all()
    questions = {
        p.thread_id: p
        for p in session.exec(
            select(Post).where(
                col(Post.thread_id).in_([t.id for t in threads]), col(Post.is_question).is_(True)
            )
        ).all()
    }
    out = []
    for t in threads:
        assert t.id is not None
        question = questions.get(t.id)
        body = question.body if question is not None and question.deleted_at is None else ""
        out.append(
            Document(
                doc_type="thread",
                doc_id=t.id,
                title=t.title,
                text=body,
                url=_thread_url(t.id),
                course_id=t.course_id,
                assignment_id=t.assignment_id,
                metadata={
                    "thread_id": t.id,
                    "answered": t.accepted_post_id is not None,
                    "external_id": t.external_id,
                },
            )
        )
    return out


def list_threads(session: Session) -> list[int]:
    return [
        i
        for i in session.exec(select(Thread.id).where(col(Thread.deleted_at).is_(None))).all()
        if i is not None
    ]


def load_posts(session: Session, ids: Sequence[int]) -> list[Document]:
    """Replies by id, each titled with its thread's title for context."""
    if not ids:
        return []
    rows = session.exec(
        select(Post, Thread)
        .join(Thread, col(Thread.id) == col(Post.thread_id))
        .where(
            col(Post.id).in_(list(ids)),
            col(Post.is_question).is_(False),
            col(Post.deleted_at).is_(None),
            col(Thread.deleted_at).is_(None),
        )
    ).all()
    out = []
    for post, thread in rows:
        assert post.id is not None and thread.id is not None
        out.append(
            Document(
                doc_type="post",
                doc_id=post.id,
                title=f"Re: {thread.title}",
                text=post.body,
                url=f"{_thread_url(thread.id)}#post-{post.id}",
                course_id=thread.course_id,
                assignment_id=thread.assignment_id,
                metadata={
                    "thread_id": thread.id,
                    # Replies follow their thread: deleting or renaming it reloads them.
                    "parent": f"thread:{thread.id}",
                    "accepted": thread.accepted_post_id == post.id,
                    "endorsed": post.endorsed_by_id is not None,
                    "external_id": post.external_id,
                },
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
            )
        ).all()
        if i is not None
    ]


def register() -> None:
    documents.register("thread", load_threads, list_threads)
    documents.register("post", load_posts, list_posts)
