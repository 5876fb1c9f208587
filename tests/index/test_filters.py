"""Invariant 4: filters are applied inside the search. A course filter whose answer ranks below
the global top 1,000 still finds it (dense search used to take the top 1,000, then filter)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from index.documents import Document
from index.search import search_state
from index.store import IndexState, Prepared, doc_chunks
from index.types import Query, Viewer

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


def _doc(doc_id: int, course_id: int, doc_type: str = "thread", **meta: Any) -> Document:
    return Document(doc_type, doc_id, f"{doc_type} {doc_id}", f"text {doc_id}", f"/t/{doc_id}",
                    course_id, None, meta)  # fmt: skip


def _found(state: IndexState, encoder: Any, **filters: Any) -> set[int]:
    query = Query(text=QUERY, limit=50, **filters)
    return {h.doc_id for h in search_state(state, encoder, query, mode="dense")}


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_filters_follow_edits_to_indexed_and_new_documents(encoder: Any, kind: str) -> None:
    """Dense filters see documents in the lexical base, new ones since (its delta), and
    filter fields changed without a text change (status, course, privacy)."""
    state = IndexState(encoder.identity, encoder.dim, kind)
    rng = np.random.default_rng(1)

    def put(docs: list[Document]) -> None:
        vectors = rng.standard_normal((len(docs), encoder.dim)).astype(np.float32)
        pairs = zip(docs, vectors, strict=True)
        state.apply([Prepared(d, doc_chunks(d), v.reshape(1, -1)) for d, v in pairs], [])

    put([_doc(1, 1), _doc(2, 1), _doc(3, 2, "erratum", status="reported"),
         _doc(4, 2, private=True, owner=40)])  # fmt: skip
    state.compact()  # into the lexical base
    put([_doc(5, 2)])  # the delta
    assert _found(state, encoder, course_id=2) == {3, 5}
    assert _found(state, encoder, course_id=2, viewer=Viewer(user_id=40)) == {3, 4, 5}
    assert _found(state, encoder, statuses=("verified",)) == {1, 2, 5}

    # Same texts, new filter fields: the vectors stay, the filters move.
    same = [_doc(1, 2), _doc(3, 2, "erratum", status="verified"), _doc(4, 2)]
    state.apply([Prepared(d, doc_chunks(d), None) for d in same], [])
    assert _found(state, encoder, course_id=2) == {1, 3, 4, 5}
    assert _found(state, encoder, course_id=1) == {2}
    assert _found(state, encoder, statuses=("verified",)) == {1, 2, 3, 4, 5}
    assert _found(state, encoder, doc_types=("erratum",), statuses=("reported",)) == set()

    state.apply([Prepared(_doc(5, 2, private=True, owner=50), doc_chunks(_doc(5, 2)), None)], [])
    assert _found(state, encoder, course_id=2) == {1, 3, 4}
    staff = Viewer(staff_course_ids=frozenset({2}))
    assert _found(state, encoder, course_id=2, viewer=staff) == {1, 3, 4, 5}
    state.apply([], [("thread", 1)])
    assert _found(state, encoder, course_id=2, viewer=Viewer(user_id=50)) == {3, 4, 5}
