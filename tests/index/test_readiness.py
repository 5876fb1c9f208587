"""ACCEPTANCE X6: while a replica loads, rebuilds or catches up, /readyz is 503 and search and
ask answer 503 with Retry-After (never a false "no match", never logged as one); a half-built
rebuild is never searched."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from app.app import create_app
from assistant.models import AskLog
from core.errors import ServiceUnavailable
from index import indexer
from index.runtime import Runtime
from index.search import search
from index.types import Query
from tests.index.conftest import Forum

pytestmark = pytest.mark.model
GUARD = 60.0  # deadlock guard for waits, not a timing


def wait_ready(client: TestClient) -> None:
    deadline = time.monotonic() + GUARD
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the replica never became ready"
        time.sleep(0.05)


def test_readyz_and_search_and_ask_are_503_until_loaded(
    forum: Forum, index_runtime: Runtime, loading_held: threading.Event
) -> None:
    thread = forum.thread("LSTM forget gate saturates", "Why does lstm_forward saturate?")
    release = loading_held
    with TestClient(create_app(index_runtime.settings)) as client:
        try:
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["status"] == "not ready" and ready.json()["reason"]
            assert client.get("/healthz").status_code == 200  # alive, just not ready
            r = client.get("/api/v1/search", params={"q": "lstm forget gate"})
            assert r.status_code == 503 and r.headers["Retry-After"] == "5"
            assert "try again" in r.json()["detail"]
            r = client.post("/api/v1/ask", json={"question": "Why does lstm_forward saturate?"})
            assert r.status_code == 503 and r.headers["Retry-After"]
            asks = forum.session.exec(select(func.count()).select_from(AskLog)).one()
            assert asks == 0  # nothing logged, least of all to the no-match queue
        finally:
            release.set()
        wait_ready(client)
        assert client.get("/readyz").json()["status"] == "ready"
        r = client.get("/api/v1/search", params={"q": "lstm forget gate"})
        assert r.status_code == 200
        assert r.json()["data"][0]["id"] == thread.id


def test_half_built_rebuild_is_never_searched(
    forum: Forum, index_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3):
        forum.thread(f"Question {i} about lstm_forward", "The gates saturate.")
    monkeypatch.setattr(indexer, "REBUILD_BATCH", 1)
    second_batch, release = threading.Event(), threading.Event()
    original = indexer.load_documents
    calls: list[int] = []

    def held_load(session: Any, keys: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:  # one document is in the new index, two are not yet
            second_batch.set()
            release.wait(GUARD)
        return original(session, keys)

    monkeypatch.setattr(indexer, "load_documents", held_load)
    index_runtime.start()  # no saved index: the thread rebuilds from the database
    try:
        assert second_batch.wait(GUARD)
        assert index_runtime.not_ready_reason().startswith("rebuilding")
        with pytest.raises(ServiceUnavailable):
            search(None, Query(text="lstm_forward gates saturate"))
    finally:
        release.set()
    deadline = time.monotonic() + GUARD
    while index_runtime.not_ready_reason():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert len(search(None, Query(text="lstm_forward gates saturate"))) == 3
