"""ACCEPTANCE X1 and X2: the index follows the database exactly, and searches running while it
changes never fail or see half of a change."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import Session

from errata.models import Erratum
from forum.models import Post, Thread
from index.documents import Document
from index.indexer import check, searchable_keys
from index.search import search, search_state
from index.store import IndexState
from index.types import Query
from tests.index.conftest import Forum

pytestmark = pytest.mark.model

WORDS = ["lstm", "gradient", "kernel", "softmax", "a_next", "dW1", "padding", "grader", "numpy"]
text_st = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)


def test_index_matches_database_after_random_changes(forum: Forum, index_runtime: Any) -> None:
    """X1: random create/edit/delete/verify/reject; after the indexer runs, index == rows."""
    session: Session = forum.session

    class Machine(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            self.threads: list[Thread] = []
            self.posts: list[Post] = []
            self.errata: list[Erratum] = []

        @rule(title=text_st, body=text_st)
        def create_thread(self, title: str, body: str) -> None:
            self.threads.append(forum.thread(title, body))

        @rule(data=st.data(), body=text_st)
        def reply(self, data: st.DataObject, body: str) -> None:
            if self.threads:
                self.posts.append(forum.reply(data.draw(st.sampled_from(self.threads)), body))

        @rule(data=st.data(), title=text_st)
        def edit_thread(self, data: st.DataObject, title: str) -> None:
            if self.threads:
                forum.edit_thread(data.draw(st.sampled_from(self.threads)), title)

        @rule(data=st.data())
        def delete_thread(self, data: st.DataObject) -> None:
            if self.threads:
                forum.delete_thread(data.draw(st.sampled_from(self.threads)))

        @rule(data=st.data())
        def delete_post(self, data: st.DataObject) -> None:
            if self.posts:
                forum.delete_post(data.draw(st.sampled_from(self.posts)))

        @rule(title=text_st)
        def report(self, title: str) -> None:
            self.errata.append(forum.erratum(title, title))

        @rule(data=st.data(), status=st.sampled_from(["verified", "rejected", "fixed"]))
        def transition(self, data: st.DataObject, status: str) -> None:
            if self.errata:
                forum.set_status(data.draw(st.sampled_from(self.errata)), status)

        @invariant()
        def index_equals_searchable_rows(self) -> None:
            index_runtime.sync()
            state = index_runtime.state()
            drift = check(session, state)
            assert drift.ok, drift
            expected = searchable_keys(session)
            for word in ("lstm", "a_next", "grader"):
                for hit in search(None, Query(text=word, limit=50)):
                    assert (hit.doc_type, hit.doc_id) in expected

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=8,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


def _generation_doc(i: int, gen: int) -> Document:
    return Document(
        doc_type="thread", doc_id=i, title=f"gradient question {i}",
        text=f"generation g{gen} of the vanishing gradient discussion {i}", url=f"/threads/{i}",
        course_id=1, metadata={"gen": gen},
    )  # fmt: skip


def test_search_while_indexing_sees_whole_batches(encoder: Any) -> None:
    """X2: readers in threads while a writer swaps whole batches: no errors, no mixed batch."""
    state = IndexState(encoder.identity, encoder.dim, "flat")
    docs = list(range(1, 9))
    state.apply(state.prepare([_generation_doc(i, 0) for i in docs], encoder), [])
    # Pre-embed a few generations so the writer spends its time in apply(), not the model.
    batches = [state.prepare([_generation_doc(i, g) for i in docs], encoder) for g in range(1, 4)]
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: list[set[int]] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                for mode in ("hybrid", "dense", "lexical"):
                    hits = search_state(
                        state,
                        encoder,
                        Query(text="vanishing gradient", limit=20),
                        mode=mode,  # type: ignore[arg-type]
                    )
                    gens = {h.metadata["gen"] for h in hits}
                    seen.append(gens)
                    assert len(hits) == len(docs), hits
                    assert len(gens) == 1, gens  # one batch, never half of two
        except BaseException as exc:
            errors.append(exc)

    def writer() -> None:
        try:
            for round_ in range(60):
                batch = batches[round_ % len(batches)]
                # Remove everything and add it back in one apply: torn reads would see gaps.
                state.apply(batch, [("thread", i) for i in docs])
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in readers:
        t.start()
    w = threading.Thread(target=writer)
    w.start()
    w.join()
    stop.set()
    for t in readers:
        t.join()
    assert not errors, errors[0]
    assert seen
    assert state.chunk_count() == len(docs)
    assert state.vectors.ntotal == len(docs)


def test_background_indexer_makes_changes_searchable(forum: Forum, index_runtime: Any) -> None:
    """The thread tails the outbox: a committed thread becomes searchable without a sync call."""
    import time

    index_runtime.state()  # open before starting so the poll loop is all that remains
    index_runtime.start()
    t = forum.thread("Tensorflow session crashed", "The okapi_layer raises in call()")
    deadline = time.monotonic() + 20
    state = index_runtime.state()
    while time.monotonic() < deadline:
        with state.lock.read():
            if ("thread", t.id) in state.docs:
                break
        time.sleep(0.05)
    hits = search(None, Query(text="okapi_layer"))
    assert [(h.doc_type, h.doc_id) for h in hits] == [("thread", t.id)]
    index_runtime.stop(save=True)
    assert index_runtime.path.exists()
