"""Search features built on the retriever: the search page/API, "similar" while typing, and
"related" under a thread. Plain functions; the HTTP edge is ``index.router``/``index.views``."""

from __future__ import annotations

from sqlmodel import Session

from core.errors import InvalidInput
from index import search as retriever
from index.fusion import rrf_score
from index.runtime import get_runtime
from index.types import Hit, Query, Viewer

DOC_TYPES = ("thread", "post", "erratum")
STATUSES = ("reported", "verified", "rejected", "duplicate", "fixed")
MAX_QUERY_CHARS = 500
# Cosine similarity below which a "similar question" is noise rather than a lead.
SIMILAR_MIN_SCORE = 0.4


def _clean(q: str, what: str = "Search text") -> str:
    q = " ".join(q.split())
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidInput(f"{what} is too long; keep it under {MAX_QUERY_CHARS} characters.")
    return q


def search(
    *,
    session: Session,
    q: str,
    course_id: int | None = None,
    assignment_id: int | None = None,
    doc_type: str | None = None,
    status: str | None = None,
    limit: int = 10,
    viewer: Viewer | None = None,
) -> list[Hit]:
    """Hybrid search with filters; empty text finds nothing. ``viewer``: who may see private
    documents (None: public ones only)."""
    text = _clean(q)
    if doc_type and doc_type not in DOC_TYPES:
        raise InvalidInput(f"Type must be one of: {', '.join(DOC_TYPES)}.")
    if status and status not in STATUSES:
        raise InvalidInput(f"Status must be one of: {', '.join(STATUSES)}.")
    if not text:
        return []
    query = Query(
        text=text,
        course_id=course_id,
        assignment_id=assignment_id,
        doc_types=(doc_type,) if doc_type else (),
        statuses=(status,) if status else (),
        limit=limit,
        viewer=viewer,
    )
    return retriever.search(session, query)


def similar(
    *,
    session: Session,
    title: str,
    body: str = "",
    course_id: int | None = None,
    limit: int = 5,
    viewer: Viewer | None = None,
) -> list[Hit]:
    """Threads and errata close to a question being written (shown before it is posted)."""
    text = _clean(f"{title} {body[:1500]}"[:MAX_QUERY_CHARS], "Question")
    if len(text) < 8:
        return []
    query = Query(
        text=text, course_id=course_id, doc_types=("thread", "erratum"), limit=limit * 2,
        viewer=viewer,
    )  # fmt: skip
    hits = retriever.search(session, query)
    return [h for h in hits if (h.dense_score or 0.0) >= SIMILAR_MIN_SCORE][:limit]


def related(*, session: Session, doc_type: str, doc_id: int, limit: int = 5) -> list[Hit]:
    """Threads and errata about the same thing as this document (itself and its replies out)."""
    if doc_type not in DOC_TYPES:
        raise InvalidInput(f"Type must be one of: {', '.join(DOC_TYPES)}.")
    text, course_id = get_runtime().first_chunk(doc_type, doc_id)
    if not text:
        return []
    query = Query(
        text=text[:MAX_QUERY_CHARS],
        course_id=course_id,
        doc_types=("thread", "erratum"),
        limit=limit + 1,
    )
    hits = retriever.search(session, query, mode="dense")
    own_thread = doc_id if doc_type == "thread" else None
    out = [
        h
        for h in hits
        if (h.doc_type, h.doc_id) != (doc_type, doc_id)
        and not (own_thread is not None and h.metadata.get("thread_id") == own_thread)
        and (h.dense_score or 0.0) >= SIMILAR_MIN_SCORE
    ]
    return out[:limit]


def similar_errata(
    *,
    session: Session,
    title: str,
    text: str = "",
    course_id: int | None,
    assignment_id: int | None = None,
    statuses: tuple[str, ...] = (),
    limit: int = 5,
    exclude_id: int | None = None,
) -> list[tuple[int, float]]:
    """Errata (id, score) like one being reported, best first: the duplicate check, filtered
    to the course and (when given) the assignment inside the search."""
    q = _clean(f"{title} {text}"[:MAX_QUERY_CHARS], "Report")
    if not q:
        return []
    query = Query(
        text=q, course_id=course_id, assignment_id=assignment_id, doc_types=("erratum",),
        statuses=statuses, limit=limit + 5,
    )  # fmt: skip
    scored = []
    for h in retriever.search(session, query):
        if h.doc_id == exclude_id:
            continue
        close = (h.dense_score or 0.0) >= SIMILAR_MIN_SCORE - 0.05
        if not close and (h.lexical_rank or 99) > 3:
            continue
        # Fused without the search's status boosts: "is this the same problem?" does not
        # depend on whether staff verified it (rejected ones are filtered out above).
        scored.append((h.doc_id, round(rrf_score((h.dense_rank, h.lexical_rank)), 4)))
    scored.sort(key=lambda pair: -pair[1])
    return scored[:limit]


# The search page's relevance floor for hits the lexical side did not find. Calibrated on the
# demo programme with the bundled model: the best dense-only hit of an off-topic query
# ("kubernetes helm chart deployment": 0.18) or of gibberish ("qwxzv": 0.20) stays below 0.25,
# while paraphrased questions reach their thread at 0.32-0.40 ("how do I pick a learning
# rate": 0.38). 0.3 sits between the two with a margin on each side.
SEARCH_MIN_DENSE = 0.3


def relevant(hits: list[Hit]) -> list[Hit]:
    """The hits a person should be shown: those that share a query word with the document
    (BM25 found them, stop words already dropped), or, for a paraphrase, are close in meaning.
    A query about nothing in the course then finds nothing, instead of a page of the nearest
    neighbours of noise."""
    return [
        h for h in hits if h.lexical_rank is not None or (h.dense_score or 0.0) >= SEARCH_MIN_DENSE
    ]
