"""Where asks lose time while posts are imported: /healthz, search and ask, idle vs importing.

Serves a data dir prepared by ``bench/ask_bench.py`` (copy it first: the import adds to it) with
one uvicorn worker, times the three requests in turn (each ask and search a distinct text), then
again while ``checkfirst import`` writes ``--threads`` synthetic threads, and prints p50/p95 of
each. Health shows the server's event loop and GIL, search adds query encoding and the index,
ask adds its database reads and its one-row log write (on SQLite, the write lock).

    cp -a /tmp/checkfirst-askbench-XXXX /tmp/probe
    .venv/bin/python bench/import_latency.py --data-dir /tmp/probe [--threads 3000]
        [--nice-import 10] [--env CHECKFIRST_INDEX_BACKGROUND_ENCODER=false]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = ("health", "search", "ask")


def main() -> int:
    from bench.ask_bench import EVAL, synthetic_threads, wait_ready

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--threads", type=int, default=3000)
    ap.add_argument("--idle", type=int, default=100, help="rounds timed before the import")
    ap.add_argument("--port", type=int, default=18790)
    ap.add_argument("--nice-import", type=int, default=0, help="run the importer at this nice")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for server+importer")
    args = ap.parse_args()
    env = {**os.environ, "CHECKFIRST_ENV": "development", "CHECKFIRST_DATA_DIR": args.data_dir,
           "CHECKFIRST_DATABASE_URL": "", "CHECKFIRST_RATE_LIMITS_ENABLED": "false",
           "CHECKFIRST_INDEX_ENABLED": "true", "CHECKFIRST_LLM_BASE_URL": "",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}  # fmt: skip
    env.update(dict(item.split("=", 1) for item in args.env))
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
         "--port", str(args.port), "--log-level", "warning"], cwd=ROOT, env=env,
    )  # fmt: skip
    questions = [
        json.loads(line)["question"]
        for p in sorted((EVAL / "data" / "questions").glob("*.jsonl"))
        for line in p.read_text().splitlines()
        if line.strip()
    ]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{args.port}", timeout=60) as client:
            wait_ready(client, server, seconds=300)
            for q in questions[:10]:  # warm-up
                client.post("/api/v1/ask", json={"question": q})

            def rounds(n: int, offset: int) -> dict[str, list[float]]:
                times: dict[str, list[float]] = {k: [] for k in KINDS}
                for i in range(offset, offset + n):
                    q = f"{questions[i % len(questions)]} (try {i})"
                    for kind in KINDS:
                        t = time.perf_counter()
                        if kind == "health":
                            r = client.get("/healthz")
                        elif kind == "search":
                            r = client.get("/api/v1/search", params={"q": q})
                        else:
                            r = client.post("/api/v1/ask", json={"question": q})
                        times[kind].append((time.perf_counter() - t) * 1000)
                        r.raise_for_status()
                return times

            idle = rounds(args.idle, 0)
            feed = Path(args.data_dir) / "import-latency.jsonl"
            feed.write_text("\n".join(synthetic_threads(args.threads, 123, "probe-t")))
            nice = ["nice", "-n", str(args.nice_import)] if args.nice_import else []
            importer = subprocess.Popen(
                [*nice, sys.executable, "-m", "app.cli", "import", str(feed)], cwd=ROOT, env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            started = time.perf_counter()
            during: dict[str, list[float]] = {k: [] for k in KINDS}
            offset = 10_000
            while importer.poll() is None:
                for kind, values in rounds(10, offset).items():
                    during[kind] += values
                offset += 10
            took = time.perf_counter() - started
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    print(f"import of {args.threads} threads took {took:.0f} s; load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    for kind in KINDS:
        a, b = sorted(idle[kind]), sorted(during[kind])
        ia, ib = a[int(0.95 * (len(a) - 1))], b[int(0.95 * (len(b) - 1))]
        print(
            f"  {kind:6s} idle p50 {statistics.median(a):6.1f} p95 {ia:7.1f} ms | importing "
            f"p50 {statistics.median(b):6.1f} p95 {ib:7.1f} ms ({len(b)}) = {ib / ia:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
