"""How long the notebook extension's lookup takes against a warm server (figures, not tests).

Starts a throwaway Checkfirst on loopback (SQLite, index enabled, one verified erratum and a
thread), then times ``checkfirst_notebook.ask`` — the exact call a failing cell makes — and a
whole failing cell on a real kernel, to show the 2 s default timeout has room. Then the
known-errata read the banner makes on load (issue #15): a fresh read (200, body) and the
revalidation a kernel makes with its ETag (304, no body), alone and from 20 threads at once (a
class opening the notebook), and a notebook opening with its banner, kernel start included.

    .venv/bin/python bench/notebook_lookup.py [--asks 50] [--known 200]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--asks", type=int, default=50)
    parser.add_argument("--known", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="checkfirst-nb-bench-"))
    env = {
        "CHECKFIRST_ENV": "test",
        "CHECKFIRST_DATA_DIR": str(tmp / "var"),
        "CHECKFIRST_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
        "CHECKFIRST_SECRET_KEY": secrets.token_urlsafe(40),
        "CHECKFIRST_INDEX_ENABLED": "false",
        "CHECKFIRST_RATE_LIMITS_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    os.environ.update(env)
    (tmp / "var").mkdir()

    import checkfirst_notebook as notebook
    from sqlmodel import Session

    from app.migrate import upgrade
    from core.db import get_engine
    from tests.notebook.conftest import seed_known_erratum, start_help_server
    from tests.notebook.kernel import RNN_CELL, html_outputs, run_notebook
    from users.auth import create_user
    from users.models import Role, UserCreate

    upgrade()
    with Session(get_engine(), expire_on_commit=False) as session:
        users = [
            create_user(
                session=session,
                user_create=UserCreate(username=name, password="correct horse 1"),
                role=role,
            )
            for name, role in (("prof", Role.moderator), ("ada", Role.learner))
        ]
        seed_known_erratum(session, instructor=users[0], learner=users[1])

    server = start_help_server(env, tmp / "server-var")
    try:
        config = notebook.Config(url=server.url, course="dl", assignment="rnn", timeout=10)
        payload = {
            "question": "AssertionError: Wrong values in a_next",
            "traceback": 'File "<ipython-input-2>", line 6, in rnn_cell_forward\n'
            "AssertionError: Wrong values in a_next",
        }
        times = []
        for _ in range(args.asks):
            start = time.perf_counter()
            notebook.ask(config, payload)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(
            f"client ask over HTTP, {args.asks} asks: p50 {statistics.median(times):.1f} ms, "
            f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms"
        )
        work = tmp / "nb"
        work.mkdir()
        kernel_env = {"CHECKFIRST_URL": server.url, "CHECKFIRST_COURSE": "dl"}
        start = time.perf_counter()
        nb = run_notebook(["%load_ext checkfirst_notebook", RNN_CELL], kernel_env, work)
        total = time.perf_counter() - start
        assert html_outputs(nb.cells[1]), "the failing cell showed no panel"
        print(f"notebook with a failing cell (kernel start included): {total:.1f} s, panel shown")
        known_errata(server.url, args.known, tmp)
    finally:
        server.stop()


def _quantiles(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms"


def known_errata(url: str, n: int, tmp: Path) -> None:
    """The banner's read: fresh (200) and revalidated (304), then 20 kernels at once."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from tests.notebook.kernel import html_outputs, run_notebook

    path = url + "/api/v1/courses/dl/assignments/rnn/known-errata?version=2"
    with httpx.Client() as http:
        first = http.get(path)
        tag = first.headers["etag"]
        fresh, revalidated = [], []
        for _ in range(n):
            start = time.perf_counter()
            assert http.get(path).status_code == 200
            fresh.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            assert http.get(path, headers={"If-None-Match": tag}).status_code == 304
            revalidated.append((time.perf_counter() - start) * 1000)
    print(
        f"known errata, {n} reads: 200 with body ({len(first.content)} bytes) "
        f"{_quantiles(fresh)}; 304 revalidation {_quantiles(revalidated)}"
    )

    # One shared client (keep-alive, 20 connections): a new httpx client per call spends more
    # CPU building its TLS context than the server spends answering.
    shared = httpx.Client(limits=httpx.Limits(max_connections=20), timeout=10)

    def revalidate(_: int) -> float:
        start = time.perf_counter()
        r = shared.get(path, headers={"If-None-Match": tag})
        assert r.status_code == 304
        return (time.perf_counter() - start) * 1000

    start = time.perf_counter()
    with shared, ThreadPoolExecutor(20) as pool:
        times = list(pool.map(revalidate, range(n)))
    total = time.perf_counter() - start
    print(
        f"known errata, {n} revalidations from 20 threads: {_quantiles(times)}, "
        f"{n / total:.0f} requests/s"
    )

    work = tmp / "nb-banner"
    work.mkdir()
    env = {
        "CHECKFIRST_URL": url,
        "CHECKFIRST_COURSE": "dl",
        "CHECKFIRST_ASSIGNMENT": "rnn",
        "CHECKFIRST_NOTEBOOK_VERSION": "2",
    }
    start = time.perf_counter()
    nb = run_notebook(["%load_ext checkfirst_notebook"], env, work)
    total = time.perf_counter() - start
    assert html_outputs(nb.cells[0]), "the notebook opened without its banner"
    print(f"notebook opening with its banner (kernel start included): {total:.1f} s")


if __name__ == "__main__":
    main()
