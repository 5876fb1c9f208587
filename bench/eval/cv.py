"""Cross-validation folds over the *dev* questions, for fitting ranking weights.

Questions that share an expected item (paraphrases of one thread, an erratum and the threads
that report it) form one group and always land in the same fold: otherwise a weight could be
fitted on one wording of a thread and "validated" on another wording of the same thread.
Test questions are never yielded: fit on dev folds, then report the test split once.

    from bench.eval.cv import folds          # or, from bench/eval: from cv import folds
    for train, held_out in folds(questions, k=5):
        ...

``by_course`` holds out one course at a time instead: every item a question expects belongs to
its course, so the groups above never straddle its folds either. It is what
``bench/eval/fit_ranking.py`` uses: the product is judged on the questions of a course forum
it has never seen, so a weight or threshold is chosen by how it does on an unseen course.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Protocol, TypeVar


class _HasExpect(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def file(self) -> str: ...

    @property
    def expect(self) -> list[str]: ...

    @property
    def split(self) -> str: ...


Q = TypeVar("Q", bound=_HasExpect)


def groups(questions: Sequence[Q]) -> list[list[Q]]:
    """Connected components of questions linked by a shared expected id (union-find)."""
    parent = list(range(len(questions)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, q in enumerate(questions):
        for ext in q.expect:
            if ext in owner:
                parent[root(i)] = root(owner[ext])
            else:
                owner[ext] = i
    comps: dict[int, list[Q]] = {}
    for i, q in enumerate(questions):
        comps.setdefault(root(i), []).append(q)
    return sorted(comps.values(), key=lambda g: min(q.id for q in g))


def folds(questions: Sequence[Q], k: int = 5, seed: int = 0) -> Iterator[tuple[list[Q], list[Q]]]:
    """``k`` (train, held_out) pairs over the dev questions, grouped as above, balanced in size
    (largest groups first, each into the currently smallest fold), deterministic in ``seed``."""
    if k < 2:
        raise ValueError("k must be at least 2")
    dev = [q for q in questions if q.split == "dev"]
    comps = groups(dev)
    random.Random(seed).shuffle(comps)  # ties between equal-sized groups broken by the seed
    comps.sort(key=len, reverse=True)
    bins: list[list[Q]] = [[] for _ in range(k)]
    for comp in comps:
        min(bins, key=len).extend(comp)
    for i, held_out in enumerate(bins):
        train = [q for j, b in enumerate(bins) if j != i for q in b]
        yield train, held_out


def by_course(questions: Sequence[Q]) -> Iterator[tuple[list[Q], list[Q]]]:
    """One (train, held_out) pair per course (a questions file) of the dev questions: each
    course held out in turn."""
    dev = [q for q in questions if q.split == "dev"]
    for course in sorted({q.file for q in dev}):
        yield [q for q in dev if q.file != course], [q for q in dev if q.file == course]
