"""The in-memory index a process searches: vectors, lexical postings and the side map, kept
together behind one read/write lock and saved atomically with the last applied event number."""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import os
import threading
from array import array
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.chunking import chunk_text
from index.columns import (
    LOAD_BATCH,
    DocTable,
    Entry,
    key_int,
    keys_of,
    list_encoder,
    read_format_4,
)
from index.documents import Document
from index.lexical import LexicalIndex, paused_gc
from index.records import Records, map_npz_member
from index.text import tokenize
from index.types import Viewer
from index.vectors import MAX_CHUNKS, VectorStore, chunk_labels, labels_of, type_code

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from index.embeddings import SharedVectors
    from index.encoder import ChunkEncoder

log = logging.getLogger(__name__)
# 3: documents carry their content version; 4: documents as columns (index.columns); 5: a
# title shared with the first chunk, metadata values without their keys.
FORMAT = 5
OLD_FORMATS = (3, 4)  # still read (and rewritten as FORMAT at the next save)
DocKey = tuple[str, int]
_CHUNK_MASK = MAX_CHUNKS - 1


class CorruptIndex(Exception):
    """A saved index that cannot be used (unreadable, truncated, other model or format)."""


class RWLock:
    """Many readers or one writer; a waiting writer blocks new readers so it cannot starve."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


def make_entry(
    doc_type: str, doc_id: int, title: str, url: str, course_id: int | None,
    assignment_id: int | None, metadata: dict[str, Any], chunks: tuple[str, ...] | list[str],
    version: str,
) -> Entry:  # fmt: skip
    """One document's entry, as the index keeps it (in a table of its own)."""
    doc = Document(doc_type, doc_id, title, "", url, course_id, assignment_id, metadata)
    table = DocTable(capacity=1)
    table.put(doc, chunks, bytes.fromhex(version))
    return table[(doc_type, doc_id)]


def _meta(doc: Document | Entry, name: str) -> Any:
    return doc.meta(name) if isinstance(doc, Entry) else doc.metadata.get(name)


class Owners(Mapping[int, "DocKey"]):
    """Chunk label -> document key, read from the label's bits and checked against the
    documents: no dict entry and int objects per chunk (~60 bytes each at 1M chunks)."""

    def __init__(self, docs: DocTable) -> None:
        self._docs = docs

    def get(self, label: int, default: Any = None) -> Any:  # type: ignore[override]
        docs = self._docs
        row = docs.row_of(label & ~_CHUNK_MASK)
        if row is None or (label & _CHUNK_MASK) >= int(docs.col("n_chunks")[row]):
            return default
        return docs.key_at(row)

    def __getitem__(self, label: int) -> DocKey:
        key = self.get(label)
        if key is None:
            raise KeyError(label)
        return key  # type: ignore[no-any-return]

    def __contains__(self, label: object) -> bool:
        return isinstance(label, int) and self.get(label) is not None

    def __iter__(self) -> Iterator[int]:
        return iter(self._docs.labels().tolist())

    def __len__(self) -> int:
        return self._docs.chunks


@dataclass
class Prepared:
    """A document chunked and embedded outside the lock, ready to swap in."""

    doc: Document
    chunks: list[str]
    vectors: NDArray[np.float32] | None  # None: same text as indexed, keep the vectors
    # Each chunk's lexical tokens, made here so the write lock is not held while tokenising.
    tokens: list[list[str]] | None = None


def _filter_fields(doc: Document | Entry) -> tuple[Any, ...]:
    return (doc.course_id, doc.assignment_id, doc.doc_type, _meta(doc, "status"),
            bool(_meta(doc, "private")), _meta(doc, "owner"))  # fmt: skip


def content_version(doc: Document) -> str:
    """A digest of everything the index holds of a document (text and filter/boost metadata),
    so the drift check sees a missed edit or status change, not only a missing id."""
    return content_digest(doc).hex()


