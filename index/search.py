"""Hybrid retrieval: dense (FAISS) and lexical (BM25) ranks fused, filtered, boosted, collapsed.

The one entry point is ``search(session, query, mode=...)``; it returns typed ``Hit``s, best
first, one per document. ``Hit.snippet`` is safe HTML: the chunk's text, HTML-escaped, with
the query's words wrapped in ``<mark>``; ``Hit.metadata["text"]`` holds the plain snippet.
It is CPU-bound (it encodes the query): from async code call it via ``run_in_threadpool``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from markupsafe import escape
from sqlmodel import Session

from index.documents import Document
from index.encoder import Encoder
from index.fusion import rrf_score
from index.store import DocKey, IndexState
from index.text import tokenize
from index.types import Hit, Query, Viewer

Mode = Literal["hybrid", "dense", "lexical"]
MODES = ("hybrid", "dense", "lexical")
SNIPPET_WORDS = 40
# Multipliers on the fused score: instructor-verified errata outrank forum chatter; answers
# marked accepted or endorsed outrank other replies; rejected reports sink.
STATUS_BOOST = {"verified": 1.6, "fixed": 1.5, "reported": 1.0, "duplicate": 0.7, "rejected": 0.6}
ACCEPTED_BOOST = 1.3
ENDORSED_BOOST = 1.2


@dataclass
class _Found:
    key: DocKey
    doc: Document
    chunk: str
    dense_rank: int | None = None
    dense_score: float | None = None
    lexical_rank: int | None = None


def search(session: Session | None, query: Query, *, mode: Mode = "hybrid") -> list[Hit]:
    """Find documents for ``query``. ``session`` is accepted for symmetry with services; the
    index is this server's replica (``index.runtime``: in this process, or in the worker that
    runs it for the others), current within a second."""
    from index.runtime import get_runtime

    return get_runtime().search(query, mode)


def search_state(
    state: IndexState, encoder: Encoder, query: Query, *, mode: Mode = "hybrid"
) -> list[Hit]:
    """``search`` against a given index (benchmarks and tests use this directly)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if query.limit < 1:
        raise ValueError("limit must be at least 1")
    text = query.text.strip()
    terms = tokenize(" ".join((text, *query.terms)))
    dense_text = text or " ".join(query.terms)
    if (not dense_text and not terms) or not state.docs:
        return []
    # Encode before taking the lock: it is the slow part and needs no index state.
    qvec = encoder.encode_query(dense_text) if mode != "lexical" and dense_text else None
    phrase = " ".join(text.lower().split()) if len(terms) >= 3 else ""
    filtered = bool(query.course_id or query.assignment_id or query.doc_types or query.statuses)
    depth = max(50, query.limit * 5)
    found: dict[DocKey, _Found] = {}

    with state.lock.read():
        # Private documents the viewer may not see are filtered like a course (invariant 4).
        filtered = filtered or state.hides_private(query.viewer)

        def allow(label: int) -> bool:
            key = state.owner.get(label)
            if key is None:  # removed
                return False
            if not filtered:
                return True
            doc = state.docs[key].doc
            return _matches(doc, query) and _may_see(doc, query.viewer)

        def note(label: int) -> _Found:
            key = state.owner[label]
            item = found.get(key)
            if item is None:
                entry = state.docs[key]
                item = found[key] = _Found(key, entry.doc, entry.chunks[label & 0xFFF])
            return item

        if qvec is not None:
            allowed = None
            if filtered:  # searched inside the filter, never cut from a global top-k
                allowed = state.allowed_labels(
                    query.course_id, query.assignment_id, query.doc_types, query.statuses,
                    query.viewer,
                )  # fmt: skip
            rank = 0
            for label, score in state.vectors.search(qvec, depth, allowed):
                if not allow(label):
                    continue
                item = note(label)
                if item.dense_rank is None:
                    rank += 1
                    item.dense_rank, item.dense_score = rank, score
                if rank >= depth:
                    break
        if mode != "dense" and terms:
            rank = 0
            mask = None
            if filtered:
                mask = state.base_row_mask(
                    query.course_id, query.assignment_id, query.doc_types, query.statuses,
                    query.viewer,
                )  # fmt: skip
            lexical = state.lexical.search(terms, depth, allow if filtered else None, mask)
            if phrase:
                # A pasted error message matched verbatim beats the same words scattered.
                lexical.sort(key=lambda ls: (phrase not in _flat(state, ls[0]), -ls[1]))
            for label, _score in lexical:
                key = state.owner[label]
                prior = found.get(key)
                if prior is not None and prior.lexical_rank is not None:
                    continue
                item = note(label)
                rank += 1
                item.lexical_rank = rank
                if prior is not None:  # found by meaning: its record is not decoded again
                    # Show the chunk whose words matched rather than the nearest in meaning.
                    item.chunk = state.docs[key].chunk(label & 0xFFF)
                if rank >= depth:
                    break

    scored = []
    for item in found.values():
        if mode == "dense" and item.dense_rank is None:
            continue
        if mode == "lexical" and item.lexical_rank is None:
            continue
        score = rrf_score((item.dense_rank, item.lexical_rank))
        scored.append((score * _boost(item.doc), item))
    scored.sort(key=lambda pair: (-pair[0], pair[1].key))
    words = set(terms)
    return [_hit(item, score, words) for score, item in scored[: query.limit]]


