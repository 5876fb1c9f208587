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
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from index.lexical import K1, B
from index.text import tokenize


class Field:
    """One field of every candidate: term counts and lengths, and the document frequencies."""

    def __init__(self, texts: Sequence[str], counts: list[Counter[str]] | None = None) -> None:
        """``counts``: the texts' term counts when the caller has them (tokenised once)."""
        self.counts = counts if counts is not None else [Counter(tokenize(t)) for t in texts]
        self.lengths = [sum(c.values()) for c in self.counts]
        self.average = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        self.df: Counter[str] = Counter()
        for c in self.counts:
            self.df.update(c.keys())

    def idf(self, term: str) -> float:
        n, df = len(self.counts), self.df.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def scores(self, query: Iterable[str]) -> list[float]:
        """BM25 of the (distinct) query terms for each candidate, as a share of the most the
        terms could score (a term no candidate has counts at its largest weight)."""
        query = set(query)
        ceiling = sum(self.idf(t) for t in query) * (K1 + 1.0)
        terms = [(t, self.idf(t)) for t in query if t in self.df]
        out = []
        for counts, length in zip(self.counts, self.lengths, strict=True):
            norm = K1 * (1.0 - B + B * length / (self.average or 1.0))
            s = 0.0
            for t, idf in terms:
                tf = counts.get(t, 0)
                if tf:
                    s += idf * tf * (K1 + 1.0) / (tf + norm)
            out.append(s)
        return [s / ceiling if ceiling > 0 else 0.0 for s in out]
