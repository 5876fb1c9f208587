"""ACCEPTANCE L1: 50 learners for 60 s against 2 uvicorn workers on loopback, with locust.

    .venv/bin/python bench/load_test.py [--users 50] [--seconds 60] [--workers 2] [--postgresql]

Prints throughput and p50/p95 per endpoint, the error count, and the workers' resident memory
before and after. Rate limits are switched off for the run (they would turn load into 429s).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from kill_test import PG_ADMIN, _cli, _free_port  # noqa: E402


def _prepare(env: dict[str, str], users: int) -> tuple[list[str], list[str], list[int]]:
    for args in (("db", "upgrade"), ("demo",)):
        r = _cli(env, *args)
        if r.returncode:
            raise SystemExit(f"{args} failed: {r.stderr}")
    code = (
        "from sqlmodel import Session, select\n"
        "from core.db import get_engine\n"
        "from users.auth import create_user, create_api_token\n"
        "from users.models import UserCreate\n"
        "from forum.models import Course, Thread\n"
        "with Session(get_engine()) as s:\n"
        f"    toks = [create_api_token(session=s, user=create_user(session=s, user_create="
        f"UserCreate(username=f'load{{i}}', password='load-test-pw')), name='load')[1] "
        f"for i in range({users})]\n"
        "    print(','.join(toks))\n"
        "    print(','.join(c.slug for c in s.exec(select(Course))))\n"
        "    print(','.join(str(t.id) for t in s.exec(select(Thread))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return out[0].split(","), out[1].split(","), [int(x) for x in out[2].split(",") if x]


def _rss_mb(pid: int) -> float:
    proc = psutil.Process(pid)
    procs = [proc, *proc.children(recursive=True)]
    return sum(p.memory_info().rss for p in procs) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="checkfirst-load-")
    env = {**os.environ, "CHECKFIRST_DATA_DIR": data_dir, "CHECKFIRST_RATE_LIMITS_ENABLED": "false",
           "HF_HUB_OFFLINE": "1"}  # fmt: skip
    if args.postgresql:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"checkfirst_load_{uuid.uuid4().hex[:8]}"
        with create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        env["CHECKFIRST_DATABASE_URL"] = (
            make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        )
    tokens, courses, threads = _prepare(env, args.users)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port),
         "--workers", str(args.workers)],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    httpx.post(base + "/api/v1/ask", json={"question": "warm up the model"}, timeout=60)
    time.sleep(3)
    rss_before = _rss_mb(server.pid)
    stats = Path(data_dir) / "locust"
    load_env = {**env, "LOAD_TOKENS": ",".join(tokens), "LOAD_COURSES": ",".join(courses),
                "LOAD_THREADS": ",".join(map(str, threads))}  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(ROOT / "bench/locustfile.py"), "--headless",
         "-u", str(args.users), "-r", "10", "-t", f"{args.seconds}s", "--host", base,
         "--csv", str(stats), "--only-summary"],
        env=load_env, check=False,
    )  # fmt: skip
    rss_after = _rss_mb(server.pid)
    server.terminate()
    server.wait(60)
    if args.postgresql:
        with create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    with open(f"{stats}_stats.csv") as f:
        rows = list(csv.DictReader(f))
    print(f"\n{args.users} users, {args.seconds} s, {args.workers} workers on {base}")
    print(f"{'endpoint':42} {'reqs':>7} {'fails':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}")
    errors = 0
    for row in rows:
        errors += int(row["Failure Count"]) if row["Name"] == "Aggregated" else 0
        print(
            f"{row['Name'][:42]:42} {row['Request Count']:>7} {row['Failure Count']:>6} "
            f"{float(row['Requests/s']):7.1f} {row['50%']:>7} {row['95%']:>7}"
        )
    print(f"server RSS: {rss_before:.0f} MB before, {rss_after:.0f} MB after; errors: {errors}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
