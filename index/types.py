"""Typed queries and results of the retrieval library."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Viewer:
    """Who is searching, for documents only some may see (``metadata["private"]``, e.g. a
    thread private to its author and the course's staff): ``user_id`` sees what it owns,
    ``staff_course_ids`` the private documents of those courses (None = of every course)."""

    user_id: int | None = None
    staff_course_ids: frozenset[int] | None = frozenset()


@dataclass(frozen=True)
class Query:
    """What to search for. ``text`` feeds the dense side; ``terms`` (identifiers, error strings)
    feed the lexical side as well, so a caller that parsed a traceback can pass both."""

    text: str
    terms: tuple[str, ...] = ()
    course_id: int | None = None
    assignment_id: int | None = None
    doc_types: tuple[str, ...] = ()  # empty = all types
    statuses: tuple[str, ...] = ()  # erratum statuses to keep; empty = all
    limit: int = 10
    # None: public documents only (deny by default); private ones are filtered inside the search.
    viewer: Viewer | None = None
    # False: hits without a snippet or chunk text (``Hit.snippet`` and ``metadata["text"]``
    # empty), for a caller that loads the documents itself (the assistant); saves decoding and
    # highlighting every hit's chunk.
    snippets: bool = True


@dataclass(frozen=True)
class Hit:
    """One document found, best first; ``score`` is the fused score (higher is better)."""

    doc_type: str
    doc_id: int
    score: float
    title: str
    url: str
    snippet: str
    course_id: int | None = None
    assignment_id: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # Per-side ranks, for evaluation and debugging (None = not found by that side).
    dense_rank: int | None = None
    lexical_rank: int | None = None
    # Cosine similarity of the best chunk to the query (None = not found by the dense side).
    dense_score: float | None = None
