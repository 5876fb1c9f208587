"""A batch of documents is written to the index's columns together (``DocTable.put_many``,
``IndexState.apply``): the index it makes must be the one that applying the same documents one
at a time makes: the same rows and bytes, labels, filters, search results, saved file and drift
check, through new documents, text and metadata edits, deletes and a document given twice."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlmodel import Session

from core.db import get_engine
from index import columns, store
from index.columns import DocTable, keys_of
from index.documents import Document
from index.encoder import Encoder
from index.indexer import check, rebuild, refresh, searchable_keys
from index.search import Mode, search_state
from index.store import (
    CorruptIndex,
    IndexState,
    Prepared,
    content_digest,
    content_version,
    doc_chunks,
)
from index.types import Query, Viewer
from tests.index.conftest import Forum
from tests.index.test_columns import FIXTURE_DOCS
from tests.index.test_columns import _check as check_columns

DIM = 8
META: list[dict[Any, Any]] = [
    {"thread_id": 1, "answered": False, "external_id": None},
    {"status": "verified", "score": 1.5},
    {"parent": "thread:1", "private": True, "owner": 7},
    {"tuple": (1, 2), "nan": math.nan, "text": "na\u00efve \u2713"},  # kept as they are
    {1: "not a str key"},
    {},
]


def _docs() -> list[Document]:
    """Every kind of row: types, shared and separate titles, several chunks, odd metadata."""
    docs = []
    for i in range(1, 60):
        doc_type = ("thread", "post", "erratum", "custom")[i % 4]
        title = "" if i % 11 == 0 else f"T\u00e9st {i}" if i % 5 else f"  padded {i} "
        text = (f"body {i} lstm_forward " * (600 if i % 13 == 0 else 1)).strip()
        course = None if i % 7 == 0 else 1 + i % 3
        assignment = None if course is None else i % 2
        meta = dict(META[i % len(META)])
        docs.append(Document(doc_type, i, title, text, f"/d/{i}", course, assignment, meta))
    return docs


def _vectors(doc: Document, n: int) -> np.ndarray:
    """A document's vectors from its text: the same in every index built here."""
    seed = int(content_version(doc)[:8], 16)
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)


def _prepared(docs: list[Document]) -> list[Prepared]:
    out = []
    for d in docs:
        chunks = doc_chunks(d)
        out.append(Prepared(d, chunks, _vectors(d, len(chunks))))
    return out


def _edits(docs: list[Document]) -> tuple[list[Prepared], list[tuple[str, int]]]:
    """A mixed batch: metadata-only edits (vectors kept), text edits, new documents, one
    document twice, and deletes."""
    by_id = {d.doc_id: d for d in docs}
    put: list[Prepared] = []
    for i in (3, 12, 20):  # metadata only: same chunks, no vectors
        d = by_id[i]
        meta = {**d.metadata, "status": "fixed", "private": i == 12, "owner": 9}
        new = Document(d.doc_type, i, d.title, d.text, d.url, 3, None, meta)
        put.append(Prepared(new, doc_chunks(new), None))
    for i in (2, 27, 39):  # new text
        d = by_id[i]
        new = Document(d.doc_type, i, d.title, f"edited {i} conv_forward", d.url, d.course_id,
                       d.assignment_id, {**d.metadata, "parent": "thread:2"})  # fmt: skip
        put.extend(_prepared([new]))
    put.extend(_prepared([Document("thread", 100 + i, f"New {i}", f"fresh {i} padding", "", 1,
                                   None, {"thread_id": 100 + i}) for i in range(3)]))  # fmt: skip
    return put, [("post", 5), ("erratum", 30), ("thread", 999)]


def _twice(docs: list[Document]) -> list[Prepared]:
    """One document given twice in a batch (with two texts): the second one wins."""
    d = docs[7]
    first = Document(d.doc_type, d.doc_id, d.title, "first version", d.url, None, None, {})
    second = Document(d.doc_type, d.doc_id, d.title, "second version", d.url, 2, 1, {"k": 1})
    return _prepared([docs[8], first, docs[9], second])


