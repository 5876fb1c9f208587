"""``search_state`` (labels resolved to rows with numpy, filters and boosts read from the
document columns, only the hits decoded) returns exactly what a plain reference computes from
the documents themselves: same hits, order, scores, ranks, chunks and metadata, under a mix of
filters, viewers, private and removed documents, documents in the lexical base and its delta;
and, asked without snippets, the same hits with no text."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from index.documents import Document
from index.fusion import rrf_score
from index.search import ACCEPTED_BOOST, ENDORSED_BOOST, STATUS_BOOST, search_state, snippet_text
from index.store import IndexState, Prepared, doc_chunks
from index.text import tokenize
from index.types import Hit, Query, Viewer
from index.vectors import make_label

pytestmark = pytest.mark.model
DocKey = tuple[str, int]
WORDS = ["lstm", "forget", "gate", "shape", "matrix", "gradient", "cost", "adam", "dropout",
         "kernel", "attention", "loss", "numpy", "axis", "broadcast", "transpose", "bias",
         "weights", "epoch", "grader"]  # fmt: skip
PHRASE = "ValueError: shapes  not ALIGNED here"


def _visible(doc: Document, query: Query) -> bool:
    """The filters and the viewer's rights, from the document's own fields and metadata."""
    meta = doc.metadata
    if query.course_id is not None and doc.course_id != query.course_id:
        return False
    if query.assignment_id is not None and doc.assignment_id != query.assignment_id:
        return False
    if query.doc_types and doc.doc_type not in query.doc_types:
        return False
    if query.statuses and doc.doc_type == "erratum" and meta.get("status") not in query.statuses:
        return False
    if not meta.get("private"):
        return True
    viewer = query.viewer
    if viewer is None:
        return False
    if viewer.staff_course_ids is None or doc.course_id in viewer.staff_course_ids:
        return True
    return viewer.user_id is not None and meta.get("owner") == viewer.user_id


def _reference(
    state: IndexState, encoder: Any, docs: dict[DocKey, Document], query: Query, mode: str
) -> list[tuple[Any, ...]]:
    """Hybrid search written against the documents: a label's document and chunk from a dict,
    filters and boosts from each document's metadata, the lexical filter as a callback."""
    text = query.text.strip()
    terms = tokenize(" ".join((text, *query.terms)))
    qvec = encoder.encode_query(text) if mode != "lexical" else None
    phrase = " ".join(text.lower().split()) if len(terms) >= 3 else ""
    depth = max(50, query.limit * 5)
    chunks = {key: doc_chunks(doc) for key, doc in docs.items()}
    where = {make_label(t, i, c): ((t, i), c) for (t, i), cs in chunks.items()
             for c in range(len(cs))}  # fmt: skip
    private = any(d.metadata.get("private") for d in docs.values())
    sees_all = query.viewer is not None and query.viewer.staff_course_ids is None
    filtered = bool(query.course_id or query.assignment_id or query.doc_types or query.statuses)
    filtered = filtered or (private and not sees_all)
    ok = {lab for lab, (key, _) in where.items() if not filtered or _visible(docs[key], query)}
    found: dict[DocKey, dict[str, Any]] = {}
    if qvec is not None:
        allowed = np.array(sorted(ok), np.int64) if filtered else None
        rank = 0
        for label, score in state.vectors.search(qvec, depth, allowed):
            if label not in ok:
                continue
            key, c = where[label]
            item = found.setdefault(key, {"chunk": c, "dense": None, "lex": None, "ds": None})
            if item["dense"] is None:
                rank += 1
                item["dense"], item["ds"] = rank, score
            if rank >= depth:
                break
    if mode != "dense":
        # The lexical base rows that pass, as a mask (as ``search_state`` gives it: a window of
        # top rows cut among equal scores then holds the same rows).
        mask = None
        if filtered:
            mask = np.array([lab in ok for lab in state.lexical.labels.tolist()], np.bool_)
        allow = ok.__contains__ if filtered else None
        lexical = state.lexical.search(terms, depth, allow, mask)
        if phrase:
            flat = {lab: " ".join(chunks[where[lab][0]][where[lab][1]].lower().split())
                    for lab, _ in lexical}  # fmt: skip
            lexical.sort(key=lambda ls: (phrase not in flat[ls[0]], -ls[1]))
        rank = 0
        for label, _ in lexical:
            key, c = where[label]
            item = found.setdefault(key, {"chunk": c, "dense": None, "lex": None, "ds": None})
            if item["lex"] is not None:
                continue
            item["chunk"] = c
            rank += 1
            item["lex"] = rank
            if rank >= depth:
                break
    scored = []
    for key, item in found.items():
        if item["dense" if mode == "dense" else "lex"] is None and mode != "hybrid":
            continue
        meta = docs[key].metadata
        boost = STATUS_BOOST.get(str(meta.get("status")), 1.0) if key[0] == "erratum" else 1.0
        if meta.get("accepted"):
            boost *= ACCEPTED_BOOST
        if meta.get("endorsed"):
            boost *= ENDORSED_BOOST
        scored.append((rrf_score((item["dense"], item["lex"])) * boost, key, item))
    scored.sort(key=lambda t: (-t[0], t[1]))
    out = []
    for score, key, item in scored[: query.limit]:
        doc = docs[key]
        plain = snippet_text(chunks[key][item["chunk"]], doc.title, set(terms))
        out.append((key, score, item["dense"], item["lex"], item["ds"], doc.title, doc.url,
                    doc.course_id, doc.assignment_id, {**doc.metadata, "text": plain}))  # fmt: skip
    return out


