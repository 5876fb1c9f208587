"""Lexical side: BM25 over the same chunks (and int64 labels) as the vector index, in memory.

Why in memory rather than SQLite FTS5 / PostgreSQL tsvector: it is one implementation that
behaves the same on both databases, tokenises identifiers our way (``lstm_forward`` is indexed
whole *and* as ``lstm`` + ``forward``; FTS5's and PostgreSQL's parsers both split on ``_``), and
it is updated by the same indexer, under the same lock and with the same saved watermark as the
vectors, so the two sides can never disagree about which rows exist. Each app process keeps its
own replica, exactly like the FAISS index (invariant 3).

Layout: an immutable *base* segment in numpy arrays (CSR postings: fast to score, saved and
loaded as arrays, so a cold start does not re-tokenise 100k chunks) plus a small mutable *delta*
of dicts for changes since. Removing a base chunk marks its row dead. When the delta grows past
a quarter of the base, both are merged into a new base.
"""

from __future__ import annotations

import bisect
import gc
import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from index.text import tokenize

if TYPE_CHECKING:
    from numpy.typing import NDArray

K1 = 1.2
B = 0.75


def idf(n: int, df: int) -> float:
    """BM25's inverse document frequency of a term found in ``df`` of ``n`` documents (never
    negative: the "+ 1" form)."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


COMPACT_MIN = 5000
COMPACT_RATIO = 0.25
PAUSE_EVERY = 500
_CACHE_TERMS = 4096
_MISSING = object()


@contextmanager
def paused_gc() -> Iterator[None]:
    """Bulk builds make millions of small objects; the cyclic GC would rescan them over and
    over (none of them form cycles), which made loading 100k chunks several times slower."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _counts(tfs: NDArray[Any]) -> NDArray[Any]:
    """Term counts as 2-byte ints when they all fit (half of float32's bytes; scored as the
    same float32 values)."""
    if len(tfs) and (tfs.max() > np.iinfo(np.uint16).max or (tfs != np.floor(tfs)).any()):
        return np.asarray(tfs, np.float32)
    return tfs.astype(np.uint16)


