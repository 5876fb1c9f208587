"""Hybrid retrieval: dense (FAISS) and lexical (BM25) ranks fused, filtered, boosted, collapsed.

The one entry point is ``search(session, query, mode=...)``; it returns typed ``Hit``s, best
first, one per document. ``Hit.snippet`` is safe HTML: the chunk's text, HTML-escaped, with
the query's words wrapped in ``<mark>``; ``Hit.metadata["text"]`` holds the plain snippet.
It is CPU-bound (it encodes the query): from async code call it via ``run_in_threadpool``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from markupsafe import escape
from sqlmodel import Session

from index.documents import Document
from index.encoder import Encoder
from index.fusion import rrf_score
from index.store import IndexState
from index.text import tokenize
from index.types import Hit, Query
from index.vectors import type_code

if TYPE_CHECKING:
    from numpy.typing import NDArray

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
    """A document found: its row in the document table and the chunk to show (nothing
    decoded until it is among the hits returned)."""

    row: int
    chunk: int
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
    """``search`` against a given index (benchmarks and tests use this directly).

    Labels are resolved to document rows many at a time (numpy), filters and boosts read the
    table's columns, and only the hits returned are decoded into documents."""
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
    found: dict[int, _Found] = {}  # by document row

    with state.lock.read():
        docs = state.docs
        # Private documents the viewer may not see are filtered like a course (invariant 4).
        filtered = filtered or state.hides_private(query.viewer)
        filters = (query.course_id, query.assignment_id, query.doc_types, query.statuses,
                   query.viewer)  # fmt: skip

        def rows_passing(labels: NDArray[np.int64]) -> NDArray[np.int64]:
            """The row of each label, -1 where it is removed or filtered out."""
            rows = state.label_rows(labels)
            if filtered:
                rows[~state.passing(rows, *filters)] = -1
            return rows

        if qvec is not None:
            allowed = None
            if filtered:  # searched inside the filter, never cut from a global top-k
                allowed = state.allowed_labels(*filters)
            dense = state.vectors.search(qvec, depth, allowed)
            labels = np.fromiter((label for label, _ in dense), np.int64, len(dense))
            rank = 0
            for (label, score), row in zip(dense, rows_passing(labels).tolist(), strict=True):
                if row < 0:
                    continue
                item = found.get(row)
                if item is None:
                    item = found[row] = _Found(row, label & 0xFFF)
                if item.dense_rank is None:
                    rank += 1
                    item.dense_rank, item.dense_score = rank, score
                if rank >= depth:
                    break
        if mode != "dense" and terms:
            mask = state.base_row_mask(*filters) if filtered else None

            def allow_many(labels: NDArray[np.int64]) -> NDArray[np.bool_]:
                return rows_passing(labels) >= 0

            lexical = state.lexical.search(terms, depth, None, mask,
                                           allow_many if filtered else None)  # fmt: skip
            labels = np.fromiter((label for label, _ in lexical), np.int64, len(lexical))
            lex_rows = state.label_rows(labels).tolist()
            if phrase:
                # A pasted error message matched verbatim beats the same words scattered.
                texts = docs.chunk_texts(lex_rows, [label & 0xFFF for label in labels.tolist()])
                verbatim = [phrase in " ".join(t.lower().split()) for t in texts]
                order = sorted(range(len(lexical)),
                               key=lambda i: (not verbatim[i], -lexical[i][1]))  # fmt: skip
                lexical = [lexical[i] for i in order]
                lex_rows = [lex_rows[i] for i in order]
            rank = 0
            for (label, _score), row in zip(lexical, lex_rows, strict=True):
                if row < 0:  # removed (the lexical side drops it in the same change)
                    continue
                item = found.get(row)
                if item is not None and item.lexical_rank is not None:
                    continue
                if item is None:
                    item = found[row] = _Found(row, label & 0xFFF)
                else:  # found by meaning: show the chunk whose words matched
                    item.chunk = label & 0xFFF
                rank += 1
                item.lexical_rank = rank
                if rank >= depth:
                    break

        items = [
            item for item in found.values()
            if not (mode == "dense" and item.dense_rank is None)
            and not (mode == "lexical" and item.lexical_rank is None)
        ]  # fmt: skip
        rows = [item.row for item in items]
        boosts = _boosts(state, rows)
        keys = docs.keys_at(rows)
        scored = []
        for item, boost, key in zip(items, boosts, keys, strict=True):
            score = rrf_score((item.dense_rank, item.lexical_rank))
            scored.append((score * boost, key, item))
        scored.sort(key=lambda triple: (-triple[0], triple[1]))
        top = scored[: query.limit]
        entries = [docs.entry(item.row) for _, _, item in top]
        if query.snippets:
            chunks = docs.chunk_texts([item.row for _, _, item in top],
                                      [item.chunk for _, _, item in top])  # fmt: skip
        else:
            chunks = [""] * len(top)
    words = set(terms) if query.snippets else None
    return [
        _hit(entry.doc, chunk, item, score, words)
        for (score, _, item), entry, chunk in zip(top, entries, chunks, strict=True)
    ]


def _boosts(state: IndexState, rows: list[int]) -> list[float]:
    """The boost of each document row: its erratum status from the status column; accepted
    and endorsed from its metadata, read only for rows whose metadata has those keys."""
    if not rows:
        return []
    docs = state.docs
    at = np.asarray(rows, np.int64)
    names = {code: name for name, code in docs.statuses.items()}
    erratum = type_code("erratum")
    codes, statuses = docs.col("code")[at].tolist(), docs.col("status")[at].tolist()
    flags = docs.meta_values(rows, ("accepted", "endorsed"))
    out = []
    for code, status, (accepted, endorsed) in zip(codes, statuses, flags, strict=True):
        # The status column holds str(status or ""): "" and "None" both boost by 1.0.
        boost = STATUS_BOOST.get(names[status], 1.0) if code == erratum else 1.0
        if accepted:
            boost *= ACCEPTED_BOOST
        if endorsed:
            boost *= ENDORSED_BOOST
        out.append(boost)
    return out


def _hit(doc: Document, chunk: str, item: _Found, score: float, words: set[str] | None) -> Hit:
    """The hit; with ``words`` None (``Query.snippets`` off), without snippet or chunk text."""
    plain = snippet_text(chunk, doc.title, words) if words is not None else ""
    return Hit(
        doc_type=doc.doc_type,
        doc_id=doc.doc_id,
        score=score,
        title=doc.title,
        url=doc.url,
        snippet=highlight(plain, words) if words is not None else "",
        course_id=doc.course_id,
        assignment_id=doc.assignment_id,
        metadata={**doc.metadata, "text": plain},
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
