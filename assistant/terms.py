"""Each candidate text's words, counted once and kept for the next questions that find it.

The re-ranker compares every question with its ~50 candidates' texts, heads, titles and
replies, and the same threads come back for question after question about the same function.
A text's tokens depend on nothing but the text, so they are cached by a digest of the text: an
edited post makes a different text and a new entry (nothing to invalidate, never a stale
count), and the least recently used entries go first. The caches are bounded by the bytes
their counts hold (``core.lru``), not by a count of texts: a thread's text is all its posts,
and a count bound would let a few long threads hold hundreds of MB per worker. On the ask
bench's data (bench/ask_bench.py, 10k chunks) 2,048 texts' counts and texts took 5.4 MB and
answered 80% of lookups after 400 asks; ``TERMS_BYTES`` holds several times that.
"""

from __future__ import annotations

import hashlib
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from core.lru import ByteBoundedLRU
from index.text import tokenize

TERMS_BYTES = 24 * 1024 * 1024
REPLY_KEYS_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Terms:
    """A text's term counts (read-only: shared by every ask that meets the text) and length."""

    counts: Mapping[str, int]
    length: int


_terms: ByteBoundedLRU[bytes, Terms] = ByteBoundedLRU(TERMS_BYTES)
_reply_keys: ByteBoundedLRU[bytes, str] = ByteBoundedLRU(REPLY_KEYS_BYTES)


def digest(text: str) -> bytes:
    """A cache key for a text that does not keep the text alive."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def terms(text: str) -> Terms:
    key = digest(text)
    hit = _terms.get(key)
    if hit is None:
        counts = Counter(tokenize(text))
        hit = Terms(MappingProxyType(counts), sum(counts.values()))
        size = sys.getsizeof(counts) + sum(sys.getsizeof(t) for t in counts) + 200
        _terms.put_sized(key, hit, size)
    return hit


def words_key(text: str) -> str:
    """A reply's words in order: two replies with the same key say the same thing word for
    word ("Restart the kernel." and "restart the kernel")."""
    return " ".join(tokenize(text))


def reply_key(text: str) -> str:
    """``words_key``, cached for the replies asks meet again and again."""
    key = digest(text)
    hit = _reply_keys.get(key)
    if hit is None:
        hit = words_key(text)
        _reply_keys.put_sized(key, hit, sys.getsizeof(hit) + 100)
    return hit
