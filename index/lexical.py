"""Lexical side: an in-memory BM25 inverted index over the same chunks as the vector index.

Why in memory rather than SQLite FTS5 / PostgreSQL tsvector: it is one implementation that
behaves the same on both databases, tokenises identifiers our way (``lstm_forward`` is indexed
whole *and* as ``lstm`` + ``forward``; FTS5's and PostgreSQL's parsers both split on ``_``), and
it is updated by the same indexer, under the same lock and with the same saved watermark as the
vectors, so the two sides can never disagree about which rows exist. Each app process keeps its
own replica, exactly like the FAISS index (invariant 3).
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from collections.abc import Callable

# Identifiers, words and numbers; dots and other punctuation separate tokens.
_TOKEN = re.compile(r"[A-Za-z0-9_]+")
STOPWORDS = frozenset(
    "a an and are as at be but by can do does for from has have how i if in into is it its me my "  # noqa: SIM905
    "not of on or so than that the their then there these this to was we what when where which "
    "while who why will with you your".split()
)
K1 = 1.2
B = 0.75


def tokenize(text: str) -> list[str]:
    """Lower-cased tokens; snake_case identifiers yield the whole name and each part."""
    out: list[str] = []
    for raw in _TOKEN.findall(text):
        token = raw.lower().strip("_")
        if not token:
            continue
        if "_" in token:
            out.append(token)
            out.extend(p for p in token.split("_") if p and p not in STOPWORDS)
        elif token not in STOPWORDS:
            out.append(token)
    return out


class LexicalIndex:
    """BM25 over chunks addressed by the same int64 labels as the vectors. Not thread-safe on
    its own: the caller (``index.store.IndexState``) holds the read/write lock."""

    def __init__(self) -> None:
        self.postings: dict[str, dict[int, int]] = {}
        self.lengths: dict[int, int] = {}
        self.total_length = 0

    def __len__(self) -> int:
        return len(self.lengths)

    def add(self, label: int, text: str) -> None:
        if label in self.lengths:
            self.remove(label, text)
        tokens = tokenize(text)
        for term, tf in Counter(tokens).items():
            self.postings.setdefault(term, {})[label] = tf
        self.lengths[label] = len(tokens)
        self.total_length += len(tokens)

    def remove(self, label: int, text: str) -> None:
        """Remove ``label``; ``text`` is what was added under it (terms are not stored twice)."""
        length = self.lengths.pop(label, None)
        if length is None:
            return
        self.total_length -= length
        for term in set(tokenize(text)):
            plist = self.postings.get(term)
            if plist is not None:
                plist.pop(label, None)
                if not plist:
                    del self.postings[term]

    def search(
        self, terms: list[str], k: int, allow: Callable[[int], bool] | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` best (label, BM25 score) pairs for query ``terms``, filtered by ``allow``."""
        n = len(self.lengths)
        if n == 0 or not terms:
            return []
        avg = self.total_length / n or 1.0
        scores: dict[int, float] = {}
        for term in dict.fromkeys(terms):
            plist = self.postings.get(term)
            if not plist:
                continue
            df = len(plist)
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            lengths = self.lengths
            for label, tf in plist.items():
                norm = tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[label] / avg))
                scores[label] = scores.get(label, 0.0) + idf * norm
        if allow is None:
            return heapq.nlargest(k, scores.items(), key=lambda kv: kv[1])
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        out = []
        for label, score in ranked:
            if allow(label):
                out.append((label, score))
                if len(out) >= k:
                    break
        return out
