"""Invariant 7 under an import: a serving index encodes new posts in a low-priority process of
its own, and its thread gives way to queries between small slices of work."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

import pytest
from sqlmodel import Session

from core.db import get_engine
from index.indexer import DOC_BATCH, Tailer
from index.runtime import THREAD_NAME, Runtime
from index.search import search_state
from index.store import IndexState
from index.types import Query
from tests.index.conftest import Forum

pytestmark = pytest.mark.model
GUARD = 60.0  # deadlock guard for waits, not a timing


def _wait(condition: Any, what: str) -> None:
    deadline = time.monotonic() + GUARD
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _finds(runtime: Runtime, text: str, thread_id: int) -> bool:
    return any(h.doc_id == thread_id for h in runtime.search(Query(text=text, limit=5)))


def test_serving_index_encodes_new_posts_in_a_low_priority_process(
    forum: Forum, index_runtime: Runtime, encoder: Any
) -> None:
    forum.thread("Padding in conv_forward", "How much zero padding for a 3x3 filter?")
    default_switch = sys.getswitchinterval()
    index_runtime.start()
    # Request threads wait at most 1 ms for the GIL while the indexer runs Python.
    assert sys.getswitchinterval() <= 0.001
    _wait(lambda: not index_runtime.not_ready_reason(), "the index never became ready")
    here = encoder.encoded
    thread = forum.thread("Adam bias correction", "update_parameters_with_adam explodes at t=0")
    assert thread.id is not None
    _wait(lambda: _finds(index_runtime, "adam bias correction", thread.id), "never indexed")
    background = index_runtime._background
    assert background is not None and background.pid not in (None, os.getpid())
    assert encoder.encoded == here  # the serving process encoded no chunk of it
    assert background.encoded >= 1
    assert index_runtime.encoded() == here + background.encoded  # still counted (X4)
    # The kernel runs the queries first: the encoding process is niced.
    assert os.getpriority(os.PRIO_PROCESS, background.pid) >= os.getpriority(os.PRIO_PROCESS, 0) + 5
    index_runtime.stop(save=False)
    assert sys.getswitchinterval() == default_switch  # the process's own again


def test_catch_up_gives_way_between_slices_with_no_lock_held(forum: Forum, encoder: Any) -> None:
    first = forum.thread("LSTM forget gate saturates", "lstm_forward output explodes")
    assert first.id is not None
    for i in range(2 * DOC_BATCH):
        forum.thread(f"Question {i} about pooling", f"pool_backward mask number {i}")
    state = IndexState(encoder.identity, encoder.dim)
    answers: list[int] = []

    def query_meanwhile() -> None:
        # A query arriving mid catch-up runs now: the tailer holds no index lock here.
        if state.docs:
            hits = search_state(state, encoder, Query(text="lstm forget gate", limit=3))
            answers.append(len(hits))

    with Session(get_engine()) as session:
        Tailer(pause=query_meanwhile).catch_up(session, state, encoder)
    assert len(answers) >= 2  # it gave way more than once, with part of the work done
    assert len(state.docs) >= 2 * DOC_BATCH + 1
    hits = search_state(state, encoder, Query(text="lstm forget gate saturates", limit=1))
    assert hits[0].doc_id == first.id


def test_a_stopping_server_leaves_the_backlog_to_the_next_start(
    forum: Forum, index_runtime: Runtime, encoder: Any
) -> None:
    # The indexing thread stops at its next slice when the server shuts down (it used to apply
    # the whole backlog first, holding the exit); what it skipped is applied on the next start.
    threads = [forum.thread(f"Question {i} about pooling", f"pool_backward {i}") for i in range(3)]
    state = IndexState(encoder.identity, encoder.dim)
    index_runtime._stop.set()
    caught: list[BaseException] = []

    def indexer() -> None:
        try:
            with Session(get_engine()) as session:
                index_runtime._new_tailer().catch_up(session, state, encoder)
        except BaseException as exc:  # reported below
            caught.append(exc)

    worker = threading.Thread(target=indexer, name=THREAD_NAME)
    worker.start()
    worker.join(GUARD)
    assert caught and "stopped for shutdown" in str(caught[0])
    assert state.seq == 0  # its position did not move: nothing is skipped for good
    with Session(get_engine()) as session:  # the next start applies everything
        Tailer().catch_up(session, state, encoder)
    assert {("thread", t.id) for t in threads} <= state.doc_keys()
