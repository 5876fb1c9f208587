"""The index's documents as columns: no Python objects per document or chunk.

Each document is a row of numpy columns (type code, id, course, assignment, chunk count,
content version, the filter fields) and one record of UTF-8 bytes in a shared buffer: its
title, URL, metadata (compact JSON) and chunk texts (NUL-separated; ``doc_chunks`` replaces NUL
in them). A key finds its row by binary search over a sorted copy of the key column, plus a
small dict for rows added since that copy was made. A removed or replaced document leaves a
dead row and dead bytes, dropped when they grow past a quarter of the table (``compacted``).

At 1M one-chunk documents the per-document Python objects (entry, strings, metadata tuple,
dict slots) cost ~900 bytes a chunk of heap, and more in fragmented pages; these columns hold
the same in roughly the bytes of the texts plus ~90.

``Entry`` is a read-only view of one row, made on demand; its strings are decoded when read.
Bytes once written never change (edits append, compaction makes a new buffer), so an entry
stays right even if the table changes after it was made.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from index.documents import Document
from index.records import Records
from index.vectors import (
    first_labels,
    id_in_range,
    label_parts,
    labels_of,
    make_label,
    type_code,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

DocKey = tuple[str, int]
NONE = np.iinfo(np.int64).min  # a course, assignment or owner id that is None
COMPACT_MIN = 5000
LOAD_BATCH = 4096  # rows of an older format's file written to the table at a time
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_PLAIN = frozenset((str, int, float, bool, type(None)))
_STR = frozenset((str,))
# Columns of one row: name -> dtype (``digest`` is 16 bytes a row).
COLUMNS: dict[str, Any] = {
    "key": np.int64, "code": np.int8, "doc_id": np.int64, "course": np.int64,
    "assignment": np.int64, "n_chunks": np.int32, "offset": np.int64, "title_len": np.int32,
    "url_len": np.int32, "meta_len": np.int32, "text_len": np.int32, "meta_keys": np.int32,
    "status": np.int32,
    "private": np.bool_, "owner": np.int64, "digest": np.dtype("V16"),
}  # fmt: skip


def list_encoder(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """``encoder.encode`` for a list or dict, with its C encoder made once rather than at each
    call (``JSONEncoder.encode`` makes one per call: a third of its cost on a document's small
    fields). The same C function with the same options writes the same text; only circular
    values are not looked for (they fail with RecursionError, not ValueError)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None or encoder.indent is not None:
        return encoder.encode
    strings = (json.encoder.encode_basestring_ascii if encoder.ensure_ascii
               else json.encoder.encode_basestring)  # fmt: skip
    encode = make(None, encoder.default, strings, None, encoder.key_separator,
                  encoder.item_separator, encoder.sort_keys, encoder.skipkeys,
                  encoder.allow_nan)  # fmt: skip
    join = "".join
    return lambda value: join(encode(value, 0))


_ENCODE = list_encoder(_JSON)


def key_int(doc_type: str, doc_id: int) -> int:
    """A document key as one int: its first chunk's label (``make_label``)."""
    return make_label(doc_type, doc_id, 0)


def keys_of(docs: Sequence[Document]) -> NDArray[np.int64]:
    """``key_int`` of each document, computed with numpy (one ``type_code`` per type)."""
    codes: dict[str, int] = {}
    try:
        ids = np.fromiter((d.doc_id for d in docs), np.int64, len(docs))
        types = np.fromiter(
            (codes[t] if (t := d.doc_type) in codes else codes.setdefault(t, type_code(t))
             for d in docs), np.int64, len(docs),
        )  # fmt: skip
    except (OverflowError, TypeError, ValueError):
        ids = types = np.zeros(0, np.int64)
    if len(ids) != len(docs) or not id_in_range(ids):
        return np.array([key_int(d.doc_type, d.doc_id) for d in docs], np.int64)  # raises
    return first_labels(types, ids)


def _opt(value: int | None) -> int:
    return NONE if value is None else int(value)


def _unopt(value: int) -> int | None:
    return None if value == NONE else value