def content_digest(doc: Document) -> bytes:
    """``content_version`` as the 16 bytes the document table keeps."""
    fields = [doc.doc_type, doc.doc_id, doc.title, doc.text, doc.url, doc.course_id,
              doc.assignment_id, doc.metadata]  # fmt: skip
    return hashlib.sha256(_VERSION_ENCODE(fields).encode()).digest()[:16]


# One encoder for every digest (``json.dumps`` with options builds a new one per call).
_VERSION_JSON = json.JSONEncoder(sort_keys=True, default=str, separators=(",", ":"))
_VERSION_ENCODE = list_encoder(_VERSION_JSON)
_ROW_JSON = json.JSONEncoder(separators=(",", ":"))


def key_of(doc: Document) -> DocKey:
    return (doc.doc_type, doc.doc_id)


def doc_chunks(doc: Document) -> list[str]:
    """The texts to embed for a document: its title in front of every chunk, for context."""
    parts = chunk_text(doc.text)[:MAX_CHUNKS]
    # NUL separates chunk texts in the saved file; it never means anything in a post.
    return [f"{doc.title}\n{part}".replace("\x00", " ").strip() for part in parts]


class IndexState:
    """What one process searches. Readers use ``lock.read()``; ``apply`` takes the write lock
    only for the swap, so a search sees a batch of changes entirely or not at all (X2)."""

    def __init__(self, encoder_name: str, dim: int, kind: str = "flat") -> None:
        self.encoder_name = encoder_name
        self.dim = dim
        self.kind = kind
        self.lock = RWLock()
        self.vectors = VectorStore(dim, kind)
        self.lexical = LexicalIndex()
        self.docs = DocTable()
        self.owner = Owners(self.docs)
        self.children: dict[str, set[DocKey]] = {}
        # Every event up to ``seq`` is reflected (see ``index.indexer`` for gaps above it).
        self.seq = 0
        # When event ``seq`` was written (see ``index.indexer.event_stamp``).
        self.stamp = ""
        # PostgreSQL: the snapshot of the last outbox read, "xmin:xmax:xip" (``index.indexer``).
        self.snapshot = ""
        # Private documents indexed (whether some viewer must be filtered at all).
        self.private_docs = 0
        # A rebuild in progress: lexical rows are built once, by ``compact()`` (see ``apply``).
        self.lexical_deferred = False
        # Filter fields per lexical base row, built on first filtered search after a change.
        self._row_meta: tuple[Any, dict[str, NDArray[Any]]] | None = None
        # The same for the lexical delta's labels, as of change number ``_changes``.
        self._changes = 0
        self._delta_meta: tuple[int, NDArray[np.int64], dict[str, NDArray[Any]]] | None = None

    # Reading (callers hold lock.read())

    def doc_keys(self) -> set[DocKey]:
        return set(self.docs)

    def chunk_count(self) -> int:
        return self.docs.chunks

    def children_of(self, keys: list[DocKey]) -> list[DocKey]:
        out: list[DocKey] = []
        for doc_type, doc_id in keys:
            out.extend(self.children.get(f"{doc_type}:{doc_id}", ()))
        return out

    def allowed_labels(
        self,
        course_id: int | None,
        assignment_id: int | None,
        doc_types: tuple[str, ...],
        statuses: tuple[str, ...],
        viewer: Viewer | None = None,
    ) -> NDArray[np.int64]:
        """The labels of every chunk that passes the filters (statuses filter errata only), so
        that a filter is applied inside the vector search (invariant 4). Every live chunk is a
        live row of the lexical base or in its delta, except while a rebuild defers the
        lexical side: the base rows are filtered with numpy, the delta's few one by one."""
        args = (course_id, assignment_id, doc_types, statuses, viewer)
        if self.lexical_deferred:  # from the documents' own columns
            docs = self.docs
            rows = docs.live_rows()
            rows = rows[self._mask(docs.filter_columns(rows), len(rows), *args)]
            return docs.labels(rows)
        lex = self.lexical
        mask = self.base_row_mask(*args) & ~lex.dead
        return np.concatenate([lex.labels[mask], self._delta_passing(*args)])

    def base_row_mask(
        self,
        course_id: int | None,
        assignment_id: int | None,
        doc_types: tuple[str, ...],
        statuses: tuple[str, ...],
        viewer: Viewer | None = None,
    ) -> NDArray[np.bool_]:
        """Which lexical base rows pass the filters, computed with numpy rather than per row
        in Python (a 1-in-60 filter over 100k chunks would otherwise call Python 100k times)."""
        labels = self.lexical.labels
        if self._row_meta is None or self._row_meta[0] is not labels:
            self._row_meta = (labels, self._build_row_meta(labels))
        return self._mask(self._row_meta[1], len(labels), course_id, assignment_id, doc_types,
                          statuses, viewer)  # fmt: skip

    def _delta_passing(self, *args: Any) -> NDArray[np.int64]:
        """The lexical delta's labels that pass the filters: its filter columns are made once
        per change of the index (``_changes``), not per search (the delta reaches 25k rows)."""
        cached = self._delta_meta
        if cached is None or cached[0] != self._changes:
            delta = self.lexical.delta_lengths
            labels = np.fromiter(delta, np.int64, len(delta))
            cached = self._delta_meta = (self._changes, labels, self._build_row_meta(labels))
        labels = cached[1]
        return labels[self._mask(cached[2], len(labels), *args)]

    def _mask(
        self, meta: dict[str, NDArray[Any]], n: int, course_id: int | None,
        assignment_id: int | None, doc_types: tuple[str, ...], statuses: tuple[str, ...],
        viewer: Viewer | None,
    ) -> NDArray[np.bool_]:  # fmt: skip
        mask = np.ones(n, np.bool_)
        if course_id is not None:
            mask &= meta["course"] == course_id
        if assignment_id is not None:
            mask &= meta["assignment"] == assignment_id
        if doc_types:
            mask &= np.isin(meta["type"], [type_code(t) for t in doc_types])
        if statuses:
            codes = [self.docs.statuses.get(s, -1) for s in statuses]
            mask &= (meta["type"] != type_code("erratum")) | np.isin(meta["status"], codes)
        if self.hides_private(viewer):
            seen = ~meta["private"]
            if viewer is not None and viewer.user_id is not None:
                seen |= meta["owner"] == viewer.user_id
            if viewer is not None and viewer.staff_course_ids:
                seen |= np.isin(meta["course"], list(viewer.staff_course_ids))
            mask &= seen
        return mask

    def hides_private(self, viewer: Viewer | None) -> bool:
        """Whether some private document is indexed that ``viewer`` may not see all of."""
        if viewer is not None and viewer.staff_course_ids is None:
            return False
        return self.private_docs > 0

    def _build_row_meta(self, labels: NDArray[np.int64]) -> dict[str, NDArray[Any]]:
        """Filter columns of chunk ``labels``, gathered from their documents' rows (a label
        whose document is gone or has fewer chunks gets empty fields: it is a dead row)."""
        return self.docs.filter_columns(self.label_rows(labels))

    def label_rows(self, labels: NDArray[np.int64]) -> NDArray[np.int64]:
        """The document row of each chunk label, -1 where its document is gone or has fewer
        chunks (``owner.get`` for many labels at once, with numpy)."""
        docs = self.docs
        rows = docs.rows_of(labels & ~np.int64(_CHUNK_MASK))
        gone = rows < 0
        gone[~gone] = (labels[~gone] & _CHUNK_MASK) >= docs.col("n_chunks")[rows[~gone]]
        rows[gone] = -1
        return rows

    def passing(
        self, rows: NDArray[np.int64], course_id: int | None, assignment_id: int | None,
        doc_types: tuple[str, ...], statuses: tuple[str, ...], viewer: Viewer | None = None,
    ) -> NDArray[np.bool_]:  # fmt: skip
        """Which of these document rows (-1: none) pass the filters, the viewer's private
        documents included (the same columns ``base_row_mask`` filters by)."""
        mask = self._mask(self.docs.filter_columns(rows), len(rows), course_id, assignment_id,
                          doc_types, statuses, viewer)  # fmt: skip
        return mask & (rows >= 0)

    # Writing

    def prepare(
        self, docs: list[Document], encoder: ChunkEncoder, shared: SharedVectors | None = None,
        lexical: bool = True,
    ) -> list[Prepared]:  # fmt: skip
        """Chunk, tokenise (unless ``lexical`` is off: a rebuild builds the lexical side in
        bulk) and embed, holding no lock; unchanged texts reuse their vectors. With ``shared``,
        vectors come from the database and each chunk is encoded once overall."""
        prepared: list[Prepared] = []
        to_embed: list[str] = []
        keys: list[tuple[str, int, int]] = []
        with self.lock.read():  # once per batch: only the applier changes ``docs``
            try:
                olds = self.docs.entries(keys_of(docs))
            except ValueError:  # an id out of range (never indexed): looked up one by one
                olds = [self.docs.get(key_of(doc)) for doc in docs]
        empty = np.zeros((0, self.dim), np.float32)  # until filled in below; one per batch
        for doc, old in zip(docs, olds, strict=True):
            chunks = doc_chunks(doc)
            if old is not None and list(old.chunks) == chunks:
                prepared.append(Prepared(doc, chunks, None))
            else:
                tokens = [tokenize(c) for c in chunks] if lexical else None
                prepared.append(Prepared(doc, chunks, empty, tokens))
                to_embed.extend(chunks)
                doc_type, doc_id = doc.doc_type, doc.doc_id
                keys.extend((doc_type, doc_id, i) for i in range(len(chunks)))
        if to_embed:
            vectors = shared.vectors(keys, to_embed) if shared else encoder.encode(to_embed)
            at = 0
            for p in prepared:
                if p.vectors is not None:
                    p.vectors = vectors[at : at + len(p.chunks)]
                    at += len(p.chunks)
        return prepared

    def apply(
        self, put: list[Prepared], remove: list[DocKey], seq: int | None = None,
        compact: bool = True, pause: Callable[[], object] | None = None,
    ) -> None:  # fmt: skip
        """Swap in ``put`` and drop ``remove`` atomically, then record ``seq``; then compact
        the HNSW graph or the lexical delta if they have grown (unless ``compact`` is off;
        ``pause`` is called every so often while compacting).

        The documents are looked up once for the batch, and those with new texts are written
        to the table together (``_remember_many``), in ``put`` order as one by one would."""
        if any(len(p.chunks) > MAX_CHUNKS for p in put):  # before anything changes
            raise ValueError(f"chunk number out of range: more than {MAX_CHUNKS} chunks")
        keys = keys_of([p.doc for p in put])
        # Two versions of one document in a batch: applied one after the other, as given.
        distinct = len(set(keys.tolist())) == len(put)
        with self.lock.write():
            self._changes += 1
            drop_labels: list[int] = []
            for key in remove:
                drop_labels.extend(self._forget(key))
            # Entries read before any is dropped below stay right (bytes written never change).
            olds = self.docs.entries(keys) if distinct else None
            keep_vectors: set[int] = set()  # ids of Prepared whose vectors stay as they are
            for i, p in enumerate(put):
                old = olds[i] if olds is not None else self.docs.get(key_of(p.doc))
                if old is not None and p.vectors is None and list(old.chunks) == p.chunks:
                    keep_vectors.add(id(p))  # same text: only metadata changed
                    continue
                if p.vectors is None:  # changed since prepare: cannot happen under one writer
                    raise RuntimeError("document changed between prepare and apply")
                if old is not None or olds is None:
                    drop_labels.extend(self._forget(key_of(p.doc)))
            self.vectors.remove(drop_labels)
            # A rebuild (compact=False) leaves the lexical side to one bulk build in
            # ``compact()``: tokenising every chunk into the delta first doubled its cost.
            add_lexical = compact and not self.lexical_deferred
            if not compact:
                self.lexical_deferred = True
            new_labels: list[int] = []
            new_vectors: list[NDArray[np.float32]] = []
            run: list[int] = []  # new texts since the last kept document: written together
            for i, p in enumerate(put):
                if id(p) not in keep_vectors:
                    assert p.vectors is not None
                    new_vectors.append(p.vectors)
                    run.append(i)
                    continue
                new_labels.extend(self._remember_many(put, keys, run, add_lexical, distinct))
                run = []
                old = self.docs[key_of(p.doc)]
                refilter = _filter_fields(old) != _filter_fields(p.doc)
                self._remember(p.doc, old.labels, old.chunks, add_lexical=False)
                if refilter:  # its lexical base rows now filter differently
                    self._refilter(old.labels)
            new_labels.extend(self._remember_many(put, keys, run, add_lexical, distinct))
            if new_labels:  # one FAISS call per batch, not one per document
                self.vectors.add(new_labels, np.concatenate(new_vectors).astype(np.float32))
            if seq is not None:
                self.seq = max(self.seq, seq)
        if compact:
            self.compact_in_background(pause)

    def _remember_many(
        self, put: list[Prepared], keys: NDArray[np.int64], at: list[int], add_lexical: bool,
        distinct: bool,
    ) -> list[int]:  # fmt: skip
        """Write ``put[i]`` for each ``i`` in ``at`` (none of them in the table now) and
        return their chunk labels, in order: columns written for them all at once when their
        keys are distinct, else one by one."""
        if not at:
            return []
        some = [put[i] for i in at]
        run_keys = keys[at]
        counts = np.fromiter((len(p.chunks) for p in some), np.int64, len(some))
        labels = chunk_labels(run_keys, counts).tolist()
        if not distinct:
            start = 0
            for p, n in zip(some, counts.tolist(), strict=True):
                self._remember(p.doc, tuple(labels[start : start + n]), tuple(p.chunks),
                               add_lexical, p.tokens)  # fmt: skip
                start += n
            return labels
        docs = [p.doc for p in some]
        self.docs.put_many(docs, [p.chunks for p in some], [content_digest(d) for d in docs],
                           run_keys)  # fmt: skip
        start = 0
        for p in some:
            n = len(p.chunks)
            if add_lexical:
                tokens = p.tokens
                for i in range(n):
                    self.lexical.add(labels[start + i], p.chunks[i],
                                     tokens[i] if tokens is not None else None)  # fmt: skip
            start += n
            meta = p.doc.metadata
            if meta.get("private"):
                self.private_docs += 1
            parent = meta.get("parent")
            if parent:
                self.children.setdefault(str(parent), set()).add(key_of(p.doc))
        return labels

    def compact_in_background(self, pause: Callable[[], object] | None = None) -> None:
        """Rebuild an HNSW graph without its dead nodes, or the lexical base with its delta,
        once either has grown enough. Only the applier (the caller of ``apply``, one at a time)
        changes the index, so the new copy is built without the write lock while searches go
        on; the lock is held only for the swap (invariant 7)."""
        vectors = self.vectors.compacted() if self.vectors.needs_compaction() else None
        lexical = None
        if self.lexical.needs_compaction():
            lexical = LexicalIndex()
            lexical.rebuild(self._lexical_items(), pause)
            row_meta = (lexical.labels, self._build_row_meta(lexical.labels))
        if vectors is None and lexical is None:
            return
        with self.lock.write():
            self.vectors = vectors or self.vectors
            if lexical is not None:
                self.lexical = lexical
                self._row_meta = row_meta  # not built by the next filtered search
                self._changes += 1

    def compact(self) -> None:
        """Merge the lexical delta into its base and drop dead HNSW nodes (after a rebuild)."""
        with self.lock.write():
            self.docs.tidy()
            if self.lexical.delta_size or self.lexical_deferred:
                self.lexical.rebuild(self._lexical_items())
                self.lexical_deferred = False
                self._changes += 1
                self._row_meta = (self.lexical.labels, self._build_row_meta(self.lexical.labels))
            if self.vectors.dead:
                self.vectors = self.vectors.compacted()
        release_freed_memory()  # a rebuild's batches and token counts

    def _lexical_items(self) -> Iterator[tuple[int, str]]:
        return self.docs.texts()

    def _refilter(self, labels: tuple[int, ...]) -> None:
        """Set the filter columns of these lexical base rows to their document's new fields."""
        if self._row_meta is None or self._row_meta[0] is not self.lexical.labels:
            return  # built afresh on the next filtered search
        rows = [(row, label) for label in labels if (row := self.lexical.row_of(label)) is not None]
        if rows:
            at = np.array([r for r, _ in rows], np.int64)
            fresh = self._build_row_meta(np.array([lab for _, lab in rows], np.int64))
            for name, col in self._row_meta[1].items():
                col[at] = fresh[name]

    def _forget(self, key: DocKey) -> list[int]:
        entry = self.docs.remove(key_int(*key))
        if entry is None:
            return []
        if entry.meta("private"):
            self.private_docs -= 1
        for label in entry.labels:
            self.lexical.remove(label)
        parent = entry.meta("parent")
        if parent:
            self.children.get(parent, set()).discard(key)
        return list(entry.labels)

    def _remember(
        self, doc: Document, labels: tuple[int, ...], chunks: tuple[str, ...], add_lexical: bool,
        tokens: list[list[str]] | None = None,
    ) -> None:  # fmt: skip
        key = key_of(doc)
        old = self.docs.remove(key_int(*key))
        if old is not None:
            if old.meta("private"):
                self.private_docs -= 1
            old_parent = old.meta("parent")
            if old_parent:
                self.children.get(old_parent, set()).discard(key)
        self.docs.put(doc, chunks, content_digest(doc), absent=True)
        if doc.metadata.get("private"):
            self.private_docs += 1
        for i, (label, text) in enumerate(zip(labels, chunks, strict=True)):
            if add_lexical:
                self.lexical.add(label, text, tokens[i] if tokens is not None else None)
        parent = doc.metadata.get("parent")
        if parent:
            self.children.setdefault(str(parent), set()).add(key)

    # Saving and loading

    def save(self, path: Path) -> None:
        """Write everything to ``path`` atomically: temp file, fsync, rename, fsync the dir."""
        if self.lexical_deferred:  # a rebuild's checkpoint: its lexical rows are built first
            self.compact()
        with self.lock.write():  # the document table drops its dead rows first
            header: dict[str, Any] = {
                "format": FORMAT,
                "model": self.encoder_name,
                "dim": self.dim,
                "kind": self.kind,
                "seq": self.seq,
                "stamp": self.stamp,
                "snapshot": self.snapshot,
                "children": {p: sorted(keys) for p, keys in self.children.items() if keys},
            }
            faiss_bytes = self.vectors.to_bytes()
            # Documents as their columns and one buffer of their strings (index.columns):
            # loading them is reading arrays, with no object per document.
            docs = self.docs.to_arrays()
            saved_records = self.docs.buf
            lexical = {k: np.array(v) for k, v in self.lexical.to_arrays().items()}
        arrays = {"faiss": np.frombuffer(faiss_bytes, dtype=np.uint8), **docs, **lexical}
        header["sha256"] = _digest(arrays)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as f:
                header_array = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
                np.savez(f, header=header_array, **arrays)  # type: ignore[arg-type]
                f.flush()
                os.fsync(f.fileno())
            mapped = _mapped_texts(tmp) if len(saved_records) else None
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        if mapped is not None:  # the texts just written are read from the file from now on
            with self.lock.write():
                self.docs.rebase(saved_records, mapped)

    @classmethod
    def load(cls, path: Path, encoder_name: str, dim: int, kind: str) -> IndexState:
        """Read a saved index; raises ``CorruptIndex`` for anything not usable as is."""
        records: Records | None = None
        try:
            with np.load(path, allow_pickle=False) as z:
                header = json.loads(z["header"].tobytes())
                if header.get("format") == FORMAT and "doc_buf" in z.files:
                    records = map_npz_member(path, "doc_buf")  # the texts stay in the file
                skip = {"header", "doc_buf"} if records is not None else {"header"}
                arrays = {name: z[name] for name in z.files if name not in skip}
            if records is not None:
                arrays["doc_buf"] = records.base_array()
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise CorruptIndex(f"unreadable index file {path}: {exc}") from exc
        fmt = header.get("format")
        if fmt != FORMAT and fmt not in OLD_FORMATS:
            raise CorruptIndex(f"index file format {fmt}, expected {FORMAT}")
        if (header.get("model"), header.get("dim"), header.get("kind")) != (
            encoder_name,
            dim,
            kind,
        ):
            raise CorruptIndex(
                f"index was built with {header.get('model')}/{header.get('dim')}/"
                f"{header.get('kind')}, not {encoder_name}/{dim}/{kind}"
            )
        try:
            digest = _digest(arrays)
        finally:
            if records is not None:
                records.release()  # hashed: every page read once
        if digest != header.get("sha256"):
            raise CorruptIndex("index file checksum mismatch")
        state = cls(encoder_name, dim, kind)
        with paused_gc():
            try:
                state.vectors = VectorStore.from_bytes(arrays.pop("faiss").tobytes(), dim, kind)
                if fmt == FORMAT:
                    state._load_columns(arrays, header, DocTable.from_arrays(arrays, records))
                elif fmt == 4:
                    log.info("index file format 4: read row by row, saved as %s next time", FORMAT)
                    state._load_columns(arrays, header, read_format_4(arrays))
                else:
                    log.info("index file format %s: read row by row, saved as %s next time",
                             fmt, FORMAT)  # fmt: skip
                    state._load_rows(arrays)
                # The lexical base comes back as arrays; only its small delta is tokenised again.
                state.lexical, delta = LexicalIndex.from_arrays(arrays)
                for label in delta:
                    entry = state.docs[state.owner[label]]
                    state.lexical.add(label, entry.chunk(label & _CHUNK_MASK))
                labels = state.lexical.labels  # filter columns now, not on the first search
                state._row_meta = (labels, state._build_row_meta(labels))
            except Exception as exc:
                raise CorruptIndex(f"index file contents are inconsistent: {exc}") from exc
        if state.vectors.graph == "hnsw":
            state.vectors.keep_only(state.docs.labels())
        if state.vectors.live != len(state.owner):
            raise CorruptIndex("index file holds a different number of vectors than chunks")
        if len(state.lexical) != len(state.owner):
            raise CorruptIndex("index file holds a different number of lexical rows than chunks")
        state.seq = int(header["seq"])
        state.stamp = str(header.get("stamp", ""))
        state.snapshot = str(header.get("snapshot", ""))
        del arrays
        release_freed_memory()
        return state

    def _load_columns(
        self, arrays: dict[str, Any], header: dict[str, Any], docs: DocTable | None = None
    ) -> None:
        docs = self.docs = docs if docs is not None else DocTable.from_arrays(arrays)
        self.owner = Owners(docs)
        live = docs.live_rows()
        self.private_docs = int(docs.col("private")[live].sum())
        for parent, keys in dict(header.get("children") or {}).items():
            kept = {(str(t), int(i)) for t, i in keys}
            if any(k not in docs for k in kept):
                raise ValueError(f"children of {parent} not among the documents")
            self.children[str(parent)] = kept

    def _load_rows(self, arrays: dict[str, Any]) -> None:
        """A FORMAT 3 file: one JSON row per document, labels, NUL-separated chunk texts."""
        docs, children = self.docs, self.children
        all_labels = arrays["labels"]
        blob = arrays["texts"].tobytes().decode()
        all_texts = blob.split("\x00") if len(all_labels) else []
        del blob
        if len(all_texts) != len(all_labels):
            raise ValueError("chunk texts and labels differ in number")
        codes, ids, counts = array("q"), array("q"), array("q")
        at = 0
        private = 0
        batch: tuple[list[Document], list[list[str]], list[bytes]] = ([], [], [])

        def flush() -> None:
            twice = docs.put_new(*batch)
            if twice >= 0:
                doc = batch[0][twice]
                raise ValueError(f"document {doc.doc_type}:{doc.doc_id} saved twice")
            for part in batch:
                part.clear()

        for (doc_type, doc_id, title, url, course_id, assignment_id, metadata, n,
             version) in _json_rows(arrays["meta"].tobytes().decode()):  # fmt: skip
            codes.append(type_code(doc_type))
            ids.append(doc_id)
            counts.append(n)
            batch[0].append(
                Document(doc_type, doc_id, title, "", url, course_id, assignment_id, metadata)
            )
            batch[1].append(all_texts[at : at + n])
            batch[2].append(bytes.fromhex(version))
            if len(batch[0]) == LOAD_BATCH:
                flush()
            at += n
            if metadata.get("private"):
                private += 1
            parent = metadata.get("parent")
            if parent:
                children.setdefault(str(parent), set()).add((doc_type, doc_id))
        flush()
        if at != len(all_labels):
            raise ValueError("documents and chunk labels differ in number")
        if not np.array_equal(labels_of(codes, ids, counts), all_labels):
            raise ValueError("chunk labels do not follow from their documents' ids")
        docs.tidy()
        self.private_docs = private