def _doc(rng: random.Random, doc_id: int, doc_type: str) -> Document:
    words = rng.choices(WORDS, k=rng.choice((8, 30, 120, 260, 420)))  # some of several chunks
    if rng.random() < 0.3:
        phrase = PHRASE.lower() if rng.random() < 0.5 else PHRASE
        words.insert(rng.randrange(len(words) + 1), phrase)
    meta: dict[str, Any] = {}
    if doc_type == "erratum":
        meta["status"] = rng.choice([*STATUS_BOOST, None])
    else:
        if rng.random() < 0.5:
            meta["accepted"] = rng.random() < 0.5
        if rng.random() < 0.3:
            meta["endorsed"] = True
    if rng.random() < 0.25:
        meta["private"] = True
        meta["owner"] = rng.choice((40, 41))
    if rng.random() < 0.1:
        meta["tags"] = ("kept", "as", "a", "tuple")  # read back as a list: kept as a dict
    return Document(doc_type, doc_id, f"{doc_type} {doc_id} {rng.choice(WORDS)}",
                    " ".join(words), f"/{doc_type}/{doc_id}", rng.choice((1, 2, 3)),
                    rng.choice((None, 10, 11)), meta)  # fmt: skip


def _rank_key(h: Hit) -> tuple[Any, ...]:
    return (h.doc_type, h.doc_id, h.score, h.dense_rank, h.lexical_rank, h.dense_score, h.title)


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_search_matches_a_reference_computed_from_the_documents(encoder: Any, kind: str) -> None:
    rng = random.Random(7)
    nprng = np.random.default_rng(7)
    state = IndexState(encoder.identity, encoder.dim, kind)
    docs: dict[DocKey, Document] = {}

    def put(batch: list[Document], same_text: bool = False) -> None:
        prepared = []
        for d in batch:
            chunks = doc_chunks(d)
            vectors = None
            if not same_text:
                vectors = nprng.standard_normal((len(chunks), encoder.dim)).astype(np.float32)
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            prepared.append(Prepared(d, chunks, vectors))
            docs[(d.doc_type, d.doc_id)] = d
        state.apply(prepared, [])

    types = ("thread", "post", "erratum")
    put([_doc(rng, i, types[i % 3]) for i in range(1, 151)])
    state.compact()  # these in the lexical base
    put([_doc(rng, i, types[i % 3]) for i in range(151, 201)])  # these in its delta
    put([_doc(rng, i, types[i % 3]) for i in (5, 160)])  # new texts: base row dead, delta row
    changed = []
    for i in (7, 8, 9, 170, 171):  # same texts, new filter and boost fields
        old = docs[(types[i % 3], i)]
        meta = {**old.metadata, "private": not old.metadata.get("private"), "owner": 41}
        if old.doc_type == "erratum":
            meta["status"] = "verified"
        else:
            meta["accepted"] = True
        changed.append(Document(old.doc_type, i, old.title, old.text, old.url, 3,
                                old.assignment_id, meta))  # fmt: skip
    put(changed, same_text=True)
    removed = [(types[i % 3], i) for i in (11, 12, 13, 180, 181)]
    state.apply([], removed)
    for key in removed:
        del docs[key]

    viewers = (None, Viewer(user_id=40), Viewer(staff_course_ids=frozenset({2})),
               Viewer(staff_course_ids=None),
               Viewer(user_id=41, staff_course_ids=frozenset()))  # fmt: skip
    filters: tuple[dict[str, Any], ...] = (
        {}, {"course_id": 2}, {"assignment_id": 10}, {"doc_types": ("erratum",)},
        {"statuses": ("verified", "fixed")}, {"course_id": 3, "doc_types": ("thread", "post")},
        {"limit": 3}, {"limit": 40},
    )  # fmt: skip
    texts = ("lstm forget gate gradient", f"grader says {PHRASE} in numpy axis", "adam")
    compared = hits = 0
    for text in texts:
        for f in filters:
            for viewer in viewers:
                for mode in ("hybrid", "dense", "lexical"):
                    query = Query(text=text, viewer=viewer, **f)
                    found = search_state(state, encoder, query, mode=mode)
                    got = [((h.doc_type, h.doc_id), h.score, h.dense_rank, h.lexical_rank,
                            h.dense_score, h.title, h.url, h.course_id, h.assignment_id,
                            h.metadata) for h in found]  # fmt: skip
                    want = _reference(state, encoder, docs, query, mode)
                    assert got == want, (text, f, viewer, mode)
                    assert all(_visible(docs[g[0]], Query("", **f, viewer=viewer)) for g in got)
                    # Without snippets (the assistant): the same hits, no chunk text decoded.
                    bare = search_state(state, encoder, replace(query, snippets=False), mode=mode)
                    assert [_rank_key(h) for h in bare] == [_rank_key(h) for h in found]
                    assert all(h.snippet == "" and h.metadata["text"] == "" for h in bare)
                    compared += 1
                    hits += len(got)
    assert compared == len(texts) * len(filters) * len(viewers) * 3 and hits > 1000