def _flat(state: IndexState, label: int) -> str:
    return " ".join(state.docs[state.owner[label]].chunks[label & 0xFFF].lower().split())


def _matches(doc: Document, query: Query) -> bool:
    if query.course_id is not None and doc.course_id != query.course_id:
        return False
    if query.assignment_id is not None and doc.assignment_id != query.assignment_id:
        return False
    if query.doc_types and doc.doc_type not in query.doc_types:
        return False
    # Status filters errata only; threads and posts have no erratum status.
    return not (
        query.statuses
        and doc.doc_type == "erratum"
        and doc.metadata.get("status") not in query.statuses
    )


def _may_see(doc: Document, viewer: Viewer | None) -> bool:
    """Public documents, or a private one its owner or the course's staff is searching."""
    if not doc.metadata.get("private"):
        return True
    if viewer is None:
        return False
    if viewer.staff_course_ids is None or doc.course_id in viewer.staff_course_ids:
        return True
    return viewer.user_id is not None and doc.metadata.get("owner") == viewer.user_id


def _boost(doc: Document) -> float:
    meta = doc.metadata
    boost = STATUS_BOOST.get(str(meta.get("status")), 1.0) if doc.doc_type == "erratum" else 1.0
    if meta.get("accepted"):
        boost *= ACCEPTED_BOOST
    if meta.get("endorsed"):
        boost *= ENDORSED_BOOST
    return boost


def _hit(item: _Found, score: float, words: set[str]) -> Hit:
    plain = snippet_text(item.chunk, item.doc.title, words)
    return Hit(
        doc_type=item.doc.doc_type,
        doc_id=item.doc.doc_id,
        score=score,
        title=item.doc.title,
        url=item.doc.url,
        snippet=highlight(plain, words),
        course_id=item.doc.course_id,
        assignment_id=item.doc.assignment_id,
        metadata={**item.doc.metadata, "text": plain},
        dense_rank=item.dense_rank,
        lexical_rank=item.lexical_rank,
        dense_score=item.dense_score,
    )


_WORD = re.compile(r"[A-Za-z0-9_]+")


def _word_matches(word: str, words: set[str]) -> bool:
    low = word.lower()
    return low in words or ("_" in low and any(p in words for p in low.split("_") if len(p) > 2))


def snippet_text(chunk: str, title: str, words: set[str]) -> str:
    """About ``SNIPPET_WORDS`` words of ``chunk`` around its first matched word (plain text)."""
    body = chunk[len(title) :].lstrip() if title and chunk.startswith(title) else chunk
    tokens = body.split()
    at = 0
    for i, token in enumerate(tokens):
        if any(_word_matches(w, words) for w in _WORD.findall(token)):
            at = i
            break
    start = max(0, at - SNIPPET_WORDS // 4)
    text = " ".join(tokens[start : start + SNIPPET_WORDS])
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + SNIPPET_WORDS < len(tokens) else ""
    return prefix + text + suffix


_ESCAPED_WORD = re.compile(r"&#?[A-Za-z0-9]+;|[A-Za-z0-9_]+")


def highlight(text: str, words: set[str]) -> str:
    """Escape ``text`` for HTML, then wrap matched words in ``<mark>`` (entities left alone)."""
    escaped = str(escape(text))

    def mark(m: re.Match[str]) -> str:
        token = m.group(0)
        if token.startswith("&") or not _word_matches(token, words):
            return token
        return f"<mark>{token}</mark>"

    return _ESCAPED_WORD.sub(mark, escaped)
