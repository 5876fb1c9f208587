"""ACCEPTANCE X4 and scale-out: two app processes on one PostgreSQL, each with its own index.

Two uvicorn processes on different ports share the test database; each has its own data dir and
so its own index replica, kept current by tailing the outbox. A thread and an erratum written
through one must become searchable through the other within the documented bound (2 s). The
measured delays are printed (``-s``); ``bench/scaleout.py`` measures their distribution.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from forum.models import Course
from tests.conftest import TEST_DB, LiveServer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from scaleout import BOUND_SECONDS, write_and_wait  # noqa: E402

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        TEST_DB != "postgresql",
        reason="scale-out needs one shared server database; SQLite is one file on one machine",
    ),
]


@pytest.fixture()
def two_servers(
    test_env: dict[str, str], db: None, tmp_path: Path
) -> Iterator[tuple[LiveServer, LiveServer]]:
    servers = []
    try:
        for name in ("a", "b"):
            server = LiveServer(
                test_env,
                {"CHECKFIRST_INDEX_ENABLED": "true", "CHECKFIRST_DATA_DIR": str(tmp_path / name)},
            )
            servers.append(server.start(timeout=300))
            # /readyz is 503 until the model and the replica's first load are done.
            deadline = time.monotonic() + 300
            while httpx.get(f"{server.url}/readyz", timeout=30).status_code != 200:
                assert time.monotonic() < deadline, "the replica never became ready"
                time.sleep(0.2)
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


def test_write_through_one_server_is_searchable_through_the_other_within_2s(
    session: Session,
    make_user: Callable[..., Any],
    token_for: Callable[..., dict[str, str]],
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    a, b = two_servers
    session.add(Course(slug="scale-out", title="Scale-out"))
    session.commit()
    headers = token_for(make_user("writer", "moderator"))
    delays = {
        "thread a→b": write_and_wait(a.url, b.url, headers, "scale-out", kind="thread"),
        "erratum b→a": write_and_wait(b.url, a.url, headers, "scale-out", kind="erratum"),
        "erratum a→b": write_and_wait(a.url, b.url, headers, "scale-out", kind="erratum"),
        "thread b→a": write_and_wait(b.url, a.url, headers, "scale-out", kind="thread"),
    }
    print("propagation delays:", {k: f"{v * 1000:.0f} ms" for k, v in delays.items()})
    # The documented invariant (README, deployment notes), not a micro-benchmark.
    slow = {k: v for k, v in delays.items() if v > BOUND_SECONDS}
    assert not slow, f"over the documented {BOUND_SECONDS:.0f} s bound: {slow}"
