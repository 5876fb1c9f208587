"""Each candidate text's words, counted once and kept for the next questions that find it.

The re-ranker compares every question with its ~50 candidates' texts, heads, titles and
replies, and the same threads come back for question after question about the same function.
A text's tokens depend on nothing but the text, so they are cached by the text itself: an
edited post makes a different text and a new entry (nothing to invalidate, never a stale
count), and the least recently used entries go first. ``MAX_TEXTS`` bounds the cache: about
three texts per candidate (whole text, head, title), so ~12 questions' worth of distinct
candidates. On the ask bench's data (bench/ask_bench.py, 10k chunks) a full cache holds 5.4 MB
(texts and counts) and answers 80% of lookups after 400 asks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from index.text import tokenize

MAX_TEXTS = 2048
MAX_REPLIES = 2048


@dataclass(frozen=True, slots=True)
class Terms:
    """A text's term counts (read-only: shared by every ask that meets the text) and length."""

    counts: Mapping[str, int]
    length: int


@lru_cache(maxsize=MAX_TEXTS)
def terms(text: str) -> Terms:
    counts = Counter(tokenize(text))
    return Terms(MappingProxyType(counts), sum(counts.values()))


@lru_cache(maxsize=MAX_REPLIES)
def reply_key(text: str) -> str:
    """A reply's words in order: two replies with the same key say the same thing word for
    word ("Restart the kernel." and "restart the kernel")."""
    return " ".join(tokenize(text))
