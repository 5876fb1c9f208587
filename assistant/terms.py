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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from core.lru import ByteBoundedLRU
from index.text import tokenize

TERMS_BYTES = 24 * 1024 * 1024
REPLY_KEYS_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Terms:
    """A text's term counts (read-only: shared by every ask that meets the text), its length,
    and the precise numbers it prints (``number_keys``)."""

    counts: Mapping[str, int]
    length: int
    numbers: frozenset[str] = frozenset()


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
        numbers = number_keys(counts)
        hit = Terms(MappingProxyType(counts), sum(counts.values()), numbers)
        size = sys.getsizeof(counts) + sum(sys.getsizeof(t) for t in counts) + 200
        size += sum(sys.getsizeof(n) for n in numbers) + sys.getsizeof(numbers)
        _terms.put_sized(key, hit, size)
    return hit


def number_key(token: str) -> str | None:
    """A token that is a precise number, to 3 significant digits, so the same value printed
    to a different precision meets itself ("0.41666667", "0.4166666" -> "0.417"); ``None``
    for a word, a zero, or a short integer ("3" in "Case 3", a shape's "64"), which say
    nothing specific. Signs are not tokens, so "-3.5673" is "3.57"."""
    if not token[:1].isdigit():
        return None
    if "." not in token:
        whole = token.lstrip("0")
        return whole if token.isdigit() and len(token) >= 3 and whole else None
    try:
        value = float(token)
    except ValueError:  # a version or dotted name ("1.2.3", "2.x")
        return None
    return f"{value:.3g}" if value else None


def number_keys(tokens: Iterable[str]) -> frozenset[str]:
    """The ``number_key`` of every token that has one. The tokenizer also yields a decimal's
    parts ("0.41666667" -> "0", "41666667"): a part is no number of its own."""
    tokens = set(tokens)
    parts = {p for t in tokens if "." in t for p in t.split(".")}
    return frozenset(k for t in tokens - parts if (k := number_key(t)) is not None)


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