def saved_counts(path: Path) -> tuple[dict[str, Any], int, int]:
    """A saved index's header, documents and chunks, read without loading it."""
    with np.load(path, allow_pickle=False) as z:
        header = json.loads(z["header"].tobytes())
        if header.get("format") == 3:
            return header, len(json.loads(z["meta"].tobytes())), len(z["labels"])
        return header, len(z["doc_key"]), int(z["doc_n_chunks"].sum())


def _json_rows(text: str) -> Iterator[Any]:
    """The items of a JSON array, parsed one at a time (see ``save``)."""
    decode = json.JSONDecoder().raw_decode
    text = text.strip()
    if not text.startswith("[") or not text.endswith("]"):
        raise ValueError("document rows are not a JSON array")
    at = _skip_space(text, 1)
    while text[at] != "]":
        row, at = decode(text, at)
        yield row
        at = _skip_space(text, at)
        if text[at] == ",":
            at = _skip_space(text, at + 1)
        elif text[at] != "]":
            raise ValueError(f"unexpected {text[at]!r} between document rows")


def _skip_space(text: str, at: int) -> int:
    while text[at] in " \t\n\r":
        at += 1
    return at


def release_freed_memory() -> None:
    """Hand the heap pages freed by a load or rebuild back to the system: glibc keeps them
    for reuse otherwise (~70 bytes a chunk after loading a saved index). No-op elsewhere."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _mapped_texts(path: Path) -> Records | None:
    """The texts of the index file just written at ``path`` (before it is renamed: not whatever
    the final path holds later), mapped (``index.records``); None when they cannot be, and the
    save goes on with the texts in memory."""
    try:
        return map_npz_member(path, "doc_buf")
    except Exception:
        log.exception("index texts kept in memory: %s could not be mapped", path)
        return None


def _digest(arrays: dict[str, Any]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        h.update(name.encode())
        h.update(np.ascontiguousarray(arrays[name]).data)  # a view, no copy
    return h.hexdigest()
