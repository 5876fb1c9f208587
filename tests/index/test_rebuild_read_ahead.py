"""A rebuild reads each batch's documents and stored vectors one batch ahead, by id range: the
vectors it indexes must still be exactly each chunk's current stored vector, whatever else the
range holds (deleted documents, an old version of an edited chunk)."""

from __future__ import annotations

import numpy as np
import pytest
from sqlmodel import Session, select

from core.db import get_engine
from index import indexer
from index.embeddings import ChunkVector, chunk_version
from index.encoder import Encoder
from index.indexer import Tailer, rebuild, searchable_keys
from index.store import IndexState
from index.vectors import make_label
from tests.index.conftest import Forum

pytestmark = pytest.mark.model


def stored_vector(session: Session, model: str, doc_id: int, text: str) -> np.ndarray:
    row = session.exec(
        select(ChunkVector).where(
            ChunkVector.model == model,
            ChunkVector.doc_type == "thread",
            ChunkVector.doc_id == doc_id,
            ChunkVector.chunk == 0,
            ChunkVector.version == chunk_version(text),
        )
    ).one()
    assert row.vector is not None
    return np.frombuffer(row.vector, dtype="<f4")


def test_rebuild_in_batches_indexes_each_current_stored_vector(
    forum: Forum, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = [forum.thread(f"Question {i} on conv padding", f"Padding in layer {i}?")
               for i in range(7)]  # fmt: skip
    with Session(get_engine()) as session:  # every chunk embedded and stored once
        Tailer().catch_up(session, IndexState(encoder.identity, encoder.dim), encoder)
    # Deleted threads keep their stored vectors for now, inside the later batches' id ranges.
    forum.delete_thread(threads[2])
    forum.delete_thread(threads[4])
    # An edit no replica applied yet: only the old text's vector is stored.
    forum.edit_thread(threads[5], "Question 5 on the LSTM forget gate")
    monkeypatch.setattr(indexer, "REBUILD_BATCH", 2)

    before = encoder.encoded
    with Session(get_engine()) as session:
        state = rebuild(session, encoder, "flat")
    assert encoder.encoded - before == 1  # only the edited thread's new text
    with Session(get_engine()) as session:
        assert state.doc_keys() == searchable_keys(session)
        assert ("thread", threads[2].id) not in state.doc_keys()
        for key, entry in state.docs.items():
            doc_id = key[1]
            text = entry.chunks[0]
            got = state.vectors.index.reconstruct(make_label("thread", doc_id, 0))
            np.testing.assert_array_equal(
                got, stored_vector(session, encoder.identity, doc_id, text)
            )
    edited = state.docs[("thread", threads[5].id)]
    assert edited.chunks[0].startswith("Question 5 on the LSTM forget gate")
