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
# An HNSW search whose filter keeps at most this many vectors scores them exactly instead.
EXACT_BELOW = 4096
# sq8 (CHECKFIRST_INDEX_QUANTIZATION): each component stored as one byte over [-R, R].
SQ_RANGE = 0.35  # the bundled model's largest component over the README's lines: 0.23


_TYPE_NAMES = {code: name for name, code in _TYPE_CODES.items()}


def type_code(doc_type: str) -> int:
    code = _TYPE_CODES.get(doc_type)
    if code is None:
        # Other document types get a stable code of their own in 4..15.
        code = 4 + zlib.crc32(doc_type.encode()) % 12
        _TYPE_NAMES.setdefault(code, doc_type)
    return code


def label_key(label: int) -> tuple[str | None, int, int]:
    """(type, id, chunk) of a label: the inverse of ``make_label`` (the type is None for a
    code no ``type_code`` call in this process has named)."""
    return (
        _TYPE_NAMES.get(label >> (_ID_BITS + _CHUNK_BITS)),
        (label >> _CHUNK_BITS) & ((1 << _ID_BITS) - 1),
        label & (MAX_CHUNKS - 1),
    )


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


def first_labels(codes: NDArray[np.int64], ids: NDArray[np.int64]) -> NDArray[np.int64]:
    """``make_label(type, id, 0)`` of many documents at once (their keys), unchecked."""
    return (codes << (_ID_BITS + _CHUNK_BITS)) | (ids << _CHUNK_BITS)


