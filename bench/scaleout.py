"""ACCEPTANCE X4 and scale-out: N app servers x W workers on one PostgreSQL, one index per server.

Starts two (``--servers N``) uvicorn servers of ``--workers W`` workers on different ports, one
shared PostgreSQL database, a separate CHECKFIRST_DATA_DIR (so a separate index replica, shared
by the server's workers) each. Every write (alternately a
thread and an erratum, each with a unique marker word) goes through one server; the script polls
``GET /api/v1/search`` on another server until the write is found, and prints the distribution of
these propagation delays. The documented bound is 2 s.

    .venv/bin/python bench/scaleout.py [--writes 30] [--servers 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("CHECKFIRST_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BOUND_SECONDS = 2.0
sys.path.insert(0, str(ROOT / "bench"))
from kill_test import _free_port  # noqa: E402


def start_server(
    env: dict[str, str], data_dir: str, timeout: float = 300, *, workers: int = 1,
    port: int | None = None,
) -> tuple[Any, str]:  # fmt: skip
    """One app server (``workers`` uvicorn workers sharing one index, ``index.shared``) with the
    index on and its own data dir, in a process group of its own (so ``kill_server`` takes its
    workers too); waits until search is ready."""
    port = port or _free_port()
    proc_env = {
        **env,
        "CHECKFIRST_INDEX_ENABLED": "true",
        "CHECKFIRST_DATA_DIR": data_dir,
        "CHECKFIRST_INDEX_POLL_SECONDS": env.get("CHECKFIRST_INDEX_POLL_SECONDS", "0.2"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-proxy-headers",
         "--workers", str(workers)],
        cwd=ROOT, env=proc_env, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    ready_in_a_row = 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            # 503 until the model and the index are loaded and caught up; with several workers
            # each request may land on another one, so several answers in a row must be 200.
            ok = httpx.get(base + "/readyz", timeout=5).status_code == 200
            ready_in_a_row = ready_in_a_row + 1 if ok else 0
            if ready_in_a_row >= 2 * workers:
                return proc, base
        except httpx.HTTPError:
            ready_in_a_row = 0
        time.sleep(0.3)
    kill_server(proc)
    raise RuntimeError(f"server on port {port} did not become ready in {timeout:.0f} s")


def stop_server(proc: Any) -> None:
    if proc.poll() is None:
        proc.terminate()  # the uvicorn supervisor stops its workers
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            kill_server(proc)


def kill_server(proc: Any) -> None:
    """``kill -9`` of the whole server: the supervisor and every worker at once."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def encoded_total(data_dirs: list[str]) -> int:
    """Chunks encoded by every process of these servers (each leaves ``encoded.<pid>``)."""
    return sum(int(p.read_text() or 0) for d in data_dirs for p in Path(d).glob("index/encoded.*"))


def write(writer: str, headers: dict[str, str], course: str, kind: str) -> tuple[str, int, str]:
    """A thread or erratum with a unique marker word, through ``writer``: (type, id, marker)."""
    marker = f"zq{uuid.uuid4().hex[:10]}"
    with httpx.Client(timeout=60) as http:
        if kind == "thread":
            r = http.post(
                f"{writer}/api/v1/courses/{course}/threads",
                json={"title": f"Scale-out check {marker}", "body": f"Marker word {marker}."},
                headers=headers,
            )
            r.raise_for_status()
            return "thread", int(r.json()["thread"]["id"]), marker
        r = http.post(
            f"{writer}/api/v1/errata",
            json={"course": course, "title": f"Scale-out erratum {marker}",
                  "description": f"Marker word {marker}."},
            headers=headers,
        )  # fmt: skip
        r.raise_for_status()
        return "erratum", int(r.json()["id"]), marker


def wait_visible(
    reader: str, doc_type: str, doc_id: int, marker: str, limit: float = 30.0
) -> float:
    """Seconds until ``reader``'s search finds the document (``limit`` or more: never)."""
    began = time.monotonic()
    with httpx.Client(timeout=60) as http:
        while time.monotonic() - began < limit:
            s = http.get(
                f"{reader}/api/v1/search", params={"q": marker, "type": doc_type, "limit": 5}
            )
            if s.status_code == 200 and any(h["id"] == doc_id for h in s.json()["data"]):
                return time.monotonic() - began
            time.sleep(0.05)
    return limit


def write_and_wait(
    writer: str, reader: str, headers: dict[str, str], course: str, *, kind: str,
    limit: float = 30.0,
) -> float:  # fmt: skip
    """Seconds from the 2xx of a write through ``writer`` until ``reader``'s search finds it."""
    doc_type, doc_id, marker = write(writer, headers, course, kind)
    return wait_visible(reader, doc_type, doc_id, marker, limit)


@contextmanager
def pg_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"checkfirst_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _seed(env: dict[str, str]) -> tuple[str, str]:
    """Migrate, one course, one moderator with a token; returns (token, course slug)."""
    code = (
        "from sqlmodel import Session\n"
        "from app.migrate import upgrade\n"
        "from core.db import get_engine\n"
        "from users.auth import create_user, create_api_token\n"
        "from users.models import Role, UserCreate\n"
        "from forum.models import Course\n"
        "upgrade()\n"
        "with Session(get_engine()) as s:\n"
        "    s.add(Course(slug='scale-out', title='Scale-out')); s.commit()\n"
        "    u = create_user(session=s, user_create=UserCreate(username='scaler', "
        "password='scale-out-pw'), role=Role.moderator)\n"
        "    print(create_api_token(session=s, user=u, name='scale')[1])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.split()[-1], "scale-out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=30)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per server")
    args = parser.parse_args()
    with pg_database() as url:
        env = {**os.environ, "CHECKFIRST_DATABASE_URL": url, "CHECKFIRST_ENV": "development",
               "CHECKFIRST_RATE_LIMITS_ENABLED": "false",
               "CHECKFIRST_SECRET_KEY": uuid.uuid4().hex * 2}  # fmt: skip
        token, course = _seed(env)
        headers = {"Authorization": f"Bearer {token}"}
        servers = []
        try:
            for _ in range(args.servers):
                data_dir = tempfile.mkdtemp(prefix="checkfirst-replica-")
                servers.append(start_server(env, data_dir, workers=args.workers))
            bases = [b for _, b in servers]
            delays = []
            for i in range(args.writes):
                writer, reader = bases[i % len(bases)], bases[(i + 1) % len(bases)]
                kind = "thread" if i % 2 == 0 else "erratum"
                delay = write_and_wait(writer, reader, headers, course, kind=kind)
                delays.append(delay)
                print(f"write {i + 1:3}: {kind:8} via {writer[-5:]} found via {reader[-5:]} "
                      f"after {delay * 1000:6.0f} ms")  # fmt: skip
        finally:
            for proc, _ in servers:
                stop_server(proc)
    delays.sort()
    q = statistics.quantiles(delays, n=20) if len(delays) > 1 else delays * 19
    over = sum(d > BOUND_SECONDS for d in delays)
    print(
        f"\n{args.servers} servers x {args.workers} workers, {len(delays)} writes: propagation "
        f"min {delays[0] * 1000:.0f} ms, p50 {statistics.median(delays) * 1000:.0f} ms, "
        f"p95 {q[18] * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms; "
        f"over the {BOUND_SECONDS:.0f} s bound: {over}"
    )
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
