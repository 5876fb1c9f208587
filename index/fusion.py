"""The one reciprocal-rank fusion: how the dense and lexical rankings become one list, for
the index's search and for the assistant alike.

Each ranking contributes ``1 / (K + rank)`` (ranks start at 1) to an item's score, so an item
that both rankings place high beats one that a single ranking places first.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T", bound=Hashable)

# Damps the head of each ranking. Smaller than the textbook 60 because the index multiplies
# fused scores by status boosts (a verified erratum x1.6): with k=60 such a boost lifted an
# item over ~35 better-ranked ones, burying exact matches; with k=20, over ~12.
K = 20


def rrf_score(ranks: Iterable[int | None], *, k: int = K) -> float:
    """Fused score of one item from its 1-based rank in each ranking (None: not ranked)."""
    return sum(1.0 / (k + rank) for rank in ranks if rank is not None)


def rrf(rankings: Iterable[Sequence[T]], *, k: int = K) -> list[tuple[T, float]]:
    """Fuse best-first rankings into one best-first list of ``(item, score)``.

    An item repeated within one ranking counts at its best rank only. Ties keep the order in
    which items were first seen, so the result is deterministic.
    """
    if k <= 0:
        raise ValueError("k must be positive")
    scores: dict[T, float] = {}
    for ranking in rankings:
        seen: set[T] = set()
        for rank, item in enumerate(ranking, start=1):
            if item not in seen:
                seen.add(item)
                scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])
