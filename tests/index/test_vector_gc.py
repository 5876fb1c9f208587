"""Stored chunk vectors do not pile up: `checkfirst index gc` deletes the vectors of deleted
documents, of chunks past a shortened document's end and of models no longer used, and
nothing a replica still loads (a rebuild afterwards encodes nothing)."""

from __future__ import annotations

import numpy as np
import pytest
from sqlmodel import Session, select

from core.db import get_engine
from forum.models import Post
from index.embeddings import ChunkCounts, ChunkVector, chunk_version, collect_garbage
from index.encoder import Encoder
from index.events import record
from index.indexer import Tailer, rebuild
from index.store import IndexState
from tests.index.conftest import Forum

pytestmark = pytest.mark.model


def stored(model: str | None = None) -> set[tuple[str, str, int, int]]:
    with Session(get_engine()) as session:
        rows = session.exec(select(ChunkVector)).all()
    return {(r.model, r.doc_type, r.doc_id, r.chunk) for r in rows if model in (None, r.model)}


def test_gc_deletes_vectors_of_deleted_documents_shortened_texts_and_old_models(
    forum: Forum, encoder: Encoder
) -> None:
    long_body = " ".join(f"word{i} lstm_forward gates" for i in range(300))  # several chunks
    shortened = forum.thread("LSTM gates saturate", long_body)
    gone = forum.thread("Conv padding", "How much zero padding for a 3x3 filter?")
    kept = forum.thread("Adam bias correction", "update_parameters_with_adam explodes")
    state = IndexState(encoder.identity, encoder.dim)
    with Session(get_engine()) as session:
        Tailer().catch_up(session, state, encoder)
    assert state.docs[("thread", shortened.id)].labels[1:]  # more than one chunk
    # A vector of a model no server uses any more.
    with Session(get_engine()) as session:
        vector = np.zeros(encoder.dim, "<f4").tobytes()
        session.add(ChunkVector(model="old-model", doc_type="thread", doc_id=kept.id, chunk=0,
                                version=chunk_version("x"), vector=vector))  # fmt: skip
        session.commit()
    forum.delete_thread(gone)
    post = forum.session.exec(
        select(Post).where(Post.thread_id == shortened.id, Post.is_question)
    ).one()
    post.body = "Now one short paragraph."
    forum.session.add(post)
    record(forum.session, doc_type="thread", doc_id=shortened.id)
    forum.session.commit()
    with Session(get_engine()) as session:
        Tailer().catch_up(session, state, encoder)

    def counts() -> ChunkCounts:
        return {key: len(entry.labels) for key, entry in state.docs.items()}

    garbage = collect_garbage(get_engine(), [encoder.identity], counts)
    assert garbage.other_models == 1
    assert garbage.gone_documents >= 1 and garbage.gone_chunks >= 1
    left = stored()
    expected = {(encoder.identity, t, i, c) for (t, i), n in counts().items() for c in range(n)}
    assert left == expected  # exactly the chunks the index holds, under the current model
    assert not any(r[1:3] == ("thread", gone.id) for r in left)

    # Nothing a replica needs was deleted: a rebuild loads every vector, encodes none.
    before = encoder.encoded
    with Session(get_engine()) as session:
        rebuilt = rebuild(session, encoder, "flat")
    assert encoder.encoded == before
    assert rebuilt.doc_keys() == state.doc_keys()


def test_gc_keeps_a_model_named_to_keep(forum: Forum, encoder: Encoder) -> None:
    thread = forum.thread("Adam bias correction", "update_parameters_with_adam explodes")
    with Session(get_engine()) as session:
        vector = np.zeros(encoder.dim, "<f4").tobytes()
        session.add(ChunkVector(model="next-model", doc_type="thread", doc_id=thread.id, chunk=0,
                                version=chunk_version("x"), vector=vector))  # fmt: skip
        session.commit()
    garbage = collect_garbage(
        get_engine(), [encoder.identity, "next-model"], lambda: {("thread", thread.id): 1}
    )
    assert garbage.other_models == 0
    assert stored("next-model") == {("next-model", "thread", thread.id, 0)}
