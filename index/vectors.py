"""The FAISS side: vectors addressed by database-derived int64 labels, never by position."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

_TYPE_CODES = {"thread": 1, "post": 2, "erratum": 3}
_CHUNK_BITS = 12
_ID_BITS = 46
MAX_CHUNKS = 1 << _CHUNK_BITS


def type_code(doc_type: str) -> int:
    code = _TYPE_CODES.get(doc_type)
    if code is None:
        # Other document types get a stable code of their own in 4..15.
        code = 4 + zlib.crc32(doc_type.encode()) % 12
    return code


def make_label(doc_type: str, doc_id: int, chunk: int) -> int:
    """(type, id, chunk) packed into a positive int64: 4 bits type, 46 bits id, 12 bits chunk.

    Deterministic, so replacing a document's vectors means removing and re-adding the same
    labels, and a drift check can compare labels with database ids directly.
    """
    if not 0 <= doc_id < (1 << _ID_BITS):
        raise ValueError(f"document id out of range: {doc_id}")
    if not 0 <= chunk < MAX_CHUNKS:
        raise ValueError(f"chunk number out of range: {chunk}")
    return (type_code(doc_type) << (_ID_BITS + _CHUNK_BITS)) | (doc_id << _CHUNK_BITS) | chunk


class VectorStore:
    """``IndexIDMap2`` over exact ``IndexFlatIP`` (default) or ``IndexHNSWFlat``.

    HNSW graphs cannot delete nodes; there removals are masked by the caller (a label that is no
    longer in the side map is skipped) and the graph is compacted from its own stored vectors
    once a fifth of it is dead, so nothing is ever re-embedded for it.
    """

    def __init__(self, dim: int, kind: str = "flat", index: Any = None) -> None:
        import faiss

        self.dim = dim
        self.kind = kind
        self.dead = 0
        self.index: Any = index if index is not None else self._empty()
        faiss.omp_set_num_threads(1)  # 2 shared cores: threads cost more than they save here

    def _empty(self) -> Any:
        import faiss

        inner: Any
        if self.kind == "hnsw":
            inner = faiss.IndexHNSWFlat(self.dim, 32, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = 80
            inner.hnsw.efSearch = 96
        elif self.kind == "flat":
            inner = faiss.IndexFlatIP(self.dim)
        else:
            raise ValueError(f"unknown index kind {self.kind!r}; use 'flat' or 'hnsw'")
        return faiss.IndexIDMap2(inner)

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def add(self, labels: list[int], vectors: NDArray[np.float32]) -> None:
        if labels:
            self.index.add_with_ids(vectors, np.asarray(labels, dtype=np.int64))

    def remove(self, labels: list[int], live: set[int] | None = None) -> None:
        if not labels:
            return
        if self.kind == "hnsw":
            self.dead += len(labels)
            if live is not None and self.dead * 5 > max(self.ntotal, 1000):
                self.compact(live)
            return
        import faiss

        self.index.remove_ids(faiss.IDSelectorBatch(np.asarray(labels, dtype=np.int64)))

    def compact(self, live: set[int]) -> None:
        """Rebuild an HNSW graph from the live labels' stored vectors."""
        labels = sorted(live)
        vectors = (
            self.index.reconstruct_batch(np.asarray(labels, dtype=np.int64))
            if labels
            else np.zeros((0, self.dim), dtype=np.float32)
        )
        self.index = self._empty()
        self.dead = 0
        self.add(labels, np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, query: NDArray[np.float32], k: int) -> list[tuple[int, float]]:
        # Dead HNSW nodes are skipped by the caller: fetch a few more to make up for them.
        k = min(k + min(self.dead, k), self.ntotal)
        if k <= 0:
            return []
        scores, labels = self.index.search(query, k)
        return [
            (int(lab), float(s)) for lab, s in zip(labels[0], scores[0], strict=True) if lab >= 0
        ]

    def to_bytes(self) -> bytes:
        import faiss

        return bytes(faiss.serialize_index(self.index))

    @classmethod
    def from_bytes(cls, data: bytes, dim: int, kind: str) -> VectorStore:
        import faiss

        index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        if index.d != dim:
            raise ValueError(f"saved vectors have dimension {index.d}, the model has {dim}")
        # deserialize_index already returns the concrete class and owns it (a second
        # downcast wrapper would not, and the index would be freed under us).
        return cls(dim, kind, index=index)
