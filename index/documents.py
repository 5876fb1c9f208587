"""What the index knows of content: documents, and the loaders the domains register for them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session


@dataclass(frozen=True, slots=True)  # slots: an index holds one per document (1M at scale)
class Document:
    """One searchable item. ``text`` is what gets embedded and matched lexically."""

    doc_type: str  # "thread", "post", "erratum"
    doc_id: int
    title: str
    text: str
    url: str
    course_id: int | None = None
    assignment_id: int | None = None
    # e.g. erratum status ("verified"), "accepted"/"endorsed" for posts, thread_id for posts.
    metadata: dict[str, Any] = field(default_factory=dict)


# A loader returns the searchable documents among ``ids``; missing, deleted or hidden ones are
# simply absent, which the indexer takes as "remove".
Loader = Callable[[Session, Sequence[int]], list[Document]]
# Lists every id of this type that should be searchable (for rebuild and drift checks).
IdLister = Callable[[Session], list[int]]

_loaders: dict[str, tuple[Loader, IdLister]] = {}


def register(doc_type: str, loader: Loader, lister: IdLister) -> None:
    _loaders[doc_type] = (loader, lister)


def loaders() -> dict[str, tuple[Loader, IdLister]]:
    return dict(_loaders)
