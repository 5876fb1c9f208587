"""Split long texts into overlapping word windows, so a long post is found by any of its parts."""

from __future__ import annotations

CHUNK_WORDS = 200
OVERLAP_WORDS = 40


def chunk_text(text: str, size: int = CHUNK_WORDS, overlap: int = OVERLAP_WORDS) -> list[str]:
    """Word windows of ``size`` words, each sharing ``overlap`` words with the previous one.

    Words are whitespace-separated (close enough to the model's tokens for prose and code: the
    model truncates at 256 word pieces, which ~200 words stay under). Always at least one chunk.
    """
    if size <= overlap:
        raise ValueError("chunk size must exceed the overlap")
    words = text.split()
    if len(words) <= size:
        return [" ".join(words)]
    chunks = []
    step = size - overlap
    for start in range(0, len(words), step):
        chunks.append(" ".join(words[start : start + size]))
        if start + size >= len(words):
            break
    return chunks
