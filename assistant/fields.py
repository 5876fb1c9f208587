"""Field-aware lexical evidence: BM25 of the question's words over each candidate's fields.

The index ranks chunks; the re-ranker also wants to know how well the *whole* candidate, and
each of its fields, matches each part of the question. Here the ~50 candidates of one question
are a small collection of their own: BM25 (``index.lexical``'s K1 and B) with document
frequencies taken over these candidates, so a word every candidate shares (the function name
all the filler threads repeat) weighs nothing, and the word only the answer shares (the symptom)
weighs most. A score is divided by the most the question's terms could score (every term present
and frequent), so it reads the same across questions and stays low when nothing matches: an
unrelated question must not look like a match because some candidate is its best one.

Fields of a candidate: ``text`` (everything), ``head`` (a thread's title and question post; an
erratum's title and description: what the problem *is*, without the replies' guesses).
Query parts: all words, the error line, the prose (the learner's own words).

Only the question's terms are looked up (document frequencies for them alone, each term's
contribution to every candidate computed once as a numpy column and shared by the query parts);
the candidates' term counts come from ``assistant.terms``, tokenised once per text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from assistant.terms import Terms, terms
from index.lexical import K1, B, idf


class Field:
    """One field of every candidate: term counts and lengths, and the document frequencies."""

    def __init__(self, texts: Sequence[str], counted: Sequence[Terms] | None = None) -> None:
        """``counted``: the texts' terms when the caller has them (tokenised once)."""
        counted = counted if counted is not None else [terms(t) for t in texts]
        self.counts = [t.counts for t in counted]
        self.numbers = [t.numbers for t in counted]
        lengths = [t.length for t in counted]
        average = (sum(lengths) / len(lengths)) if lengths else 0.0
        self.norm = K1 * (1.0 - B + B * np.array(lengths, dtype=float) / (average or 1.0))
        self._df: dict[str, int] = {}
        self._column: dict[str, np.ndarray] = {}

    def df(self, term: str) -> int:
        df = self._df.get(term)
        if df is None:
            df = self._df[term] = sum(1 for c in self.counts if term in c)
        return df

    def idf(self, term: str) -> float:
        return idf(len(self.counts), self.df(term))

    def number_idf(self, key: str) -> float:
        """``idf`` of a precise number (``terms.number_key``) over the candidates' numbers."""
        return idf(len(self.numbers), sum(1 for have in self.numbers if key in have))

    def _contribution(self, term: str) -> np.ndarray:
        """The term's BM25 share in every candidate (0 where absent)."""
        column = self._column.get(term)
        if column is None:
            tf = np.array([c.get(term, 0) for c in self.counts], dtype=float)
            column = self.idf(term) * tf * (K1 + 1.0) / (tf + self.norm)
            self._column[term] = column
        return column

    def scores(self, query: Iterable[str]) -> list[float]:
        """BM25 of the (distinct) query terms for each candidate, as a share of the most the
        terms could score (a term no candidate has counts at its largest weight)."""
        query = set(query)
        ceiling = sum(self.idf(t) for t in query) * (K1 + 1.0)
        total = np.zeros(len(self.counts))
        for t in query:  # added term by term, in one order: the same sums on every run
            if self.df(t):
                total += self._contribution(t)
        if ceiling <= 0:
            return [0.0] * len(self.counts)
        return (total / ceiling).tolist()
