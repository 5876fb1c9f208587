"""ACCEPTANCE X5: on PostgreSQL a transaction can commit its outbox event (a lower seq) after a
later one has committed and been applied; the change must still reach the index."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.db import get_engine
from forum.models import Thread
from index.events import record
from index.indexer import check
from index.runtime import Runtime
from index.search import search
from index.types import Query
from tests.conftest import TEST_DB
from tests.index.conftest import Forum

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(TEST_DB != "postgresql", reason="SQLite commits in sequence order"),
]


def top_thread(text: str) -> int | None:
    hits = search(None, Query(text=text, doc_types=("thread",), limit=1))
    return hits[0].doc_id if hits else None


def test_late_commit_of_lower_seq_is_applied_after_rebuild_and_catch_up(
    forum: Forum, index_runtime: Runtime
) -> None:
    edited = forum.thread("Padding question", "How much padding does conv_forward add?")
    index_runtime.sync()
    # A second connection edits the thread and writes its event (seq n) but does not commit.
    with Session(get_engine(), expire_on_commit=False) as late:
        thread = late.get(Thread, edited.id)
        assert thread is not None and thread.id is not None
        thread.title = "Vanishing gradients in the LSTM forget gate"
        late.add(thread)
        record(late, doc_type="thread", doc_id=thread.id)
        late.flush()
        # Meanwhile a later event (seq n+1) commits, and the replica rebuilds and catches up.
        forum.thread("Grader timeout", "The autograder stops after ten minutes.")
        index_runtime.rebuild_now()
        index_runtime.sync()
        assert top_thread("Vanishing gradients LSTM forget gate") != edited.id
        late.commit()
    index_runtime.sync()
    assert top_thread("Vanishing gradients LSTM forget gate") == edited.id
    with Session(get_engine()) as fresh:  # forum.session still holds the old title
        assert check(fresh, index_runtime.state()).ok


def test_snapshot_from_another_cluster_is_stale(forum: Forum, index_runtime: Runtime) -> None:
    from index.indexer import StaleIndex, Tailer

    forum.thread("Padding question", "How much padding does conv_forward add?")
    state = index_runtime.state()
    state.snapshot = "9000000000:9000000001:"  # transaction ids this cluster has not reached
    with Session(get_engine()) as session, pytest.raises(StaleIndex):
        Tailer().step(session, state, index_runtime.encoder())
