"""Changing the embedding model: the previous model's index keeps serving (and keeps applying
new posts) while the new model's index is built in the background, then the server switches.
Never a 503 or a "no match" because the model changed."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import numpy as np
import pytest
from sqlmodel import Session

from core.db import get_engine
from index import runtime as runtime_module
from index.encoder import DEFAULT_MODEL, Encoder, resolve_model
from index.indexer import Tailer, check_stamp, event_stamp
from index.runtime import Runtime
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


def _finds(runtime: Runtime, text: str, doc_id: int | None) -> bool:
    return any(h.doc_id == doc_id for h in runtime.search(Query(text=text, limit=5)))


def test_new_model_is_built_in_the_background_while_the_old_index_serves(
    forum: Forum, index_runtime: Runtime, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = forum.thread("LSTM forget gate saturates", "lstm_forward output explodes")
    # The index this server saved under its previous model (the same weights under another
    # name, so that the test loads nothing new).
    old = Encoder(resolve_model(DEFAULT_MODEL), encoder.backend)
    assert old.identity != encoder.identity == index_runtime.encoder_identity()
    saved = IndexState(old.identity, old.dim, index_runtime.kind)
    with Session(get_engine()) as session:
        Tailer().catch_up(session, saved, old)
        saved.stamp = event_stamp(session, saved.seq)
    saved.save(index_runtime.path)

    building, release = threading.Event(), threading.Event()
    original = runtime_module.rebuild

    def held_rebuild(*args: Any, progress: Any, **kwargs: Any) -> Any:
        def held(done: int, total: int) -> None:
            building.set()
            while not release.is_set():  # the new build waits; the old index keeps current
                progress(done, total)
                release.wait(0.05)
            progress(done, total)

        return original(*args, progress=held, **kwargs)

    monkeypatch.setattr(runtime_module, "rebuild", held_rebuild)
    index_runtime.start()
    try:
        assert building.wait(GUARD), "the new model's index was never started"
        assert index_runtime.not_ready_reason() == ""  # ready: no 503 during the switch
        status = index_runtime.status()
        assert status["model"] == old.identity and status["switching_to"] == encoder.identity
        assert _finds(index_runtime, "lstm forget gate saturates", first.id)
        # A post written during the switch is searchable in the serving (old) index.
        second = forum.thread("Adam bias correction", "update_parameters_with_adam explodes")
        _wait(lambda: _finds(index_runtime, "adam bias correction", second.id),
              "a post written during the switch was not searchable")  # fmt: skip
        assert index_runtime.status()["switching_to"] == encoder.identity
    finally:
        release.set()
    _wait(lambda: index_runtime.status()["switching_to"] is None, "never switched")
    assert index_runtime.status()["model"] == encoder.identity
    assert _finds(index_runtime, "lstm forget gate saturates", first.id)
    assert _finds(index_runtime, "adam bias correction", second.id)
    with np.load(index_runtime.path) as z:  # saved under the new model for the next start
        assert json.loads(z["header"].tobytes())["model"] == encoder.identity
    kind = index_runtime.kind
    reloaded = IndexState.load(index_runtime.path, encoder.identity, encoder.dim, kind)
    with Session(get_engine()) as session:
        check_stamp(session, reloaded)  # current: a restart loads it rather than rebuild
    assert {("thread", first.id), ("thread", second.id)} <= reloaded.doc_keys()
