"""The documents' texts are read from a mapped private copy of the saved file's bytes
(``index.records``): a saved or loaded index answers exactly as one held in memory, through
edits after the save, compaction and saving again, and nothing done to the index file on disk
afterwards (rewritten in place, truncated, removed) changes or crashes the running index."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from index import records
from index.documents import Document
from index.records import Records, map_npz_member
from index.store import IndexState
from tests.index.test_batch_apply import DIM, _docs, _edits, _prepared, _same_index


def _texts(state: IndexState) -> dict[tuple[str, int], tuple[object, ...]]:
    """Each document's strings, all read from the records (odd metadata, kept apart, aside)."""
    return {key: (e.title, e.url, list(e.chunks), e.metadata.get("status"), e.version)
            for key, e in state.docs.items()}  # fmt: skip


def _built(docs: list[Document]) -> IndexState:
    state = IndexState("m", DIM, "flat")
    state.apply(_prepared(docs), [])
    return state


def test_a_saved_index_reads_its_texts_from_the_file_and_answers_the_same(tmp_path: Path) -> None:
    # Metadata that JSON does not give back as it was (tuples, NaN, int keys) is kept apart and
    # reads back changed from any saved file (tests/index/test_columns.py); leave it out here.
    docs = [d if repr(json.loads(json.dumps(d.metadata))) == repr(d.metadata) else
            Document(d.doc_type, d.doc_id, d.title, d.text, d.url, d.course_id, d.assignment_id,
                     {"status": "odd"}) for d in _docs()]  # fmt: skip
    saved, memory, twin = _built(docs), _built(docs), _built(docs)
    before = _texts(saved)
    saved.save(tmp_path / "index.npz")
    assert saved.docs.buf.mapped and not saved.docs.buf.tail  # nothing kept in memory
    assert _texts(saved) == before
    loaded = IndexState.load(tmp_path / "index.npz", "m", DIM, "flat")
    assert loaded.docs.buf.mapped and _texts(loaded) == before
    # Edits after the save go to memory; deletes then compact the table back into memory.
    put, remove = _edits(docs)
    for state in (saved, memory, loaded, twin):
        state.apply(put, remove)
    assert saved.docs.buf.tail and saved.docs.buf.base_len
    _same_index(saved, memory, tmp_path / "a")  # saves (and compacts) both
    _same_index(loaded, twin, tmp_path / "b")
    many = [Document("post", 500 + i, "", f"reply {i}", "", 1, None, {}) for i in range(200)]
    for state in (saved, memory):
        state.apply(_prepared(many), [])
        state.apply([], [("post", d.doc_id) for d in many[:150]])
    _same_index(saved, memory, tmp_path / "c")
    saved.save(tmp_path / "again.npz")
    again = IndexState.load(tmp_path / "again.npz", "m", DIM, "flat")
    assert _texts(again) == _texts(memory)


@pytest.mark.parametrize("damage", ["rewritten", "truncated", "removed"])
def test_what_happens_to_the_file_on_disk_does_not_reach_the_running_index(
    damage: str, tmp_path: Path
) -> None:
    docs = _docs()
    path = tmp_path / "index.npz"
    _built(docs).save(path)
    loaded = IndexState.load(path, "m", DIM, "flat")
    saved = _built(docs)
    saved.save(tmp_path / "other.npz")
    before = _texts(loaded)
    for p in (path, tmp_path / "other.npz"):
        size = p.stat().st_size
        if damage == "rewritten":  # in place, as `cp other index.npz` writes
            with open(p, "r+b") as f:
                f.write(os.urandom(size))
        elif damage == "truncated":  # a mapped file cut short would raise SIGBUS on reading
            os.truncate(p, 0)
        else:
            p.unlink()
    assert _texts(loaded) == before
    assert _texts(saved) == before
    hits = loaded.lexical.search(["lstm_forward"], 5)
    assert hits and all(loaded.docs[loaded.owner[label]].chunks for label, _ in hits)


def test_a_member_that_is_not_plain_bytes_is_read_the_usual_way(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    np.savez_compressed(path, doc_buf=np.frombuffer(b"abc", np.uint8))
    assert map_npz_member(path, "doc_buf") is None
    np.savez(path, doc_buf=np.zeros(3, np.int32), empty=np.zeros(0, np.uint8))
    assert map_npz_member(path, "doc_buf") is None
    assert map_npz_member(path, "empty") is None
    np.savez(path, doc_buf=np.frombuffer("na\u00efve".encode(), np.uint8))
    mapped = map_npz_member(path, "doc_buf")
    assert mapped is not None and mapped[0 : len(mapped)].decode() == "na\u00efve"


def test_records_read_across_base_and_tail() -> None:
    both = Records(b"abc", bytearray(b"de"))
    both += b"fg"
    assert (len(both), both[0:3], both[3:7], both[1:5], bytes(both)) == (
        7, b"abc", b"defg", b"bcde", b"abcdefg")  # fmt: skip


def test_with_no_room_for_the_private_copy_the_texts_stay_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "index.npz"
    built = _built(_docs())
    before = _texts(built)

    def read_only(directory: Path) -> int:
        raise OSError(30, "Read-only file system", str(directory))

    monkeypatch.setattr(records, "_unnamed_file", read_only)
    built.save(path)
    loaded = IndexState.load(path, "m", DIM, "flat")
    for state in (built, loaded):
        assert not state.docs.buf.mapped
        assert _texts(state) == before
