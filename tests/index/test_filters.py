"""Invariant 4: filters are applied inside the search. A course filter whose answer ranks below
the global top 1,000 still finds it (dense search used to take the top 1,000, then filter)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from index.documents import Document
from index.search import search_state
from index.store import IndexState, Prepared, doc_chunks
from index.types import Query

pytestmark = pytest.mark.model
QUERY = "why does my lstm forget gate saturate"


def prepared(doc_id: int, course_id: int, vector: Any) -> Prepared:
    title, url = f"thread {doc_id}", f"/t/{doc_id}"
    doc = Document("thread", doc_id, title, f"text {doc_id}", url, course_id)
    return Prepared(doc, doc_chunks(doc), np.asarray(vector, np.float32).reshape(1, -1))


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_course_filter_finds_answer_ranked_below_global_top_1000(encoder: Any, kind: str) -> None:
    state = IndexState(encoder.identity, encoder.dim, kind)
    q = encoder.encode_query(QUERY)[0]
    rng = np.random.default_rng(0)
    # 1,500 chunks of course 1, all nearer the query than the one answer in course 2.
    near = q + 0.05 * rng.standard_normal((1500, encoder.dim)).astype(np.float32)
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    answer = encoder.encode(["thread 2000\nmatplotlib colour maps"])[0]
    state.apply([prepared(i, 1, near[i]) for i in range(1500)] + [prepared(2000, 2, answer)], [])
    assert all(float(v @ q) > float(answer @ q) for v in near)

    hits = search_state(state, encoder, Query(text=QUERY, course_id=2), mode="dense")
    assert [h.doc_id for h in hits] == [2000]
    hits = search_state(state, encoder, Query(text=QUERY, course_id=1, limit=3), mode="dense")
    assert len(hits) == 3 and all(h.course_id == 1 for h in hits)
