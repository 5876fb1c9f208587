"""Memory of one app server with W workers at N chunks: one shared index vs one per worker.

    .venv/bin/python bench/index_memory.py --docs 100000 --workers 4

Seeds a fresh SQLite database with ``--docs`` threads and their stored vectors (as
``bench/index_cold_start.py`` does), builds and saves the index once, then starts
``uvicorn --workers W`` twice over that data dir: with ``CHECKFIRST_INDEX_SHARED=false`` (every
worker loads its own copy, the behaviour before issue #14) and with the default (one worker runs
the index, the others ask it over a Unix socket). Once /readyz answers, it sums the PSS
(proportional set size: shared pages split between the processes sharing them) of the server's
supervisor and workers from /proc/<pid>/smaps_rollup, and prints it with the load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def breakdown(pid: int) -> dict[str, float]:
    """PSS of ``pid`` by kind of mapping, MiB: the glibc heap (``[heap]``: C allocations and
    Python objects over 512 bytes), anonymous mappings (pymalloc's arenas, where small Python
    objects live, numpy arrays, FAISS, glibc's large allocations; adjacent ones merge, so they
    are not told apart here) and files (libraries, mapped files)."""
    out = {"heap": 0.0, "anon": 0.0, "files": 0.0}
    kind = "anon"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if parts and "-" in parts[0] and len(parts) >= 5 and not parts[0].endswith(":"):
            name = parts[5] if len(parts) > 5 else ""
            kind = "heap" if name == "[heap]" else "files" if name.startswith("/") else "anon"
        elif parts and parts[0] == "Pss:":
            out[kind] += int(parts[1]) / 1024
    return out


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's supervisor, its workers)."""
    out = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        out.extend(tree(int(child)))
    return out


def measure(data_dir: Path, workers: int, shared: bool) -> tuple[float, list[float]]:
    from scaleout import start_server, stop_server

    env = {**os.environ, "CHECKFIRST_INDEX_SHARED": "true" if shared else "false",
           "CHECKFIRST_MAIL_WORKER": "false"}  # fmt: skip
    proc, base = start_server(env, str(data_dir), timeout=900, workers=workers)
    try:
        time.sleep(3)  # let every worker finish loading (the ready one answered first)
        import httpx

        for _ in range(20):  # a few searches, spread over the workers
            httpx.get(f"{base}/api/v1/search", params={"q": "forget gate lstm_forward"}, timeout=60)
        pids = tree(proc.pid)
        per = [pss_kib(p) / 1024 for p in pids]
        largest = pids[per.index(max(per))]
        print("largest process by mapping (MiB PSS): "
              + ", ".join(f"{k} {v:.0f}" for k, v in breakdown(largest).items()))  # fmt: skip
        return sum(per), per
    finally:
        stop_server(proc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument(
        "--quantization",
        choices=["none", "sq8"],
        default="none",
        help="CHECKFIRST_INDEX_QUANTIZATION for the index built and served",
    )
    ap.add_argument("--shared-only", action="store_true",
                    help="measure only the default (one index per server): at 1M chunks an "
                         "index per worker needs 4 copies")  # fmt: skip
    ap.add_argument("--data-dir", type=Path,
                    help="a data dir this script seeded before (kept): its saved index is "
                         "loaded and saved again by this code, instead of seeding and "
                         "rebuilding")  # fmt: skip
    args = ap.parse_args()
    tmp = args.data_dir or Path(tempfile.mkdtemp(prefix="checkfirst-mem-"))
    os.environ.update({"CHECKFIRST_ENV": "test", "CHECKFIRST_DATA_DIR": str(tmp),
                       "CHECKFIRST_INDEX_ENABLED": "false",
                       "CHECKFIRST_SECRET_KEY": uuid.uuid4().hex * 2,
                       "CHECKFIRST_RATE_LIMITS_ENABLED": "false",
                       "CHECKFIRST_INDEX_QUANTIZATION": args.quantization})  # fmt: skip
    try:
        import index_cold_start

        if not args.data_dir:
            index_cold_start.seed(args.docs)
        from sqlmodel import Session

        from core.db import get_engine, reset_engine
        from index.encoder import get_encoder
        from index.indexer import rebuild
        from index.runtime import Runtime
        from index.store import IndexState

        runtime = Runtime()
        began = time.perf_counter()
        if args.data_dir:  # in this code's file format
            encoder = get_encoder()
            state = IndexState.load(runtime.path, encoder.identity, encoder.dim, runtime.kind)
        else:
            with Session(get_engine()) as session:
                state = rebuild(session, get_encoder(), runtime.kind)
        state.save(runtime.path)
        chunks = state.chunk_count()
        del state
        reset_engine()
        took = time.perf_counter() - began
        print(f"{chunks} chunks indexed ({runtime.kind}) and saved in {took:.0f} s; "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        for shared in (True,) if args.shared_only else (False, True):
            total, per = measure(tmp, args.workers, shared)
            label = "one index per server" if shared else "one index per worker"
            print(f"{label:22} {args.workers} workers: PSS {total:.0f} MiB "
                  f"(per process: {', '.join(f'{p:.0f}' for p in per)}); "
                  f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    finally:
        if not args.data_dir:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