def label_parts(labels: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The type codes and document ids packed into ``labels``."""
    return labels >> (_ID_BITS + _CHUNK_BITS), (labels >> _CHUNK_BITS) & ((1 << _ID_BITS) - 1)


def id_in_range(ids: NDArray[np.int64]) -> bool:
    """Every id fits a label (``make_label`` raises for one that does not)."""
    return not len(ids) or bool(ids.min() >= 0 and ids.max() < (1 << _ID_BITS))


def chunk_labels(firsts: NDArray[np.int64], counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """Every chunk label of documents whose first labels and chunk counts are given, in
    order."""
    if not len(firsts):
        return np.zeros(0, np.int64)
    starts = np.cumsum(counts) - counts
    chunk = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
    return np.repeat(firsts, counts) | chunk


def labels_of(codes: Any, ids: Any, counts: Any) -> NDArray[np.int64]:
    """Every chunk label of documents given as buffers of int64 type codes, ids and chunk
    counts, in order: ``make_label`` for all of them at once."""
    n = np.frombuffer(counts, np.int64) if len(counts) else np.zeros(0, np.int64)
    if not len(n):
        return np.zeros(0, np.int64)
    first = first_labels(np.frombuffer(codes, np.int64), np.frombuffer(ids, np.int64))
    return chunk_labels(first, n)


class VectorStore:
    """``IndexIDMap2`` over exact ``IndexFlatIP`` (default) or ``IndexHNSWFlat``.

    HNSW graphs cannot delete nodes, and an edit re-adds the same labels, so a removed node is
    masked *inside* the search: ``alive`` marks graph positions still current, and every HNSW
    search runs with a selector of alive (and filter-passing) positions, so an old version of a
    chunk is never returned. The graph is rebuilt from its own stored vectors once a fifth of it
    is dead (``needs_compaction``/``compacted``, called outside the index's write lock).
    """

    def __init__(self, dim: int, kind: str = "flat", index: Any = None) -> None:
        import faiss

        self.dim = dim
        self.kind = kind
        self.index: Any = index if index is not None else self._empty()
        # HNSW only: graph position -> label, and whether that node is the current one.
        self._labels = np.zeros(0, np.int64)
        self._alive = np.zeros(0, np.bool_)
        if index is not None and self.graph == "hnsw":
            self._labels = faiss.vector_to_array(index.id_map).astype(np.int64)
            self._alive = np.ones(len(self._labels), np.bool_)
        faiss.omp_set_num_threads(1)  # 2 shared cores: threads cost more than they save here

    @property
    def graph(self) -> str:
        """ "flat" or "hnsw" (the kind without its quantisation suffix)."""
        return self.kind.split("-")[0]

    def _empty(self) -> Any:
        import faiss

        graph, _, quantization = self.kind.partition("-")
        if quantization not in ("", "sq8"):
            raise ValueError(f"unknown quantization {quantization!r}; use 'none' or 'sq8'")
        sq8: Any = faiss.ScalarQuantizer.QT_8bit
        inner: Any
        if graph == "hnsw":
            inner = (
                faiss.IndexHNSWSQ(self.dim, sq8, 32, faiss.METRIC_INNER_PRODUCT)
                if quantization
                else faiss.IndexHNSWFlat(self.dim, 32, faiss.METRIC_INNER_PRODUCT)
            )
            inner.hnsw.efConstruction = 80
            inner.hnsw.efSearch = 96
        elif graph == "flat":
            inner = (
                faiss.IndexScalarQuantizer(self.dim, sq8, faiss.METRIC_INNER_PRODUCT)
                if quantization
                else faiss.IndexFlatIP(self.dim)
            )
        else:
            raise ValueError(f"unknown index kind {graph!r}; use 'flat' or 'hnsw'")
        if quantization:
            # One fixed range for every replica, not one learnt from whichever vectors came
            # first: unit vectors of a few hundred dimensions keep each component well inside
            # +-SQ_RANGE, and 256 steps over it cost recall@10 < 1% (bench/index_quantization.py).
            span = np.full((2, self.dim), SQ_RANGE, np.float32)
            span[0] *= -1
            inner.train(span)
        return faiss.IndexIDMap2(inner)

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def dead(self) -> int:
        """Nodes still in an HNSW graph but no longer searchable."""
        return int(len(self._alive) - self._alive.sum()) if self.graph == "hnsw" else 0

    @property
    def live(self) -> int:
        return self.ntotal - self.dead

    def add(self, labels: list[int], vectors: NDArray[np.float32]) -> None:
        if not labels:
            return
        ids = np.asarray(labels, dtype=np.int64)
        self.index.add_with_ids(vectors, ids)
        if self.graph == "hnsw":
            self._labels = np.concatenate([self._labels, ids])
            self._alive = np.concatenate([self._alive, np.ones(len(ids), np.bool_)])

    def remove(self, labels: list[int]) -> None:
        if not labels:
            return
        ids = np.asarray(labels, dtype=np.int64)
        if self.graph == "hnsw":
            self._alive &= ~np.isin(self._labels, ids)
            return
        import faiss

        self.index.remove_ids(faiss.IDSelectorBatch(ids))

    def keep_only(self, live: NDArray[np.int64]) -> None:
        """After loading: of an HNSW graph, only the newest node of each live label is alive."""
        if self.graph != "hnsw" or not len(self._labels):
            return
        reversed_labels = self._labels[::-1]
        _, first = np.unique(reversed_labels, return_index=True)
        newest = np.zeros(len(self._labels), np.bool_)
        newest[len(self._labels) - 1 - first] = True
        self._alive = newest & np.isin(self._labels, live)

    def needs_compaction(self) -> bool:
        return self.graph == "hnsw" and self.dead * 5 > max(self.ntotal, 1000)

    def compacted(self) -> VectorStore:
        """A copy of an HNSW store holding only its alive nodes (the caller swaps it in)."""
        positions = np.flatnonzero(self._alive)
        labels = self._labels[positions]
        vectors = (
            self.index.index.reconstruct_batch(positions.astype(np.int64))
            if len(positions)
            else np.zeros((0, self.dim), dtype=np.float32)
        )
        fresh = VectorStore(self.dim, self.kind)
        fresh.add(labels.tolist(), np.ascontiguousarray(vectors, dtype=np.float32))
        return fresh

    def search(
        self, query: NDArray[np.float32], k: int, allowed: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest live vectors; with ``allowed`` (labels), only those are searched."""
        import faiss as faiss_module

        faiss: Any = faiss_module  # its type stubs lack the search parameter classes

        k = min(k, self.live if allowed is None else len(allowed))
        if k <= 0:
            return []
        if self.graph == "hnsw":
            mask = self._alive if allowed is None else self._alive & np.isin(self._labels, allowed)
            if allowed is not None and mask.sum() <= EXACT_BELOW:
                return self._exact(query, np.flatnonzero(mask), k)
            bitmap = np.packbits(mask, bitorder="little")  # referenced until the search ends
            sel = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap))
            inner: Any = faiss.downcast_index(self.index.index)
            params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(inner.hnsw.efSearch, k))
            scores, positions = inner.search(query, k, params=params)
            return [
                (int(self._labels[p]), float(s))
                for p, s in zip(positions[0], scores[0], strict=True)
                if p >= 0
            ]
        params = None
        if allowed is not None:  # the ID map translates the selector to its positions
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        scores, labels = self.index.search(query, k, params=params)
        return [
            (int(lab), float(s)) for lab, s in zip(labels[0], scores[0], strict=True) if lab >= 0
        ]

    def _exact(
        self, query: NDArray[np.float32], positions: NDArray[np.intp], k: int
    ) -> list[tuple[int, float]]:
        # A narrow filter leaves too few nodes for the graph walk to reach: score them all.
        vectors = self.index.index.reconstruct_batch(positions.astype(np.int64))
        scores = vectors @ query[0]
        best = np.argsort(-scores, kind="stable")[:k]
        return [(int(self._labels[positions[i]]), float(scores[i])) for i in best]

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
