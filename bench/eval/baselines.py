"""The two baselines ask must beat: plain BM25 (``bm25s``, default settings, no tuning) and plain
dense retrieval (the project's MiniLM encoder + exact FAISS inner product), each over whole
documents: a thread is its title, body and every reply; an erratum is all of its text.

No course or assignment filter, no status or version logic: what a learner would get by pasting
the question into a plain search box.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

K = 10


def document_text(record: dict[str, Any]) -> str:
    fields = ["title", "body", "location", "published_output", "corrected_output"]
    fields += ["workaround", "resolution_note"]
    parts = [str(record.get(f) or "") for f in fields]
    parts += [str(r.get("body") or "") for r in record.get("replies") or []]
    return "\n".join(p for p in parts if p)


def query_text(q: dict[str, Any]) -> str:
    """Everything the learner pasted, as one search string."""
    return "\n".join(str(q.get(f) or "") for f in ("question", "traceback", "output") if q.get(f))


class BM25:
    def __init__(self, ids: list[str], texts: list[str]) -> None:
        import bm25s

        self.ids = ids
        self.retriever = bm25s.BM25()
        self.retriever.index(bm25s.tokenize(texts, show_progress=False), show_progress=False)

    def search(self, text: str, k: int = K) -> list[str]:
        import bm25s

        tokens = bm25s.tokenize([text], show_progress=False)
        docs, scores = self.retriever.retrieve(tokens, k=min(k, len(self.ids)), show_progress=False)
        # bm25s pads with zero-score documents in index order: those were not found.
        return [self.ids[int(i)] for i, s in zip(docs[0], scores[0], strict=True) if s > 0]


class Dense:
    def __init__(
        self, ids: list[str], vectors: np.ndarray, encode: Callable[[list[str]], np.ndarray]
    ) -> None:
        import faiss

        self.ids = ids
        self.encode = encode
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, text: str, k: int = K) -> list[str]:
        _, rows = self.index.search(self.encode([text]), k)
        return [self.ids[int(i)] for i in rows[0] if i >= 0]
