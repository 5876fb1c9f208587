"""The index keeps its documents as columns and one buffer of strings (index.columns): what a
search, the drift check and a save/load read back must be exactly what was indexed, through
edits, deletes and the table's compaction; an index saved in the old row format still loads."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import store
from index.columns import COMPACT_MIN
from index.documents import Document
from index.store import CorruptIndex, IndexState, Prepared, content_version, doc_chunks

DIM = 8
ODD_META: list[dict[str, Any]] = [
    {},
    {"status": "verified", "private": True, "owner": 7, "score": 1.5, "n": 0, "none": None},
    {"flag": True, "one": 1, "one_f": 1.0, "big": 2**60, "text": "naïve — ✓ \x00 nul"},
    {"tuple": (1, 2), "list": [1, [2, {"k": "v"}]], "nan": math.nan, "inf": math.inf},
    {"parent": "thread:1", "accepted": False},
]


def _doc(doc_id: int, meta: dict[str, Any] | None = None, *, title: str = "", url: str = "",
         text: str = "", course: int | None = 1, doc_type: str = "thread") -> Document:  # fmt: skip
    return Document(doc_type, doc_id, title or f"Title {doc_id}", text or f"body of {doc_id}",
                    url or f"/threads/{doc_id}", course, None if course is None else doc_id % 5,
                    dict(meta or {}))  # fmt: skip


def _put(state: IndexState, docs: list[Document], remove: tuple[tuple[str, int], ...] = ()) -> None:
    rng = np.random.default_rng(len(state.docs))
    prepared = []
    for d in docs:
        chunks = doc_chunks(d)
        vectors = rng.standard_normal((len(chunks), DIM)).astype(np.float32)
        prepared.append(Prepared(d, chunks, vectors))
    state.apply(prepared, list(remove))


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (True is not 1, NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _check(state: IndexState, docs: dict[tuple[str, int], Document], saved: bool) -> None:
    assert len(state.docs) == len(docs)
    assert state.chunk_count() == sum(len(doc_chunks(d)) for d in docs.values())
    assert set(state.docs) == set(docs)
    for key, d in docs.items():
        entry = state.docs[key]
        assert (entry.doc_type, entry.doc_id, entry.title, entry.url) == (
            d.doc_type, d.doc_id, d.title, d.url)  # fmt: skip
        assert (entry.course_id, entry.assignment_id) == (d.course_id, d.assignment_id)
        assert entry.chunks == tuple(doc_chunks(d))
        assert entry.version == content_version(d)
        meta = d.metadata
        if saved:  # a saved file holds JSON: tuples come back as lists (as before)
            meta = json.loads(json.dumps(meta))
        assert _same(entry.metadata, meta), (entry.metadata, meta)
        for label in entry.labels:
            assert state.owner[label] == key
    assert sorted(state.owner) == sorted(lab for e in state.docs.values() for lab in e.labels)


def test_fields_read_back_exactly_through_edits_deletes_and_save(tmp_path: Path) -> None:
    state = IndexState("m", DIM, "flat")
    docs = {}
    for i, meta in enumerate(ODD_META, start=1):
        d = _doc(i, meta, title=f"T\u00e9st {i} \U0001f600", url=f"/x/{i}?q=\u00e9")
        docs[(d.doc_type, d.doc_id)] = d
    # Titles kept apart from the first chunk (stripped, NUL replaced there) or shared with it.
    for doc_id, title in [(20, "  padded title "), (21, "nul\x00title"), (22, "Title 22\nmore")]:
        docs[("thread", doc_id)] = _doc(doc_id, {"k": doc_id}, title=title)
    untitled = Document("post", 23, "", "no title at all", "", None, None, {"parent": "x"})
    docs[("post", 23)] = untitled
    long = _doc(50, text=" ".join(f"word{i}" for i in range(3000)), course=None)
    docs[("thread", 50)] = long
    erratum = _doc(7, {"status": "reported"}, doc_type="erratum")
    docs[("erratum", 7)] = erratum
    _put(state, list(docs.values()))
    assert len(doc_chunks(long)) > 1
    _check(state, docs, saved=False)

    # An edit of metadata only, one of text, a delete.
    docs[("thread", 2)] = _doc(2, {"status": "fixed", "private": False}, title="Renamed")
    docs[("erratum", 7)] = _doc(7, {"status": "verified"}, doc_type="erratum")
    _put(state, [docs[("thread", 2)], docs[("erratum", 7)]], remove=(("thread", 3),))
    del docs[("thread", 3)]
    _check(state, docs, saved=False)
    assert state.docs.get(("thread", 3)) is None and ("thread", 3) not in state.docs

    path = tmp_path / "index.npz"
    state.save(path)
    loaded = IndexState.load(path, "m", DIM, "flat")
    _check(loaded, docs, saved=True)
    assert loaded.private_docs == state.private_docs
    assert loaded.children == state.children == {"thread:1": {("thread", 5)}, "x": {("post", 23)}}
    assert loaded.lexical.search(["word2999"], 5) == state.lexical.search(["word2999"], 5)


def test_many_edits_compact_the_table_and_filters_follow(tmp_path: Path) -> None:
    """Past ``COMPACT_MIN`` dead rows the table is rewritten; keys, texts and the filter
    columns the search uses still match every document."""
    state = IndexState("m", DIM, "flat")
    n = COMPACT_MIN + 500
    docs = {("thread", i): _doc(i, {"n": i}) for i in range(n)}
    _put(state, list(docs.values()))
    for rnd in range(3):  # every document edited three times: dead rows beyond the minimum
        for start in range(0, n, 2000):
            batch = [_doc(i, {"n": i, "round": rnd}, course=1 + (i + rnd) % 3,
                          text=f"round {rnd} body {i}")
                     for i in range(start, min(n, start + 2000))]  # fmt: skip
            for d in batch:
                docs[(d.doc_type, d.doc_id)] = d
            _put(state, batch)
    assert state.docs.n < 2 * n  # compacted, not 4n rows
    for key in [("thread", 0), ("thread", n // 2), ("thread", n - 1)]:
        e = state.docs[key]
        d = docs[key]
        assert (e.title, e.chunks, e.metadata, e.course_id) == (
            d.title, tuple(doc_chunks(d)), d.metadata, d.course_id)  # fmt: skip
    for course in (1, 2, 3):
        allowed = set(state.allowed_labels(course, None, (), ()).tolist())
        want = {state.docs[k].labels[0] for k, d in docs.items() if d.course_id == course}
        assert allowed == want
    state.save(tmp_path / "i.npz")
    loaded = IndexState.load(tmp_path / "i.npz", "m", DIM, "flat")
    assert set(loaded.allowed_labels(2, None, (), ()).tolist()) == set(
        state.allowed_labels(2, None, (), ()).tolist())  # fmt: skip


def _as_format_3(path: Path, state: IndexState) -> None:
    """Rewrite a saved index in the row format before the columns (FORMAT 3)."""
    with np.load(path, allow_pickle=False) as z:
        header = json.loads(z["header"].tobytes())
        arrays = {name: z[name] for name in z.files if name != "header"}
    entries = list(state.docs.values())
    rows = [[e.doc_type, e.doc_id, e.title, e.url, e.course_id, e.assignment_id, e.metadata,
             e.n_chunks, e.version] for e in entries]  # fmt: skip
    arrays = {k: v for k, v in arrays.items() if not k.startswith("doc_")}
    arrays["meta"] = np.frombuffer(json.dumps(rows).encode(), np.uint8)
    arrays["labels"] = np.array([lab for e in entries for lab in e.labels], np.int64)
    texts = "\x00".join(c for e in entries for c in e.chunks).encode()
    arrays["texts"] = np.frombuffer(texts, np.uint8)
    header.update(format=3, sha256=store._digest(arrays))
    header.pop("children")
    buf = io.BytesIO()
    np.savez(buf, header=np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays)
    path.write_bytes(buf.getvalue())


def test_an_index_saved_in_the_row_format_still_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = IndexState("m", DIM, "flat")
    docs = {("thread", i): _doc(i, ODD_META[i % 3]) for i in range(1, 40)}
    docs[("post", 3)] = _doc(3, {"parent": "thread:1", "private": True, "owner": 2},
                              doc_type="post")  # fmt: skip
    _put(state, list(docs.values()))
    path = tmp_path / "index.npz"
    state.save(path)
    _as_format_3(path, state)
    assert store.saved_counts(path)[1:] == (40, 40)
    with caplog.at_level("INFO", logger="index.store"):
        loaded = IndexState.load(path, "m", DIM, "flat")
    assert "format 3" in caplog.text
    _check(loaded, docs, saved=True)
    assert loaded.children == {"thread:1": {("post", 3)}}
    assert loaded.private_docs == state.private_docs == 14
    assert set(loaded.allowed_labels(None, None, (), ()).tolist()) == set(
        state.allowed_labels(None, None, (), ()).tolist())  # fmt: skip
    loaded.save(path)  # saved again in the columns
    assert json.loads(np.load(path)["header"].tobytes())["format"] == store.FORMAT
    _check(IndexState.load(path, "m", DIM, "flat"), docs, saved=True)


def test_a_damaged_table_is_refused_not_served(tmp_path: Path) -> None:
    """Columns that do not fit together (here a key that does not follow from its id, with
    the checksum made to match) raise ``CorruptIndex``, so the runtime rebuilds."""
    state = IndexState("m", DIM, "flat")
    _put(state, [_doc(i) for i in range(1, 10)])
    path = tmp_path / "index.npz"
    state.save(path)
    with np.load(path, allow_pickle=False) as z:
        header = json.loads(z["header"].tobytes())
        arrays = {name: z[name] for name in z.files if name != "header"}
    arrays["doc_doc_id"] = arrays["doc_doc_id"].copy()
    arrays["doc_doc_id"][3] += 100
    header["sha256"] = store._digest(arrays)
    buf = io.BytesIO()
    np.savez(buf, header=np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays)
    path.write_bytes(buf.getvalue())
    with pytest.raises(CorruptIndex):
        IndexState.load(path, "m", DIM, "flat")


FIXTURE_DOCS = [  # as tests/index/data/index_format{3,4}.npz were saved (by 30cf088, 842ff80)
    Document("thread", 1, "Title 1", "body one", "/threads/1", 1, 2,
             {"thread_id": 1, "answered": True, "external_id": None}),
    Document("post", 2, "  padded ", "reply two " * 400, "/threads/1#p2", 1, None,
             {"parent": "thread:1", "private": True, "owner": 5}),
    Document("erratum", 3, "E\u00e9 3", "wrong output", "/errata/3", None, None,
             {"status": "verified", "score": 1.5}),
]  # fmt: skip


@pytest.mark.parametrize("fmt", [3, 4])
def test_files_saved_by_earlier_formats_load_the_same(fmt: int, tmp_path: Path) -> None:
    """Files written by the code before this format (kept as fixtures) load with every field,
    filter and search as they were, and are written in the current format next time."""
    path = tmp_path / "index.npz"
    path.write_bytes((Path(__file__).parent / "data" / f"index_format{fmt}.npz").read_bytes())
    assert store.saved_counts(path)[1] == 3
    loaded = IndexState.load(path, "m", DIM, "flat")
    docs = {(d.doc_type, d.doc_id): d for d in FIXTURE_DOCS}
    _check(loaded, docs, saved=True)
    assert loaded.children == {"thread:1": {("post", 2)}} and loaded.private_docs == 1
    assert set(loaded.allowed_labels(1, None, (), ()).tolist()) == {
        loaded.docs[("thread", 1)].labels[0]}  # fmt: skip
    assert loaded.allowed_labels(None, None, (), ("reported",)).tolist() == [
        loaded.docs[("thread", 1)].labels[0]]  # fmt: skip
    assert [lab for lab, _ in loaded.lexical.search(["wrong"], 3)] == list(
        loaded.docs[("erratum", 3)].labels)  # fmt: skip
    loaded.save(path)
    assert json.loads(np.load(path)["header"].tobytes())["format"] == store.FORMAT
    _check(IndexState.load(path, "m", DIM, "flat"), docs, saved=True)