def _same_arrays(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        assert np.array_equal(a[name], b[name]), name


def _same_documents(a: IndexState, b: IndexState) -> None:
    """The same documents, fields, labels and filters, whatever their rows' order."""
    assert a.docs.versions() == b.docs.versions()
    assert dict(a.owner.items()) == dict(b.owner.items())
    assert (a.children, a.private_docs) == (b.children, b.private_docs)
    for key in a.docs:
        ea, eb = a.docs[key], b.docs[key]
        assert (ea.title, ea.url, ea.chunks, ea.labels, ea.version, ea.course_id,
                ea.assignment_id) == (eb.title, eb.url, eb.chunks, eb.labels, eb.version,
                                      eb.course_id, eb.assignment_id)  # fmt: skip
        assert repr(ea.metadata) == repr(eb.metadata)
    filters = [(None, (), None), (2, (), None), (None, ("fixed",), None),
               (1, (), Viewer(user_id=7)), (1, (), Viewer(user_id=1))]  # fmt: skip
    for course, statuses, viewer in filters:
        assert sorted(a.allowed_labels(course, None, (), statuses, viewer).tolist()) == sorted(
            b.allowed_labels(course, None, (), statuses, viewer).tolist())  # fmt: skip


def _same_index(a: IndexState, b: IndexState, tmp_path: Path, vectors: bool = True) -> None:
    """Rows, labels, filters, lexical and vector search, and the saved file's arrays (without
    the vectors unless ``vectors``)."""
    assert (a.docs.n, a.docs.live, a.docs.chunks, a.docs.dead_bytes) == (
        b.docs.n, b.docs.live, b.docs.chunks, b.docs.dead_bytes)  # fmt: skip
    for name in ("key", "code", "doc_id", "course", "assignment", "n_chunks", "offset",
                 "title_len", "url_len", "meta_len", "text_len", "meta_keys", "status",
                 "private", "owner", "digest"):  # fmt: skip
        assert np.array_equal(a.docs.col(name), b.docs.col(name)), name
    assert bytes(a.docs.buf) == bytes(b.docs.buf)
    assert a.docs.meta_keys == b.docs.meta_keys and a.docs.statuses == b.docs.statuses
    assert repr(a.docs._odd_meta) == repr(b.docs._odd_meta)  # NaN == NaN in repr only
    assert list(a.docs) == list(b.docs)
    assert np.array_equal(a.docs.labels(), b.docs.labels())
    _same_documents(a, b)
    a.compact()
    b.compact()
    for terms in (["lstm_forward"], ["body", "padding"], ["edited", "conv"], ["fresh"]):
        assert a.lexical.search(terms, 20) == b.lexical.search(terms, 20)
    query = np.random.default_rng(1).standard_normal((1, DIM)).astype(np.float32)
    if vectors:
        assert a.vectors.search(query, 20) == b.vectors.search(query, 20)
    a.save(tmp_path / "a.npz")
    b.save(tmp_path / "b.npz")
    with np.load(tmp_path / "a.npz") as za, np.load(tmp_path / "b.npz") as zb:
        skip = {"header"} if vectors else {"header", "faiss"}
        _same_arrays({k: za[k] for k in za.files if k not in skip},
                     {k: zb[k] for k in zb.files if k not in skip})  # fmt: skip


def test_a_batch_makes_the_rows_of_one_document_at_a_time() -> None:
    docs = _docs()
    chunks = [doc_chunks(d) for d in docs]
    digests = [content_digest(d) for d in docs]
    one, many = DocTable(), DocTable()
    for d, c, v in zip(docs, chunks, digests, strict=True):
        one.put(d, c, v)
    many.put_many(docs, chunks, digests)
    assert one.n == many.n == len(docs)
    _same_arrays(one.to_arrays(), many.to_arrays())
    assert np.array_equal(keys_of(docs), one.col("key"))
    assert all(e.version == content_version(d) for e, d in zip(one.values(), docs, strict=True))
    # A replaced document leaves a dead row either way.
    edited = Document("post", 1, "Edited", "new text", "/p/1", None, None, {"status": "x"})
    one.put(edited, doc_chunks(edited), content_digest(edited))
    many.remove(keys_of([edited])[0])
    many.put_many([edited], [doc_chunks(edited)], [content_digest(edited)])
    _same_arrays(one.to_arrays(), many.to_arrays())
    with pytest.raises(ValueError, match="out of range"):
        many.put_many([Document("thread", -1, "", "x", "")], [["x"]], [b""])


@pytest.mark.parametrize("rebuilding", [False, True])
def test_an_index_applied_in_batches_equals_one_applied_document_by_document(
    rebuilding: bool, tmp_path: Path
) -> None:
    """``rebuilding``: as a rebuild applies (lexical side built once at the end)."""
    docs = _docs()
    batched, single = IndexState("m", DIM, "flat"), IndexState("m", DIM, "flat")
    compact = not rebuilding
    batched.apply(_prepared(docs), [], compact=compact)
    for p in _prepared(docs):
        single.apply([p], [], compact=compact)
    if not rebuilding:  # a search between batches: the lexical delta and filters agree
        for terms in (["lstm_forward"], ["body"]):
            assert batched.lexical.search(terms, 20) == single.lexical.search(terms, 20)
    put, remove = _edits(docs)
    batched.apply(put, remove, compact=compact)
    single.apply([], remove, compact=compact)
    for p in put:
        single.apply([p], [], compact=compact)
    _same_index(batched, single, tmp_path)
    # One document twice in a batch: applied one after the other, the second version kept.
    # (Both versions' vectors are added to FAISS under its labels, as before batching; the
    # indexer never gives a document twice: ``load_documents`` reads each id once.)
    twice = _twice(docs)
    batched.apply(twice, [], compact=compact)
    for p in twice:
        single.apply([p], [], compact=compact)
    key = (docs[7].doc_type, docs[7].doc_id)
    assert batched.docs[key].chunks == tuple(twice[3].chunks) != tuple(twice[1].chunks)
    _same_index(batched, single, tmp_path, vectors=False)


@pytest.mark.model
def test_a_rebuild_equals_the_index_built_document_by_document(
    forum: Forum, encoder: Encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the database: ``rebuild`` (batches of documents) and ``refresh`` of one document
    at a time make the same index, which the drift check finds in step, and search the same."""
    assignment = forum.assignment()
    threads = [
        forum.thread(f"Question {i} on conv_forward padding",
                     f"My output differs in step {i}; the stride is {i % 3}.",
                     assignment=assignment if i % 2 else None)
        for i in range(9)
    ]  # fmt: skip
    for i, t in enumerate(threads[:4]):
        forum.reply(t, f"Reply {i}: check the lstm_forward cache and a_next.")
    forum.erratum("rnn_cell_forward docstring", "Shapes swapped.", status="verified")
    forum.erratum("Wrong expected output", "Cell 12 shows old values.", status="reported")
    forum.delete_thread(threads[5])
    from index import indexer

    monkeypatch.setattr(indexer, "REBUILD_BATCH", 4)  # several batches, one of them short
    with Session(get_engine()) as session:
        rebuilt = rebuild(session, encoder, "flat")
        single = IndexState(encoder.identity, encoder.dim, "flat")
        single.seq = rebuilt.seq
        for key in sorted(searchable_keys(session)):
            refresh(session, single, encoder, [key])
        assert check(session, rebuilt).ok and check(session, single).ok
    assert len(rebuilt.docs) == len(threads) - 1 + 4 + 2
    single.compact()  # its lexical rows in one base, as a rebuild leaves them
    queries: list[tuple[str, dict[str, Any]]] = [("conv_forward padding stride", {}),
                         ("lstm_forward a_next", {"doc_types": ("post",)}),
                         ("rnn_cell_forward shapes", {"statuses": ("verified",)}),
                         ("output differs", {"assignment_id": assignment.id})]  # fmt: skip
    for text, kwargs in queries:
        query = Query(text=text, limit=20, **kwargs)
        modes: tuple[Mode, ...] = ("hybrid", "dense", "lexical")
        for mode in modes:
            got = search_state(rebuilt, encoder, query, mode=mode)
            want = search_state(single, encoder, query, mode=mode)
            assert [(h.doc_type, h.doc_id, h.score, h.snippet) for h in got] == [
                (h.doc_type, h.doc_id, h.score, h.snippet) for h in want]  # fmt: skip
    # ``refresh`` of a thread reloads its replies too: rows differ in order, not in content.
    _same_documents(rebuilt, single)


def _rewrite(path: Path, change: Any) -> None:
    """Change a saved file's arrays (``change(header, arrays)``), its checksum made to match."""
    with np.load(path, allow_pickle=False) as z:
        header = json.loads(z["header"].tobytes())
        arrays = {name: z[name].copy() for name in z.files if name != "header"}
    change(header, arrays)
    header["sha256"] = store._digest(arrays)
    buf = io.BytesIO()
    np.savez(buf, header=np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays)
    path.write_bytes(buf.getvalue())


@pytest.mark.parametrize("fmt", [3, 4])
def test_earlier_formats_load_in_batches_and_refuse_a_document_saved_twice(
    fmt: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FORMAT 3 and 4 files are read row by row and written ``LOAD_BATCH`` rows at a time: a
    file crossing batches loads every document, and one holding a document twice (in another
    batch) is refused."""
    monkeypatch.setattr(columns, "LOAD_BATCH", 2)
    monkeypatch.setattr(store, "LOAD_BATCH", 2)
    path = tmp_path / "index.npz"
    path.write_bytes((Path(__file__).parent / "data" / f"index_format{fmt}.npz").read_bytes())
    loaded = IndexState.load(path, "m", DIM, "flat")
    docs = {(d.doc_type, d.doc_id): d for d in FIXTURE_DOCS}
    check_columns(loaded, docs, saved=True)

    def twice(header: dict[str, Any], arrays: dict[str, Any]) -> None:  # row 2 as row 0's id
        if fmt == 4:
            arrays["doc_code"][2], arrays["doc_doc_id"][2] = 1, 1
        else:
            rows = json.loads(arrays["meta"].tobytes())
            rows[2][:2] = ["thread", 1]
            arrays["meta"] = np.frombuffer(json.dumps(rows).encode(), np.uint8)

    _rewrite(path, twice)
    with pytest.raises(CorruptIndex, match="saved twice"):
        IndexState.load(path, "m", DIM, "flat")
