"""Invariant 7: a query never waits behind indexing. Its encoding does not queue behind an
indexing batch, and a search runs while the index compacts (only the swap takes the lock).
Each test blocks the indexing side on an event and checks the query side finishes meanwhile;
the waits are deadlock guards, not timings."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from index.documents import Document
from index.search import search_state
from index.store import IndexState, Prepared, doc_chunks
from index.types import Query
from index.vectors import VectorStore

pytestmark = pytest.mark.model
GUARD = 60.0  # seconds before a blocked query counts as waiting forever


def run_in_thread(fn: Any) -> threading.Event:
    done = threading.Event()

    def target() -> None:
        fn()
        done.set()

    threading.Thread(target=target, daemon=True).start()
    return done


def test_query_encoding_does_not_wait_for_an_indexing_batch(
    encoder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if encoder._onnx is None:
        pytest.skip("the model call is intercepted on the ONNX backend (the default)")
    inside, release = threading.Event(), threading.Event()
    original = encoder._onnx.encode

    def slow_batch(texts: list[str]) -> Any:
        if len(texts) > 1:  # the indexing batch: hold the model until released
            inside.set()
            release.wait(GUARD)
        return original(texts)

    monkeypatch.setattr(encoder._onnx, "encode", slow_batch)
    batch = run_in_thread(lambda: encoder.encode([f"post {i}" for i in range(64)]))
    assert inside.wait(GUARD)
    vectors: list[Any] = []
    query = run_in_thread(lambda: vectors.append(encoder.encode_query("lstm forget gate?")))
    try:
        assert query.wait(GUARD), "the query waited for the indexing batch"
        assert not batch.is_set()  # it really was still running
        assert vectors[0].shape == (1, encoder.dim)
    finally:
        release.set()
    assert batch.wait(GUARD)


def test_search_runs_while_the_hnsw_graph_compacts(
    encoder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = IndexState(encoder.identity, encoder.dim, "hnsw")
    docs = [Document("thread", i, f"t{i}", f"text {i}", f"/t/{i}", 1) for i in range(1, 1201)]
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((len(docs), encoder.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    state.apply(
        [Prepared(d, doc_chunks(d), v[None, :]) for d, v in zip(docs, vectors, strict=True)], []
    )
    inside, release = threading.Event(), threading.Event()
    original = VectorStore.compacted

    def slow_compaction(self: VectorStore) -> VectorStore:
        inside.set()
        release.wait(GUARD)
        return original(self)

    monkeypatch.setattr(VectorStore, "compacted", slow_compaction, raising=False)
    # Removing 300 of 1,200 documents makes a quarter of the graph dead: it compacts.
    removing = run_in_thread(lambda: state.apply([], [("thread", i) for i in range(1, 301)]))
    assert inside.wait(GUARD)
    hits: list[Any] = []
    query = run_in_thread(
        lambda: hits.extend(search_state(state, encoder, Query(text="t5"), mode="dense"))
    )
    try:
        assert query.wait(GUARD), "the search waited for the compaction"
        assert hits and all(h.doc_id > 300 for h in hits)
    finally:
        release.set()
    assert removing.wait(GUARD)
    assert state.vectors.ntotal == 900 and state.vectors.dead == 0