class Vocab:
    """The base segment's terms -> term ids, without a Python string and int per term (a dict
    of 1M terms, most of them numbers and identifiers seen once, cost ~130 bytes a term): the
    terms' UTF-8 bytes in one buffer in id order, and the ids in the terms' sorted order, so a
    term is found by binary search (~20 comparisons, a query has a few terms)."""

    def __init__(
        self, buf: bytes = b"", offsets: NDArray[np.int64] | None = None,
        order: NDArray[np.int64] | None = None,
    ) -> None:  # fmt: skip
        self.buf = buf
        self.offsets = np.zeros(1, np.int64) if offsets is None else offsets
        n = len(self.offsets) - 1
        if order is None:  # sorted here (a file saved before the order was)
            order = np.array(sorted(range(n), key=self.term), np.int64)
        self.order = np.asarray(order, np.int64)
        if len(self.order) != n:
            raise ValueError("vocabulary order does not fit its terms")
        self._cache: dict[str, int | None] = {}  # term -> id of recent lookups (bounded)

    @classmethod
    def of(cls, terms: list[str]) -> Vocab:
        data = [t.encode() for t in terms]
        offsets = np.zeros(len(data) + 1, np.int64)
        if data:
            np.cumsum([len(d) for d in data], out=offsets[1:])
        return cls(b"".join(data), offsets)

    @classmethod
    def from_joined(cls, raw: NDArray[np.uint8], order: NDArray[np.int64] | None) -> Vocab:
        """Terms joined by newlines (as saved), read with numpy: no string per term."""
        raw = np.asarray(raw, np.uint8)
        if not len(raw):
            return cls(b"", None, order)
        newline = raw == ord("\n")
        breaks = np.flatnonzero(newline)
        ends = np.append(breaks - np.arange(len(breaks)), len(raw) - len(breaks))
        return cls(raw[~newline].tobytes(), np.concatenate(([0], ends)).astype(np.int64), order)

    def joined(self) -> NDArray[np.uint8]:
        """The terms in id order joined by newlines (no token holds one)."""
        n = len(self)
        if not n:
            return np.zeros(0, np.uint8)
        data = np.frombuffer(self.buf, np.uint8)
        lengths = np.diff(self.offsets)
        out = np.full(len(data) + n - 1, ord("\n"), np.uint8)
        out[np.arange(len(data)) + np.repeat(np.arange(n), lengths)] = data
        return out

    def __len__(self) -> int:
        return len(self.order)

    def term(self, tid: int) -> bytes:
        return self.buf[int(self.offsets[tid]) : int(self.offsets[tid + 1])]

    def get(self, term: str) -> int | None:
        # Query terms repeat; the vocabulary never changes (a new base makes a new one).
        cached = self._cache.get(term, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        if len(self._cache) >= _CACHE_TERMS:
            self._cache.clear()
        tid = self._cache[term] = self._find(term)
        return tid

    def _find(self, term: str) -> int | None:
        data = term.encode()
        order = self.order
        at = bisect.bisect_left(range(len(order)), data, key=lambda i: self.term(int(order[i])))
        if at < len(order) and self.term(int(order[at])) == data:
            return int(order[at])
        return None

    def terms(self) -> list[str]:
        """Every term in id order."""
        return [self.term(t).decode() for t in range(len(self))]


class LexicalIndex:
    """BM25 over chunks. Not thread-safe on its own: ``index.store.IndexState`` holds the
    read/write lock around every call."""

    ARRAYS = ("offsets", "rows", "tfs", "labels", "lengths", "dead")

    def __init__(self) -> None:
        # Base segment.
        self.vocab = Vocab()
        self.offsets: NDArray[np.int64] = np.zeros(1, np.int64)
        self.rows: NDArray[np.int32] = np.zeros(0, np.int32)
        self.tfs: NDArray[np.float32] = np.zeros(0, np.float32)
        self.labels: NDArray[np.int64] = np.zeros(0, np.int64)
        self.lengths: NDArray[np.float32] = np.zeros(0, np.float32)
        self.dead: NDArray[np.bool_] = np.zeros(0, np.bool_)
        # Base labels sorted, and the row of each: a label's row by binary search (a dict of
        # 1M int keys cost ~60 bytes a row, these arrays 16).
        self._sorted_labels: NDArray[np.int64] = np.zeros(0, np.int64)
        self._sorted_rows: NDArray[np.int64] = np.zeros(0, np.int64)
        # Delta segment.
        self.postings: dict[str, dict[int, int]] = {}
        self.delta_terms: dict[int, list[str]] = {}
        self.delta_lengths: dict[int, int] = {}
        self.total_length = 0
        self.live = 0

    def __len__(self) -> int:
        return self.live

    @property
    def delta_size(self) -> int:
        return len(self.delta_lengths)

    def needs_compaction(self) -> bool:
        return self.delta_size > max(COMPACT_MIN, COMPACT_RATIO * len(self.labels))

    # Changes

    def add(self, label: int, text: str, tokens: list[str] | None = None) -> None:
        """Index ``text`` as ``label``; ``tokens`` when the caller already tokenised it."""
        self.remove(label)
        if tokens is None:
            tokens = tokenize(text)
        counts = Counter(tokens)
        for term, tf in counts.items():
            self.postings.setdefault(term, {})[label] = tf
        self.delta_terms[label] = list(counts)
        self.delta_lengths[label] = len(tokens)
        self.total_length += len(tokens)
        self.live += 1

    def row_of(self, label: int) -> int | None:
        """The base row of ``label`` (dead or not), None when it has none."""
        at = int(np.searchsorted(self._sorted_labels, label))
        if at < len(self._sorted_labels) and int(self._sorted_labels[at]) == label:
            return int(self._sorted_rows[at])
        return None

    def _index_rows(self) -> None:
        self._sorted_rows = np.argsort(self.labels, kind="stable").astype(np.int64)
        self._sorted_labels = self.labels[self._sorted_rows]

    def remove(self, label: int) -> None:
        length = self.delta_lengths.pop(label, None)
        if length is not None:
            self.total_length -= length
            self.live -= 1
            for term in self.delta_terms.pop(label, ()):
                plist = self.postings.get(term)
                if plist is not None:
                    plist.pop(label, None)
                    if not plist:
                        del self.postings[term]
            return
        row = self.row_of(label)
        if row is not None and not self.dead[row]:
            self.dead[row] = True
            self.total_length -= int(self.lengths[row])
            self.live -= 1

    def rebuild(
        self, items: Iterable[tuple[int, str]], pause: Callable[[], object] | None = None
    ) -> None:
        """Make a new base segment from every live (label, text); the delta becomes empty.
        ``pause`` is called every ``PAUSE_EVERY`` rows (a background compaction steps aside for
        queries there)."""
        with paused_gc():
            self._rebuild(items, pause)

    def _rebuild(
        self, items: Iterable[tuple[int, str]], pause: Callable[[], object] | None = None
    ) -> None:
        # Every token as a term id (ids in order of first appearance), in one int32 buffer;
        # the postings are then the distinct (term, row) pairs, counted and sorted by numpy
        # (a Counter per row and a list per term cost more time and far more memory).
        vocab: dict[str, int] = {}
        setdefault = vocab.setdefault
        ids = array("i")
        labels: list[int] = []
        lengths: list[int] = []
        for label, text in items:
            if pause is not None and len(labels) % PAUSE_EVERY == 0:
                pause()
            tokens = tokenize(text)
            ids.extend([setdefault(t, len(vocab)) for t in tokens])
            labels.append(label)
            lengths.append(len(tokens))
        n_rows = max(len(labels), 1)
        pairs = np.frombuffer(ids, np.int32).astype(np.int64) if len(ids) else np.zeros(0, np.int64)
        del ids
        pairs *= n_rows  # term id * rows + row: one sortable int per token, made in place
        pairs += np.repeat(np.arange(len(labels), dtype=np.int64), lengths)
        pairs, tfs = np.unique(pairs, return_counts=True)
        pair_terms = pairs // n_rows
        sizes = np.bincount(pair_terms, minlength=len(vocab)).astype(np.int64)
        self.vocab = Vocab.of(list(vocab))
        del vocab
        self.offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        self.rows = (pairs - pair_terms * n_rows).astype(np.int32)
        self.tfs = _counts(tfs.astype(np.float32))
        self.labels = np.asarray(labels, np.int64)
        self.lengths = np.asarray(lengths, np.float32)
        self.dead = np.zeros(len(labels), np.bool_)
        self._index_rows()
        self.postings, self.delta_terms, self.delta_lengths = {}, {}, {}
        self.total_length = int(sum(lengths))
        self.live = len(labels)

    # Saving

    def to_arrays(self) -> dict[str, Any]:
        """The base segment as arrays; the delta is re-added from texts on load."""
        arrays: dict[str, Any] = {f"lex_{name}": getattr(self, name) for name in self.ARRAYS}
        # Terms in id order joined by newlines (no token holds one), and their sorted order.
        arrays["lex_vocab"] = self.vocab.joined()
        arrays["lex_vocab_order"] = self.vocab.order
        arrays["lex_delta"] = np.asarray(list(self.delta_lengths), np.int64)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, Any]) -> tuple[LexicalIndex, list[int]]:
        """The base segment, and the labels whose text must be added again (the delta)."""
        lex = cls()
        for name in cls.ARRAYS:
            setattr(lex, name, np.array(arrays[f"lex_{name}"]))
        lex.tfs = _counts(lex.tfs)
        order = arrays.get("lex_vocab_order")  # absent in files before it: sorted here
        lex.vocab = Vocab.from_joined(arrays["lex_vocab"], order)
        if len(lex.vocab) + 1 != len(lex.offsets) or len(lex.dead) != len(lex.labels):
            raise ValueError("lexical arrays do not fit together")
        lex._index_rows()
        alive = ~lex.dead
        lex.total_length = int(lex.lengths[alive].sum())
        lex.live = int(alive.sum())
        return lex, [int(x) for x in arrays["lex_delta"]]

    # Searching

    def search(
        self,
        terms: list[str],
        k: int,
        allow: Callable[[int], bool] | None = None,
        base_mask: NDArray[np.bool_] | None = None,
        allow_many: Callable[[NDArray[np.int64]], NDArray[np.bool_]] | None = None,
    ) -> list[tuple[int, float]]:
        """The ``k`` best (label, BM25 score) pairs for query ``terms``, filtered by ``allow``;
        ``base_mask`` (rows of the base segment that pass the same filter) spares calling
        ``allow`` on base rows; ``allow_many`` (the filter for many labels at once) replaces
        ``allow`` on the delta's."""
        n = self.live
        if n == 0 or not terms:
            return []
        avg = self.total_length / n or 1.0
        base_scores: NDArray[np.float32] | None = None
        delta_scores: dict[int, float] = {}
        for term in dict.fromkeys(terms):
            tid = self.vocab.get(term)
            plist = self.postings.get(term)
            lo = hi = 0
            base_df = 0
            if tid is not None:
                lo, hi = int(self.offsets[tid]), int(self.offsets[tid + 1])
                base_df = hi - lo - int(self.dead[self.rows[lo:hi]].sum())
            df = base_df + (len(plist) if plist else 0)
            if df == 0:
                continue
            weight = idf(n, df)
            if hi > lo:
                rows = self.rows[lo:hi]
                tf = self.tfs[lo:hi].astype(np.float32)
                norm = tf * (K1 + 1) / (tf + K1 * (1 - B + B * self.lengths[rows] / avg))
                if base_scores is None:
                    base_scores = np.zeros(len(self.labels), np.float32)
                base_scores[rows] += weight * norm  # rows are unique within one term
            if plist:
                lengths = self.delta_lengths
                for label, count in plist.items():
                    s = count * (K1 + 1) / (count + K1 * (1 - B + B * lengths[label] / avg))
                    delta_scores[label] = delta_scores.get(label, 0.0) + weight * s
        # Each segment ranked and filtered on its own, then merged: both lists are sorted.
        delta = sorted(delta_scores.items(), key=lambda kv: kv[1], reverse=True)
        if allow_many is not None and delta:
            keep = allow_many(np.fromiter((label for label, _ in delta), np.int64, len(delta)))
            delta = [pair for pair, ok in zip(delta, keep.tolist(), strict=True) if ok]
        elif allow is not None:
            delta = [(label, score) for label, score in delta if allow(label)]
        base: list[tuple[int, float]] = []
        if base_scores is not None:
            base_scores[self.dead] = 0.0
            if base_mask is not None:
                base_scores[~base_mask] = 0.0
                base = self._top_rows(base_scores, k, None)
            else:
                base = self._top_rows(base_scores, k, allow)
        return sorted(base + delta[:k], key=lambda kv: kv[1], reverse=True)[:k]

    def _top_rows(
        self, scores: NDArray[np.float32], k: int, allow: Callable[[int], bool] | None
    ) -> list[tuple[int, float]]:
        """The best ``k`` base rows that ``allow`` keeps. Windows of the top scores widen until
        ``k`` pass the filter; all rows above a window's edge are inside it, so the result is
        exact."""
        hit_rows = np.flatnonzero(scores > 0)
        out: list[tuple[int, float]] = []
        for want in (k, k * 8, k * 64, len(hit_rows)) if allow is not None else (k,):
            top = hit_rows
            if 0 < want < len(hit_rows):
                top = hit_rows[np.argpartition(-scores[hit_rows], want - 1)[:want]]
            order = top[np.argsort(-scores[top], kind="stable")]
            out = []
            for label, score in zip(
                self.labels[order].tolist(), scores[order].tolist(), strict=True
            ):
                if allow is None or allow(label):
                    out.append((label, score))
                    if len(out) >= k:
                        return out
            if want >= len(hit_rows):
                break
        return out
