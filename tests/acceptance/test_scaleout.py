"""ACCEPTANCE X4: two app servers x two workers (``uvicorn --workers 2``) on one PostgreSQL and the
real Redis on 127.0.0.1:6379.

Each server has its own data dir and so one index, run by one of its workers for both
(``index.shared``). Checked, by counting rather than by the clock (the suites share two cores):
each write is encoded exactly once over all four processes; a write through either server
becomes searchable through both (a generous deadline; the delays are printed, and
``bench/scaleout.py`` reports their p95 against the documented 2 s); one login limit holds across
all four processes; and ``kill -9`` of a whole server while a client writes through it loses no
acknowledged write, and ``checkfirst index check`` is clean after it restarts.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from forum.models import Course, Thread
from tests.conftest import ROOT, TEST_DB

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from scaleout import (  # noqa: E402
    encoded_total,
    kill_server,
    start_server,
    stop_server,
    wait_visible,
    write,
)

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        TEST_DB != "postgresql",
        reason="scale-out needs one shared server database; SQLite is one file on one machine",
    ),
]
REDIS_HOST = "redis://127.0.0.1:6379"
DEADLINE = 120.0  # "it becomes visible at all": generous, the machine is shared
LOGIN = "/api/v1/auth/login"


@pytest.fixture()
def redis_url() -> Iterator[str]:
    """A Redis database number of this run's own (8-15), flushed after: counters start at 0."""
    import redis

    url = f"{REDIS_HOST}/{random.randint(8, 15)}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


class Cluster:
    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env = env
        self.dirs = [str(tmp / "a"), str(tmp / "b")]
        self.procs: list[Any] = [None, None]
        self.urls = ["", ""]
        self.ports = [0, 0]

    def start(self, i: int) -> None:
        proc, url = start_server(self.env, self.dirs[i], workers=2, port=self.ports[i] or None)
        self.procs[i], self.urls[i] = proc, url
        self.ports[i] = int(url.rsplit(":", 1)[1])

    def stop(self) -> None:
        for proc in self.procs:
            if proc is not None:
                stop_server(proc)


@pytest.fixture()
def cluster(
    test_env: dict[str, str], db: None, tmp_path: Path, redis_url: str
) -> Iterator[Cluster]:
    env = {**os.environ, **test_env, "CHECKFIRST_REDIS_URL": redis_url}
    c = Cluster(env, tmp_path)
    try:
        c.start(0)
        c.start(1)
        yield c
    finally:
        c.stop()


def _status(url: str) -> dict[str, Any]:
    return dict(httpx.get(f"{url}/readyz", timeout=30).json())


def test_two_servers_of_two_workers_embed_once_share_limits_and_survive_kill_9(
    session: Session,
    make_user: Callable[..., Any],
    token_for: Callable[..., dict[str, str]],
    cluster: Cluster,
) -> None:
    session.add(Course(slug="scale-out", title="Scale-out"))
    session.commit()
    headers = token_for(make_user("writer", "moderator"))
    a, b = cluster.urls

    # One index per server: every answer of a server names the same leader worker.
    for url in (a, b):
        leaders = {_status(url).get("leader_pid") for _ in range(12)}
        roles = {_status(url)["role"] for _ in range(12)}
        assert len(leaders) == 1 and None not in leaders, leaders
        assert roles <= {"leader", "follower"}

    # Writes through either server, visible through both; each chunk encoded exactly once.
    before = encoded_total(cluster.dirs)
    delays: dict[str, float] = {}
    written = []
    for i in range(8):
        writer = (a, b)[i % 2]
        kind = ("thread", "erratum")[i % 4 // 2]
        doc_type, doc_id, marker = write(writer, headers, "scale-out", kind)
        written.append((doc_type, doc_id, marker))
        for name, reader in (("a", a), ("b", b)):
            delay = wait_visible(reader, doc_type, doc_id, marker, DEADLINE)
            assert delay < DEADLINE, f"{doc_type} {doc_id} never became searchable via {name}"
            delays[f"{doc_type} {doc_id} via {name}"] = delay
    print("propagation delays:", {k: f"{v * 1000:.0f} ms" for k, v in delays.items()})
    # Every write is one chunk; the leaders write their counts after each step.
    deadline_total = _wait_for(lambda: encoded_total(cluster.dirs) - before >= len(written))
    assert deadline_total, "the encodings were never recorded"
    assert encoded_total(cluster.dirs) - before == len(written)  # not 2 (servers), not 4 (workers)

    # One login limit across all four processes (rate_login 10 per 5 minutes per account).
    make_user("victim")
    with httpx.Client(timeout=30) as http:
        codes = [
            http.post(f"{(a, b)[i % 2]}{LOGIN}", json={"username": "victim", "password": f"x{i}"})
            .status_code
            for i in range(10)
        ]  # fmt: skip
        assert set(codes) == {401}, codes
        eleventh = http.post(f"{b}{LOGIN}", json={"username": "victim", "password": "x10"})
        assert eleventh.status_code == 429, eleventh.text

    # kill -9 of server a (supervisor and both workers) while a client writes through it.
    acked: list[tuple[int, str]] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(timeout=30) as http:
            for i in range(10_000):
                if stop.is_set():
                    return
                marker = f"imp{os.urandom(5).hex()}"
                try:
                    r = http.post(
                        f"{a}/api/v1/courses/scale-out/threads",
                        json={"title": f"Imported {i} {marker}", "body": f"Body {marker}."},
                        headers=headers,
                    )
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 201:
                    acked.append((int(r.json()["thread"]["id"]), marker))

    writer = threading.Thread(target=client)
    writer.start()
    assert _wait_for(lambda: len(acked) >= 5), "no write was acknowledged before the kill"
    kill_server(cluster.procs[0])
    stop.set()
    writer.join(60)
    cluster.start(0)  # same data dir, same port
    a = cluster.urls[0]
    ids = {doc_id for doc_id, _ in acked}
    present = set(session.exec(select(Thread.id).where(col(Thread.id).in_(ids))).all())
    assert present == ids, f"acknowledged writes lost: {ids - present}"
    for doc_id, marker in (acked[0], acked[-1]):
        for reader in (a, b):
            assert wait_visible(reader, "thread", doc_id, marker, DEADLINE) < DEADLINE
    check = subprocess.run(
        [sys.executable, "-m", "app.cli", "index", "check"], cwd=ROOT,
        env={**cluster.env, "CHECKFIRST_DATA_DIR": cluster.dirs[0]},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert "0 drift" in check.stdout + check.stderr


def _wait_for(predicate: Callable[[], bool], limit: float = DEADLINE) -> bool:
    began = time.monotonic()
    while time.monotonic() - began < limit:
        if predicate():
            return True
        time.sleep(0.1)
    return False