class Entry:
    """One indexed document, read from its row: fields, metadata and chunk texts."""

    __slots__ = ("doc_type", "doc_id", "course_id", "assignment_id", "digest", "n_chunks",
                 "_buf", "_off", "_lens", "_shared", "_keys", "_meta")  # fmt: skip

    def __init__(
        self, doc_type: str, doc_id: int, course_id: int | None, assignment_id: int | None,
        digest: bytes, n_chunks: int, buf: Records, off: int, lens: tuple[int, int, int, int],
        shared: int, keys: tuple[str, ...], meta: dict[str, Any] | None,
    ) -> None:  # fmt: skip
        self.doc_type = doc_type
        self.doc_id = doc_id
        self.course_id = course_id
        self.assignment_id = assignment_id
        self.digest = digest
        self.n_chunks = n_chunks
        # Bytes stored of title, URL, metadata values, texts; a title kept only as the first
        # ``shared`` bytes of the texts (``doc_chunks`` puts it there); the metadata's keys.
        self._buf, self._off, self._lens, self._shared = buf, off, lens, shared
        self._keys, self._meta = keys, meta

    def _field(self, i: int) -> str:
        start = self._off + sum(self._lens[:i])
        return self._buf[start : start + self._lens[i]].decode()

    @property
    def title(self) -> str:
        if self._shared:
            start = self._off + sum(self._lens[:3])
            return self._buf[start : start + self._shared].decode()
        return self._field(0)

    @property
    def url(self) -> str:
        return self._field(1)

    @property
    def metadata(self) -> dict[str, Any]:
        """A new dict each time (a caller may change it)."""
        if self._meta is not None:
            return dict(self._meta)
        if not self._lens[2]:
            return {}
        return dict(zip(self._keys, json.loads(self._field(2)), strict=True))

    def meta(self, name: str) -> Any:
        return self.metadata.get(name)

    @property
    def texts(self) -> str | tuple[str, ...]:
        chunks = self.chunks
        return chunks[0] if len(chunks) == 1 else chunks

    @property
    def chunks(self) -> tuple[str, ...]:
        return tuple(self._field(3).split("\x00")) if self.n_chunks else ()

    def chunk(self, i: int) -> str:
        return self.chunks[i] if self.n_chunks > 1 else self._field(3)

    @property
    def doc(self) -> Document:
        """The document without its text (a new object each time: read, do not keep)."""
        return Document(self.doc_type, self.doc_id, self.title, "", self.url, self.course_id,
                        self.assignment_id, self.metadata)  # fmt: skip

    @property
    def labels(self) -> tuple[int, ...]:
        return tuple(make_label(self.doc_type, self.doc_id, i) for i in range(self.n_chunks))

    @property
    def version(self) -> str:
        return self.digest.hex()


