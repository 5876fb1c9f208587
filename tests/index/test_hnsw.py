"""The HNSW option: same behaviour as flat for add, replace, remove, save and load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from index.documents import Document
from index.search import search_state
from index.store import IndexState
from index.types import Query

pytestmark = pytest.mark.model


def doc(i: int, text: str) -> Document:
    return Document("thread", i, f"thread {i}", text, f"/threads/{i}", course_id=1)


def test_hnsw_replace_and_remove_by_id(encoder: Any, tmp_path: Path) -> None:
    state = IndexState(encoder.identity, encoder.dim, "hnsw")
    texts = ["lstm gates", "conv padding", "softmax overflow", "grader timeout", "numpy install"]
    state.apply(state.prepare([doc(i, t) for i, t in enumerate(texts, 1)], encoder), [])
    state.apply(state.prepare([doc(1, "matplotlib colours")], encoder), [("thread", 2)])
    hits = search_state(state, encoder, Query(text="lstm gates", limit=10), mode="dense")
    assert ("thread", 2) not in [(h.doc_type, h.doc_id) for h in hits]
    assert len(hits) == 4
    top = search_state(state, encoder, Query(text="matplotlib colours", limit=1), mode="dense")
    assert top[0].doc_id == 1
    state.save(tmp_path / "i.npz")
    loaded = IndexState.load(tmp_path / "i.npz", encoder.identity, encoder.dim, "hnsw")
    assert loaded.doc_keys() == state.doc_keys()
    assert loaded.vectors.live == 4
    loaded.vectors = loaded.vectors.compacted()
    assert loaded.vectors.ntotal == 4
    again = search_state(loaded, encoder, Query(text="matplotlib colours", limit=1), mode="dense")
    assert again[0].doc_id == 1


def test_hnsw_edit_leaves_no_old_vector_searchable(encoder: Any) -> None:
    state = IndexState(encoder.identity, encoder.dim, "hnsw")
    old = "vanishing gradients in the lstm forget gate"
    new = "matplotlib colour maps for heatmaps"
    texts = [old, "conv padding", "softmax overflow", "grader timeout", "numpy install"]
    state.apply(state.prepare([doc(i, t) for i, t in enumerate(texts, 1)], encoder), [])
    state.apply(state.prepare([doc(1, new)], encoder), [])  # the same labels, re-added

    hits = search_state(state, encoder, Query(text=old, limit=10), mode="dense")
    edited = next(h for h in hits if h.doc_id == 1)
    # Scored by the new vector, not the old one still in the graph.
    expected = float(encoder.encode([doc_text(new)])[0] @ encoder.encode_query(old)[0])
    assert edited.dense_score == pytest.approx(expected, abs=1e-3)
    assert edited.dense_score < 0.5
    assert hits[0].doc_id != 1
    assert old not in edited.metadata["text"]
    top = search_state(state, encoder, Query(text=new, limit=1), mode="dense")
    assert top[0].doc_id == 1


def doc_text(text: str) -> str:
    return f"thread 1\n{text}"  # the title in front, as the index embeds a chunk
