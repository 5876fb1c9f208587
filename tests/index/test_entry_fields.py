"""An index entry keeps some fields compactly (#14): the title read back from the first chunk,
the URL as a shared prefix plus the id, a metadata value equal to the id as a marker, equal
metadata tuples shared. What a search shows must be what was indexed, also after an edit and
after a save and load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from index.documents import Document
from index.store import IndexState, Prepared, doc_chunks, key_of

DIM = 8


def _prepared(doc: Document) -> Prepared:
    chunks = doc_chunks(doc)
    vectors = np.random.default_rng(doc.doc_id).standard_normal((len(chunks), DIM))
    return Prepared(doc, chunks, vectors.astype(np.float32))


DOCS = [
    # title in front of the text, URL prefix + id, thread_id equal to the id
    Document("thread", 41, "Forget gate saturates", "My a_next differs.", "/threads/41", 1, 2,
             {"thread_id": 41, "answered": True, "external_id": None}),
    # True and 1 must stay what they were, not share one tuple
    Document("thread", 42, "Same shape", "text", "/threads/42", 1, None,
             {"thread_id": 42, "answered": 1, "external_id": None}),
    Document("thread", 43, "Same shape", "text", "/threads/43", 1, None,
             {"thread_id": 43, "answered": True, "external_id": None}),
    Document("thread", 44, "Float", "text", "/threads/44", 1, None,
             {"thread_id": 44.0, "answered": 1.0, "external_id": None}),
    # URLs that are not a digit-free prefix plus the id
    Document("post", 7, "Thread 41 title", "a reply", "/threads/41#post-7", 1, 2,
             {"thread_id": 41, "parent": "thread:41"}),
    Document("erratum", 17, "Off by one", "the test is wrong", "/errata/170", 1, 2,
             {"status": "verified", "count": 17}),
    # titles that cannot be read back from the text
    Document("thread", 45, "Two\nlines", "text", "/threads/45", None, None, {}),
    Document("thread", 46, "  padded ", "text", "/threads/46", None, None, {}),
    Document("thread", 47, "", "no title", "", None, None, {"tags": ["a", "b"]}),
    Document("thread", 48, "Empty text", "", "https://x.org/48", None, None, {}),
    Document("thread", 49, "Long", "word " * 2000, "/threads/49", None, None, {}),
]  # fmt: skip


def _assert_fields(state: IndexState, docs: list[Document]) -> None:
    for doc in docs:
        got = state.docs[key_of(doc)].doc
        assert (got.title, got.url, got.course_id, got.assignment_id) == (
            doc.title, doc.url, doc.course_id, doc.assignment_id)  # fmt: skip
        assert got.metadata == doc.metadata
        assert [(k, type(v)) for k, v in got.metadata.items()] == [
            (k, type(v)) for k, v in doc.metadata.items()
        ]
        assert state.docs[key_of(doc)].chunks == tuple(doc_chunks(doc))


def test_fields_read_back_as_indexed_and_after_save_and_load(tmp_path: Path) -> None:
    state = IndexState("test", DIM, "flat")
    state.apply([_prepared(d) for d in DOCS], [])
    _assert_fields(state, DOCS)
    state.save(tmp_path / "index.npz")
    loaded = IndexState.load(tmp_path / "index.npz", "test", DIM, "flat")
    _assert_fields(loaded, DOCS)


def test_an_edited_title_and_url_are_shown_not_the_old_ones() -> None:
    state = IndexState("test", DIM, "flat")
    old = DOCS[0]
    state.apply([_prepared(old)], [])
    new = Document("thread", 41, "Forget gate fixed", "Now a_next matches.", "/t/41", 1, 2,
                   {"thread_id": 41, "answered": False, "external_id": "x"})  # fmt: skip
    state.apply([_prepared(new)], [])
    _assert_fields(state, [new])
    entry: Any = state.docs[key_of(new)]
    assert entry.title == "Forget gate fixed" and entry.chunks[0].startswith(entry.title)
