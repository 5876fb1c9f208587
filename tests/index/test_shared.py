"""One index per server (invariant 3): the workers of one data dir elect one leader that runs the
index; the others search through it, and one of them takes over when it stops or dies."""

from __future__ import annotations

import time
from typing import Any

import pytest

from core.errors import ServiceUnavailable
from index.events import record
from index.runtime import Runtime
from index.types import Query
from tests.index.conftest import Forum

pytestmark = pytest.mark.model
GUARD = 60.0  # deadlock guard for waits, not a timing


def _wait(predicate: Any, what: str) -> Any:
    deadline = time.monotonic() + GUARD
    while True:
        try:
            value = predicate()
        except ServiceUnavailable:
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _ids(runtime: Runtime, text: str) -> list[int]:
    return [h.doc_id for h in runtime.search(Query(text=text), "hybrid")]


def test_second_worker_searches_through_the_leader_and_takes_over_when_it_stops(
    forum: Forum, index_runtime: Runtime
) -> None:
    leader = index_runtime
    follower = Runtime(leader.settings)  # a second worker of the same server (same data dir)
    try:
        leader.start()
        follower.start()
        assert (leader.role, follower.role) == ("leader", "follower")
        status = _wait(lambda: not follower.status().get("reason") and follower.status(), "ready")
        assert status["leader_pid"] == leader.status()["pid"]
        assert follower._state is None  # the follower holds no index of its own

        # A write is searchable through the follower: the leader tails the outbox.
        thread = forum.thread("LSTM forget gate saturates", "Why does lstm_forward saturate?")
        assert thread.id in _wait(lambda: _ids(follower, "lstm forget gate"), "never visible")
        text, course = follower.first_chunk("thread", thread.id)
        assert "forget gate" in text and course == forum.course.id

        # The leader stops (or dies): the follower takes the lock and serves from the saved file.
        leader.stop(save=True)
        _wait(lambda: follower.role == "leader", "the follower never took over")
        assert thread.id in _wait(lambda: _ids(follower, "lstm forget gate"), "lost after takeover")
    finally:
        follower.stop(save=False)


def test_follower_answers_503_while_no_leader_answers(index_runtime: Runtime) -> None:
    follower = Runtime(index_runtime.settings)
    from index.shared import LeaderLock

    held = LeaderLock(index_runtime.index_dir / "leader.lock")
    assert held.acquire(blocking=False)  # a leader that holds the lock but does not answer yet
    try:
        follower.start()
        assert follower.role == "follower"
        with pytest.raises(ServiceUnavailable) as caught:
            follower.search(Query(text="anything"))
        assert caught.value.retry_after
        assert follower.status()["reason"]  # /readyz: 503, never an empty "no match"
    finally:
        follower.stop(save=False)
        held.release()


def test_a_private_thread_is_found_through_the_follower_by_those_who_may_see_it(
    forum: Forum, index_runtime: Runtime
) -> None:
    """A signed-in learner's search carries who they are (``Query.viewer``) to the leader: their
    own private thread is found through any worker, and nobody else's search finds it."""
    from index.types import Viewer

    leader = index_runtime
    follower = Runtime(leader.settings)
    try:
        leader.start()
        follower.start()
        assert follower.role == "follower"
        thread = forum.thread("Private: my dropout mask question", "dropout mask keep_prob private")
        thread.is_private = True
        forum.session.add(thread)
        record(forum.session, doc_type="thread", doc_id=thread.id)
        forum.session.commit()
        assert forum.user.id is not None

        def found(viewer: Viewer | None) -> bool:
            query = Query(text="dropout mask keep_prob private", viewer=viewer)
            return thread.id in [h.doc_id for h in follower.search(query, "hybrid")]

        author = Viewer(user_id=forum.user.id)
        assert _wait(lambda: found(author) and not found(None), "never indexed as private")
        staff = Viewer(user_id=forum.user.id + 1000, staff_course_ids=frozenset({forum.course.id}))
        assert found(staff)
        assert not found(Viewer(user_id=forum.user.id + 1000))
    finally:
        follower.stop(save=False)
