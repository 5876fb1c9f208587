"""A forum thread and the erratum it reported are one problem: how strongly two candidates are
linked.

The thread a learner reported an erratum from is worded like a learner's question, so it often
outranks the erratum itself; it is then evidence *for* the erratum (the verified answer to that
thread's problem), not against it. ``assistant.declare`` weighs that evidence by the link's
strength:

- **Recorded** (1.0): the erratum was reported from the thread (``Erratum.source_thread_id``)
  or a moderator linked them (``errata.models.ErratumLink``). Loaded in one query per ask.
- **Inferred** (0 to 1) when nothing is recorded (imported or older content, a forum where
  nobody links): the thread's problem statement (title and question post) and the erratum's
  (title and description) say the same thing. Cosine of their distinct words, each weighed by
  its IDF over this question's candidates' heads, so the function name every candidate repeats
  weighs little and the specifics both share (the wrong number, the symptom, the argument)
  weigh most. Zero when both name an assignment and the assignments differ. Learned from
  content, never from a list.
"""

from __future__ import annotations

import math

from sqlmodel import Session, col, select

from assistant.fields import Field
from assistant.retrieval import Candidate, assignment_id
from assistant.terms import terms
from errata.models import Erratum, ErratumLink

RECORDED = 1.0


def load_recorded(session: Session, cands: list[Candidate]) -> None:
    """Fill each erratum candidate's ``linked_threads``: the thread it was reported from and the
    threads a moderator linked to it."""
    errata = [c for c in cands if c.erratum is not None and c.erratum.id is not None]
    if not errata:
        return
    ids = [c.item_id for c in errata]
    linked: dict[int, set[int]] = {i: set() for i in ids}
    rows = session.exec(
        select(ErratumLink.erratum_id, ErratumLink.thread_id).where(
            col(ErratumLink.erratum_id).in_(ids)
        )
    ).all()
    for erratum_id, thread_id in rows:
        linked[erratum_id].add(thread_id)
    for c in errata:
        e: Erratum | None = c.erratum
        assert e is not None
        found = linked.get(c.item_id, set())
        if e.source_thread_id is not None:
            found = found | {e.source_thread_id}
        c.linked_threads = frozenset(found)


class Linker:
    """Link strengths among one question's candidates (IDF over their heads)."""

    def __init__(self, cands: list[Candidate]) -> None:
        self._heads = Field([c.head for c in cands])
        self._cache: dict[tuple[int, int], float] = {}

    def _norm_terms(self, c: Candidate) -> set[str]:
        return set(terms(c.head).counts)

    def inferred(self, erratum: Candidate, thread: Candidate) -> float:
        """How much the two problem statements say the same thing (IDF-weighted cosine)."""
        a, b = assignment_id(erratum), assignment_id(thread)
        if a is not None and b is not None and a != b:
            return 0.0
        e_terms, t_terms = self._norm_terms(erratum), self._norm_terms(thread)
        if not e_terms or not t_terms:
            return 0.0
        w = {t: self._heads.idf(t) for t in e_terms | t_terms}
        shared = sum(w[t] ** 2 for t in e_terms & t_terms)
        norm = math.sqrt(sum(w[t] ** 2 for t in e_terms) * sum(w[t] ** 2 for t in t_terms))
        return shared / norm if norm > 0 else 0.0

    def strength(self, erratum: Candidate, thread: Candidate) -> float:
        """1.0 for a recorded link, else the inferred one."""
        if thread.thread is not None and thread.item_id in erratum.linked_threads:
            return RECORDED
        key = (id(erratum), id(thread))
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self.inferred(erratum, thread)
        return hit
