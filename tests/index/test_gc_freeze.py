"""After start-up the app hands what start-up made to the garbage collector's permanent
generation (``gc.freeze``, app/app.py): full collections then skip the loaded index and the
modules, which made a 180 ms pause every few hundred asks. Not before the index is loaded (what
it loads would be left out), and not at all when ``gc_freeze`` is off."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.app import create_app
from index.runtime import Runtime
from tests.index.conftest import Forum

pytestmark = pytest.mark.model
GUARD = 60.0  # deadlock guard for waits, not a timing


@pytest.fixture()
def unfrozen() -> Iterator[None]:
    gc.unfreeze()  # the suite runs with gc_freeze off; start from nothing frozen either way
    yield
    gc.unfreeze()


def test_start_up_is_frozen_once_the_index_is_loaded_not_before(
    forum: Forum, index_runtime: Runtime, unfrozen: None, loading_held: threading.Event
) -> None:
    forum.thread("LSTM forget gate saturates", "Why does lstm_forward saturate?")
    release = loading_held
    settings = index_runtime.settings.model_copy(update={"gc_freeze": True})
    with TestClient(create_app(settings)) as client:
        try:
            assert client.get("/readyz").status_code == 503
            time.sleep(1.0)  # two polls of the settling task while the index loads
            assert gc.get_freeze_count() == 0
        finally:
            release.set()
        deadline = time.monotonic() + GUARD
        while gc.get_freeze_count() == 0:
            assert time.monotonic() < deadline, "start-up was never frozen"
            time.sleep(0.05)
        assert client.get("/readyz").status_code == 200
        # Everything alive after start-up: the modules alone are tens of thousands of objects.
        assert gc.get_freeze_count() > 10_000
        assert client.get("/api/v1/search", params={"q": "lstm forget gate"}).status_code == 200


def test_nothing_is_frozen_when_gc_freeze_is_off(index_runtime: Runtime, unfrozen: None) -> None:
    settings = index_runtime.settings.model_copy(
        update={"gc_freeze": False, "index_enabled": False}
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 200
        time.sleep(1.0)
        assert gc.get_freeze_count() == 0
