"""Similar threads and errata beside a question's title while it is typed (the composer).

Scoped inside the search to the course and, when one is chosen, the assignment; settled
answers (accepted or endorsed threads, verified or fixed errata) come first, because those are
the ones that end the question before it is posted.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from index import search as retriever
from index.service import SIMILAR_MIN_SCORE
from index.types import Hit, Query

MAX_TEXT = 500
# Errata that were turned down or merged would send a learner to the wrong place.
_HIDDEN_STATUSES = {"rejected", "duplicate"}


@dataclass(frozen=True)
class Suggestion:
    type: str
    id: int
    title: str
    url: str
    text: str
    status: str | None
    settled: bool


def _settled(hit: Hit) -> bool:
    meta = hit.metadata
    if hit.doc_type == "erratum":
        return meta.get("status") in ("verified", "fixed")
    # A thread document says "answered" once a reply is accepted.
    return bool(meta.get("answered") or meta.get("accepted") or meta.get("endorsed"))


def _close(hit: Hit) -> bool:
    # The dense side says "same meaning"; a top lexical rank says "same identifier or error".
    return (hit.dense_score or 0.0) >= SIMILAR_MIN_SCORE or (hit.lexical_rank or 99) <= 2


def similar_questions(
    *,
    session: Session,
    title: str,
    body: str = "",
    course_id: int,
    assignment_id: int | None = None,
    limit: int = 5,
) -> list[Suggestion]:
    """Threads and errata like the question being written, settled ones first."""
    text = " ".join(f"{title} {body[:1500]}".split())[:MAX_TEXT]
    if len(text) < 8:
        return []
    query = Query(
        text=text,
        course_id=course_id,
        assignment_id=assignment_id,
        doc_types=("thread", "erratum"),
        limit=limit * 3,
    )
    hits = [
        h
        for h in retriever.search(session, query)
        if _close(h) and h.metadata.get("status") not in _HIDDEN_STATUSES
    ]
    # Stable sort: canonical threads (others were closed as their duplicates) first, then
    # settled ones; within each group the search's order is kept.
    hits.sort(key=lambda h: (not h.metadata.get("duplicates"), not _settled(h)))
    return [
        Suggestion(
            type=h.doc_type,
            id=h.doc_id,
            title=h.title,
            url=h.url,
            text=str(h.metadata.get("text", ""))[:240],
            status=h.metadata.get("status"),
            settled=_settled(h),
        )
        for h in hits[:limit]
    ]