class DocTable(Mapping[DocKey, Entry]):
    """Document key -> ``Entry``, stored as columns (see the module's docstring). Not
    thread-safe on its own: ``IndexState`` holds its lock around every call."""

    def __init__(self, capacity: int = 1024) -> None:
        self._cols = {name: np.zeros(capacity, dtype) for name, dtype in COLUMNS.items()}
        self.n = 0  # rows used, dead ones included
        self.live = 0  # live documents
        self.chunks = 0  # chunks of live documents
        self.buf = Records()
        self.dead_bytes = 0
        # Sorted live keys and their rows as of the last ``_index``; rows added since in a dict.
        self._sorted_keys: NDArray[np.int64] = np.zeros(0, np.int64)
        self._sorted_rows: NDArray[np.int64] = np.zeros(0, np.int64)
        self._recent: dict[int, int] = {}
        self._max_key = -1
        self._names: dict[int, str] = {}  # type code -> doc type
        self.statuses: dict[str, int] = {"": 0}  # status string -> code (0: none)
        # Metadata key tuples (most documents share one): a row keeps the number of its own.
        self.meta_keys: list[tuple[str, ...]] = [()]
        self._meta_key_ids: dict[tuple[str, ...], int] = {(): 0}
        # Rows whose metadata JSON would not read back equal (tuples, NaN, ...): kept as is.
        self._odd_meta: dict[int, dict[str, Any]] = {}

    # Columns

    def col(self, name: str) -> NDArray[Any]:
        """Column ``name`` over every row, dead ones included (key -1); a view: read it now."""
        return self._cols[name][: self.n]

    def put_new(
        self, docs: Sequence[Document], chunks: Sequence[Sequence[str]], digests: Sequence[bytes]
    ) -> int:  # fmt: skip
        """``put_many`` of documents that should not be in the table (read from a file): -1,
        or the position of the first one that is, or is given twice (nothing written then)."""
        keys = keys_of(docs)
        present = (self.rows_of(keys) >= 0).tolist()
        seen: set[int] = set()
        for i, key in enumerate(keys.tolist()):
            if present[i] or key in seen:
                return i
            seen.add(key)
        self.put_many(docs, chunks, digests, keys)
        return -1

    def _grow(self, need: int = 0) -> None:
        cap = max(1024, 2 * len(self._cols["key"]), need)
        for name, old in self._cols.items():
            new = np.zeros(cap, old.dtype)
            new[: self.n] = old[: self.n]
            self._cols[name] = new

    # Lookup

    def row_of(self, key: int) -> int | None:
        row = self._recent.get(key)
        if row is not None:
            return row
        keys = self._sorted_keys
        if key > self._max_key:  # a new document (a rebuild adds them in rising id order)
            return None
        at = int(np.searchsorted(keys, key))
        if at < len(keys) and int(keys[at]) == key:
            row = int(self._sorted_rows[at])
            if int(self._cols["key"][row]) == key:
                return row
        return None

    def rows_of(self, keys: NDArray[np.int64]) -> NDArray[np.int64]:
        """The row of each key, -1 where a key has none (many at once, with numpy)."""
        out = np.full(len(keys), -1, np.int64)
        sk = self._sorted_keys
        if len(sk) and len(keys):
            at = np.minimum(np.searchsorted(sk, keys), len(sk) - 1)
            rows = self._sorted_rows[at]
            hit = (sk[at] == keys) & (self._cols["key"][rows] == keys)
            out[hit] = rows[hit]
        recent = self._recent
        if recent and len(keys) < len(recent):  # a few keys: a dict lookup each
            for i, key in enumerate(keys.tolist()):
                if (row := recent.get(key)) is not None:
                    out[i] = row
        elif recent:
            for at_key in np.flatnonzero(np.isin(keys, np.fromiter(recent, np.int64))):
                out[at_key] = recent[int(keys[at_key])]
        return out

    def entries(self, keys: NDArray[np.int64]) -> list[Entry | None]:
        """The entry of each key, None where a key has none (one lookup for them all)."""
        return [None if row < 0 else self.entry(row) for row in self.rows_of(keys).tolist()]

    def _index(self) -> None:
        keys = self.col("key")
        rows = np.flatnonzero(keys >= 0)
        order = np.argsort(keys[rows], kind="stable")
        self._sorted_rows = rows[order].astype(np.int64)
        self._sorted_keys = keys[self._sorted_rows]
        self._max_key = int(self._sorted_keys[-1]) if len(self._sorted_keys) else -1
        self._recent = {}

    def key_at(self, row: int) -> DocKey:
        c = self._cols
        return (self._names[int(c["code"][row])], int(c["doc_id"][row]))

    def filter_columns(self, rows: NDArray[np.int64]) -> dict[str, NDArray[Any]]:
        """The filter fields of ``rows`` (-1: no document, all fields empty)."""
        ok = rows >= 0
        at = np.where(ok, rows, 0)
        c = self._cols
        if not self.n:  # no rows to gather from
            n = len(rows)
            return {"course": np.full(n, NONE), "assignment": np.full(n, NONE),
                    "type": np.zeros(n, np.int8), "status": np.zeros(n, np.int32),
                    "private": np.zeros(n, np.bool_), "owner": np.full(n, -1)}  # fmt: skip
        return {"course": np.where(ok, c["course"][at], NONE),
                "assignment": np.where(ok, c["assignment"][at], NONE),
                "type": np.where(ok, c["code"][at], 0),
                "status": np.where(ok, c["status"][at], 0),
                "private": ok & c["private"][at],
                "owner": np.where(ok, c["owner"][at], -1)}  # fmt: skip

    def keys_at(self, rows: list[int]) -> list[DocKey]:
        """``key_at`` of each row, read with one gather per column."""
        at = np.asarray(rows, np.int64)
        names = self._names
        codes, ids = self._cols["code"][at].tolist(), self._cols["doc_id"][at].tolist()
        return [(names[c], i) for c, i in zip(codes, ids, strict=True)]

    def chunk_texts(self, rows: list[int], chunks: list[int]) -> list[str]:
        """Chunk ``chunks[i]`` of row ``rows[i]`` (``Entry.chunk``), each read straight from
        the buffer: only its own bytes decoded, no entry made."""
        if not rows:
            return []
        at = np.asarray(rows, np.int64)
        c = self._cols
        starts = (c["offset"][at] + np.maximum(c["title_len"][at], 0) + c["url_len"][at]
                  + c["meta_len"][at]).tolist()  # fmt: skip
        sizes, counts = c["text_len"][at].tolist(), c["n_chunks"][at].tolist()
        buf = self.buf
        out = []
        for start, size, n, i in zip(starts, sizes, counts, chunks, strict=True):
            raw = buf[start : start + size]
            # NUL is one byte in UTF-8 and never part of another character's bytes.
            out.append((raw.split(b"\x00")[i] if n > 1 else raw).decode())
        return out

    def meta_values(self, rows: list[int], names: tuple[str, ...]) -> list[tuple[Any, ...]]:
        """``Entry.meta(name)`` of each row for each of ``names``; a row's metadata JSON is
        read (straight from the buffer) only when its keys hold one of the names."""
        if not rows:
            return []
        at = np.asarray(rows, np.int64)
        c = self._cols
        starts = (c["offset"][at] + np.maximum(c["title_len"][at], 0) + c["url_len"][at]).tolist()
        sizes, key_ids = c["meta_len"][at].tolist(), c["meta_keys"][at].tolist()
        # Where each name sits among a set of keys (None: not there), per set of keys.
        places: dict[int, tuple[int | None, ...]] = {}
        for key_id in set(key_ids):
            keys = self.meta_keys[key_id]
            places[key_id] = tuple(keys.index(n) if n in keys else None for n in names)
        none = (None,) * len(names)
        buf, odd, loads = self.buf, self._odd_meta, json.loads
        out: list[tuple[Any, ...]] = []
        for row, start, size, key_id in zip(rows, starts, sizes, key_ids, strict=True):
            if row in odd:
                meta = odd[row]
                out.append(tuple(meta.get(n) for n in names))
                continue
            place = places[key_id]
            if size and place != none:
                values = loads(buf[start : start + size])
                out.append(tuple(None if i is None else values[i] for i in place))
            else:
                out.append(none)
        return out

    def entry(self, row: int) -> Entry:
        c = self._cols
        code = int(c["code"][row])
        title = int(c["title_len"][row])
        lens = (max(title, 0), int(c["url_len"][row]), int(c["meta_len"][row]),
                int(c["text_len"][row]))  # fmt: skip
        return Entry(self._names[code], int(c["doc_id"][row]), _unopt(int(c["course"][row])),
                     _unopt(int(c["assignment"][row])), c["digest"][row].tobytes(),
                     int(c["n_chunks"][row]), self.buf, int(c["offset"][row]), lens,
                     max(-title, 0), self.meta_keys[int(c["meta_keys"][row])],
                     self._odd_meta.get(row))  # fmt: skip

    # Mapping

    def __getitem__(self, key: DocKey) -> Entry:
        row = self.row_of(key_int(*key))
        if row is None:
            raise KeyError(key)
        return self.entry(row)

    def get(self, key: DocKey, default: Any = None) -> Any:  # type: ignore[override]
        try:
            row = self.row_of(key_int(*key))
        except ValueError:  # an id out of range: never indexed
            return default
        return default if row is None else self.entry(row)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and self.get(key) is not None  # type: ignore[arg-type]

    def __len__(self) -> int:
        return self.live

    def live_rows(self) -> NDArray[np.int64]:
        return np.flatnonzero(self.col("key") >= 0)

    def __iter__(self) -> Iterator[DocKey]:
        codes, ids = self.col("code"), self.col("doc_id")
        for row in self.live_rows().tolist():
            yield (self._names[int(codes[row])], int(ids[row]))

    def values(self) -> Iterator[Entry]:  # type: ignore[override]
        for row in self.live_rows().tolist():
            yield self.entry(row)

    def items(self) -> Iterator[tuple[DocKey, Entry]]:  # type: ignore[override]
        for row in self.live_rows().tolist():
            e = self.entry(row)
            yield (e.doc_type, e.doc_id), e

    def texts(self) -> Iterator[tuple[int, str]]:
        """(label, text) of every live chunk, read straight from the columns."""
        rows = self.live_rows()
        c = self._cols
        starts = (c["offset"][rows] + np.maximum(c["title_len"][rows], 0) + c["url_len"][rows]
                  + c["meta_len"][rows]).tolist()  # fmt: skip
        buf = self.buf
        keys, counts, sizes = (c[name][rows].tolist() for name in ("key", "n_chunks", "text_len"))
        try:
            for key, n, start, size in zip(keys, counts, starts, sizes, strict=True):
                if n == 1:
                    yield key, buf[start : start + size].decode()
                elif n:
                    for i, text in enumerate(buf[start : start + size].decode().split("\x00")):
                        yield key + i, text
        finally:
            buf.release()  # every page was read once; the file keeps them

    def versions(self) -> dict[DocKey, str]:
        rows = self.live_rows()
        codes, ids = self.col("code")[rows].tolist(), self.col("doc_id")[rows].tolist()
        digests = self.col("digest")[rows]
        return {
            (self._names[c], i): bytes(d).hex() for c, i, d in zip(codes, ids, digests, strict=True)
        }

    def labels(self, rows: NDArray[np.int64] | None = None) -> NDArray[np.int64]:
        """The chunk labels of ``rows`` (of every live document by default), in row order."""
        rows = self.live_rows() if rows is None else rows
        return labels_of(np.ascontiguousarray(self.col("code")[rows], np.int64),
                         np.ascontiguousarray(self.col("doc_id")[rows]),
                         np.ascontiguousarray(self.col("n_chunks")[rows], np.int64))  # fmt: skip

    # Changes

    def put(
        self, doc: Document, chunks: tuple[str, ...] | list[str], digest: bytes,
        absent: bool = False,
    ) -> None:  # fmt: skip
        """Add or replace ``doc`` with its chunk texts and content version (``absent``: the
        caller has just removed it, so it is not looked up again)."""
        keys = keys_of([doc])
        if not absent:
            self.remove(int(keys[0]))
        self.put_many([doc], [chunks], [digest], keys)

    def put_many(
        self, docs: Sequence[Document], chunks: Sequence[Sequence[str]],
        digests: Sequence[bytes], keys: NDArray[np.int64] | None = None,
    ) -> None:  # fmt: skip
        """Append ``docs`` (none of them in the table, no two the same: the caller has looked
        or removed them) with their chunk texts and content versions, in this order: the rows
        ``put`` would make one by one, written a column at a time (``keys``: ``keys_of(docs)``
        when the caller has it already)."""
        k = len(docs)
        if not k:
            return
        if keys is None:
            keys = keys_of(docs)
        # Per document: its strings, metadata values and filter fields (one JSON encode each).
        pieces: list[bytes] = []
        append = pieces.append
        lens = np.zeros((4, k), np.int64)  # title (negative: shared), URL, metadata, texts
        meta_ids, statuses, privates, owners = [], [], [], []
        codes: dict[str, int] = {}
        odd_rows: list[tuple[int, dict[str, Any]]] = []
        key_ids, meta_keys = self._meta_key_ids, self.meta_keys
        status_codes = self.statuses
        for i, (doc, texts) in enumerate(zip(docs, chunks, strict=True)):
            doc_type = doc.doc_type
            if doc_type not in codes:
                codes[doc_type] = code = type_code(doc_type)
                self._names.setdefault(code, doc_type)
            meta = doc.metadata
            meta_text, odd = _meta_json(meta)
            names = tuple(meta) if meta_text else ()
            key_id = key_ids.get(names)
            if key_id is None:
                key_id = key_ids[names] = len(meta_keys)
                meta_keys.append(names)
            meta_ids.append(key_id)
            title, body = doc.title.encode(), "\x00".join(texts).encode()
            url, meta_bytes = doc.url.encode(), meta_text.encode()
            # The title in front of the first chunk (as ``doc_chunks`` makes it) is not kept
            # twice.
            if title and body.startswith(title + b"\n"):
                lens[0, i] = -len(title)
            else:
                lens[0, i] = len(title)
                append(title)
            lens[1, i], lens[2, i], lens[3, i] = len(url), len(meta_bytes), len(body)
            append(url)
            append(meta_bytes)
            append(body)
            status = str(meta.get("status") or "")
            statuses.append(status_codes.setdefault(status, len(status_codes)))
            private = bool(meta.get("private"))
            privates.append(private)
            owners.append(int(meta.get("owner") or -1) if private else -1)
            if odd:
                odd_rows.append((i, dict(meta)))
        first = self.n
        if first + k > len(self._cols["key"]):
            self._grow(first + k)
        sizes = np.maximum(lens[0], 0) + lens[1] + lens[2] + lens[3]
        n_chunks = np.fromiter(map(len, chunks), np.int64, k)
        at = slice(first, first + k)
        c = self._cols
        c["key"][at] = keys
        c["code"][at], c["doc_id"][at] = label_parts(keys)
        c["course"][at] = [NONE if d.course_id is None else int(d.course_id) for d in docs]
        c["assignment"][at] = [
            NONE if d.assignment_id is None else int(d.assignment_id) for d in docs
        ]
        c["n_chunks"][at] = n_chunks
        c["offset"][at] = len(self.buf) + np.cumsum(sizes) - sizes
        c["title_len"][at], c["url_len"][at], c["meta_len"][at], c["text_len"][at] = lens
        c["meta_keys"][at] = meta_ids
        c["digest"][at] = np.frombuffer(b"".join(d.ljust(16, b"\0")[:16] for d in digests), "V16")
        c["status"][at] = statuses
        c["private"][at] = privates
        c["owner"][at] = owners
        self.buf += b"".join(pieces)
        for i, meta in odd_rows:
            self._odd_meta[first + i] = meta
        self.n += k
        self.live += k
        self.chunks += int(n_chunks.sum())
        self._recent.update(zip(keys.tolist(), range(first, first + k), strict=True))
        if len(self._recent) > max(COMPACT_MIN, len(self._sorted_keys) // 4):
            self._index()

    def remove(self, key: int) -> Entry | None:
        """Drop the document of ``key``; returns what it was (None when absent)."""
        row = self.row_of(key)
        if row is None:
            return None
        old = self.entry(row)
        c = self._cols
        c["key"][row] = -1
        self._recent.pop(key, None)
        self._odd_meta.pop(row, None)
        self.live -= 1
        self.chunks -= old.n_chunks
        self.dead_bytes += sum(old._lens)
        if self.n - self.live > max(COMPACT_MIN, self.n // 4):
            self._compact()
        return old

    def _compact(self) -> None:
        """Drop dead rows and bytes: new columns and a new buffer (old entries stay valid)."""
        rows = self.live_rows()
        c = self._cols
        lens = (np.maximum(c["title_len"][rows], 0).astype(np.int64) + c["url_len"][rows]
                + c["meta_len"][rows] + c["text_len"][rows])  # fmt: skip
        starts = c["offset"][rows]
        old = self.buf
        buf = bytearray()
        try:
            for s, n in zip(starts.tolist(), lens.tolist(), strict=True):
                buf += old[s : s + n]
        finally:
            old.release()
        new_offsets = np.zeros(len(rows), np.int64)
        if len(rows):
            new_offsets[1:] = np.cumsum(lens)[:-1]
        odd = {new: self._odd_meta[old] for new, old in enumerate(rows.tolist())
               if old in self._odd_meta}  # fmt: skip
        cap = max(1024, len(rows) + len(rows) // 4)
        cols = {}
        for name, col in c.items():
            new = np.zeros(cap, col.dtype)
            new[: len(rows)] = col[rows]
            cols[name] = new
        cols["offset"][: len(rows)] = new_offsets
        self._cols, self.buf, self._odd_meta = cols, Records.of_bytes(buf), odd
        self.n = len(rows)
        self.dead_bytes = 0
        self._index()

    def tidy(self) -> None:
        """After a bulk change: every key in the sorted index (the dict of recent ones empty)."""
        if self._recent:
            self._index()

    # Saving and loading

    def to_arrays(self) -> dict[str, NDArray[Any]]:
        """Live rows as arrays (compacted first, so the buffer holds only their bytes)."""
        if self.n != self.live or self.dead_bytes:
            self._compact()
        out = {f"doc_{name}": np.ascontiguousarray(self.col(name)) for name in COLUMNS}
        out["doc_digest"] = np.ascontiguousarray(out["doc_digest"]).view(np.uint8).reshape(-1, 16)
        out["doc_buf"] = np.frombuffer(self.buf.tobytes(), np.uint8)
        names = json.dumps({"types": self._names, "statuses": self.statuses,
                            "meta_keys": self.meta_keys,
                            "odd": {str(r): m for r, m in self._odd_meta.items()}},
                           default=_odd_default)  # fmt: skip
        out["doc_names"] = np.frombuffer(names.encode(), np.uint8)
        return out

    def rebase(self, saved: Records, records: Records) -> bool:
        """Read the records ``saved`` held when they were written to a file from ``records``
        (that file's mapping) instead; those appended since stay in memory. False (nothing
        changed) when the table has compacted since: its offsets no longer fit that file."""
        if self.buf is not saved or records.base_len < saved.base_len:
            return False
        kept = saved.tail[records.base_len - saved.base_len :]
        if len(records) + len(kept) != len(saved):
            return False
        self.buf = records.with_tail(kept)
        return True

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, NDArray[Any]],
                    records: Records | None = None) -> DocTable:  # fmt: skip
        """The table saved as ``arrays``; its byte records are ``records`` when given (mapped
        from the file) instead of ``arrays["doc_buf"]``."""
        table = cls(capacity=0)
        n = len(arrays["doc_key"])
        cap = n + n // 4 + 1024
        for name, dtype in COLUMNS.items():
            col = np.zeros(cap, dtype)
            src = arrays[f"doc_{name}"]
            if name == "digest":
                src = np.ascontiguousarray(src, np.uint8).reshape(-1, 16).view("V16").reshape(-1)
            if len(src) != n:
                raise ValueError(f"document column {name} has {len(src)} rows, not {n}")
            col[:n] = src
            table._cols[name] = col
        table.n = table.live = n
        if records is None:
            records = Records.of_bytes(arrays["doc_buf"].tobytes())
        table.buf = records
        names = json.loads(arrays["doc_names"].tobytes())
        table._names = {int(k): v for k, v in names["types"].items()}
        table.statuses = dict(names["statuses"])
        table._odd_meta = {int(r): m for r, m in names["odd"].items()}
        table.meta_keys = [tuple(k) for k in names["meta_keys"]]
        table._meta_key_ids = {k: i for i, k in enumerate(table.meta_keys)}
        c = table._cols
        if n and not 0 <= int(c["meta_keys"][:n].min()) <= int(c["meta_keys"][:n].max()) < len(
            table.meta_keys
        ):
            raise ValueError("metadata key numbers out of range")
        if n and (c["key"][:n] < 0).any():
            raise ValueError("dead document rows in a saved table")
        ends = (c["offset"][:n] + np.maximum(c["title_len"][:n], 0) + c["url_len"][:n]
                + c["meta_len"][:n] + c["text_len"][:n])  # fmt: skip
        if n and int(ends.max()) > len(table.buf):
            raise ValueError("document records run past their buffer")
        for code in np.unique(c["code"][:n]).tolist():
            if code not in table._names:
                raise ValueError(f"document type code {code} has no name")
        keys = labels_of(c["code"][:n].astype(np.int64), np.ascontiguousarray(c["doc_id"][:n]),
                         np.ones(n, np.int64))  # fmt: skip
        if not np.array_equal(keys, c["key"][:n]):
            raise ValueError("document keys do not follow from their ids")
        table.chunks = int(c["n_chunks"][:n].sum())
        table._index()
        if len(table._sorted_keys) and (np.diff(table._sorted_keys) == 0).any():
            raise ValueError("a document is saved twice")
        return table


def read_format_4(arrays: Mapping[str, NDArray[Any]]) -> DocTable:
    """The documents of a FORMAT 4 file (titles stored apart, metadata as JSON objects), put
    into a new table row by row (written LOAD_BATCH rows at a time)."""
    names = json.loads(arrays["doc_names"].tobytes())
    type_names = {int(k): v for k, v in names["types"].items()}
    odd = {int(r): m for r, m in names["odd"].items()}
    buf = arrays["doc_buf"].tobytes()
    cols = {name: arrays[f"doc_{name}"].tolist() for name in
            ("code", "doc_id", "course", "assignment", "n_chunks", "offset", "title_len",
             "url_len", "meta_len", "text_len")}  # fmt: skip
    digests = np.ascontiguousarray(arrays["doc_digest"], np.uint8).reshape(-1, 16)
    table = DocTable()
    batch: tuple[list[Document], list[list[str]], list[bytes]] = ([], [], [])
    for i in range(len(cols["code"])):
        at = cols["offset"][i]
        parts = []
        for name in ("title_len", "url_len", "meta_len", "text_len"):
            parts.append(buf[at : at + cols[name][i]].decode())
            at += cols[name][i]
        meta = odd[i] if i in odd else json.loads(parts[2]) if parts[2] else {}
        doc = Document(type_names[cols["code"][i]], cols["doc_id"][i], parts[0], "", parts[1],
                       _unopt(cols["course"][i]), _unopt(cols["assignment"][i]), meta)  # fmt: skip
        chunks = parts[3].split("\x00") if cols["n_chunks"][i] else []
        if len(chunks) != cols["n_chunks"][i]:
            raise ValueError(f"document row {i} does not fit its chunk count")
        batch[0].append(doc)
        batch[1].append(chunks)
        batch[2].append(digests[i].tobytes())
        if len(batch[0]) == LOAD_BATCH or i == len(cols["code"]) - 1:
            twice = table.put_new(*batch)
            if twice >= 0:
                raise ValueError(f"document row {i + 1 - len(batch[0]) + twice} is saved twice")
            batch = ([], [], [])
    table.tidy()
    return table


def _odd_default(value: Any) -> Any:
    raise TypeError(f"metadata value {value!r} cannot be saved")


def _meta_json(meta: Mapping[str, Any]) -> tuple[str, bool]:
    """The values of ``meta`` as a compact JSON array (its keys are kept once per set of keys),
    and whether they would not read back equal (then the dict is kept as is)."""
    if not meta:
        return "", False
    if not _STR.issuperset(map(type, meta)):
        return "", True
    values = list(meta.values())
    try:
        text = _ENCODE(values)
    except (TypeError, ValueError):  # inf and NaN (allow_nan=False), other types
        return "", True
    if _PLAIN.issuperset(map(type, values)):
        return text, False  # every plain value but inf and NaN reads back equal
    return text, json.loads(text) != values
