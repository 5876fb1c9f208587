"""ACCEPTANCE L1 (memory): RSS stays flat over a long search soak against the real index.

In-process: a fresh SQLite database with the demo programme (plus, with ``--corpus N``, N
imported records), the real embedding model and hybrid index, then ``--searches`` calls of
``index.service.search``, every query text distinct (a counter is appended) so the encoder's
query cache cannot hide a leak. Resident memory is sampled every ``--every`` searches; the
verdict compares the last samples with the first one taken after warm-up.

    .venv/bin/python bench/soak.py [--searches 100000] [--every 10000] [--corpus 0]
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "AssertionError: Wrong values in a_next",
    "my lstm output is slightly off from the expected output",
    "conv_forward Z mean does not match the expected value",
    "dW1 gradient check fails in L_model_backward",
    "shapes not aligned in linear_forward",
    "rnn_cell_forward yt_pred differs",
    "ValueError: operands could not be broadcast together",
    "cost after iteration 0 is nan",
]


def _rss_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--searches", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=10_000)
    parser.add_argument("--corpus", type=int, default=0, help="extra imported records")
    parser.add_argument("--max-seconds", type=float, default=0, help="stop early (0: never)")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="checkfirst-soak-")
    os.environ.update(
        CHECKFIRST_DATA_DIR=data_dir, CHECKFIRST_ENV="development", HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1", CHECKFIRST_INDEX_ENABLED="false",
    )  # fmt: skip
    sys.path.insert(0, str(ROOT))
    from app.migrate import upgrade

    upgrade()
    subprocess.run([sys.executable, "-m", "app.cli", "demo"], cwd=ROOT, check=True)
    if args.corpus:
        corpus = Path(data_dir) / "corpus.jsonl"
        subprocess.run(
            [sys.executable, "bench/make_import_corpus.py", "--records", str(args.corpus),
             "--out", str(corpus)], cwd=ROOT, check=True,
        )  # fmt: skip
        subprocess.run([sys.executable, "-m", "app.cli", "import", str(corpus)], cwd=ROOT)

    from sqlmodel import Session

    from app.indexing import register_loaders
    from core.db import get_engine
    from index import service

    register_loaders()
    with Session(get_engine()) as session:
        # Warm-up: the model, the index build, the caches.
        for i in range(200):
            service.search(session=session, q=f"{QUESTIONS[i % len(QUESTIONS)]} warm {i}")
        gc.collect()
        base = _rss_mb()
        samples = [(0, base)]
        print(f"after warm-up: RSS {base:.0f} MB")
        started = last = time.monotonic()
        done = 0
        for i in range(1, args.searches + 1):
            hits = service.search(session=session, q=f"{QUESTIONS[i % len(QUESTIONS)]} {i}")
            assert isinstance(hits, list)
            session.rollback()  # release the read snapshot, as a request would
            done = i
            if i % args.every == 0:
                rss = _rss_mb()
                now = time.monotonic()
                samples.append((i, rss))
                print(
                    f"{i:7} searches: RSS {rss:6.0f} MB ({rss - base:+.0f} MB), "
                    f"{args.every / (now - last):.0f} searches/s",
                    flush=True,
                )
                last = now
            if args.max_seconds and time.monotonic() - started > args.max_seconds:
                break
    elapsed = time.monotonic() - started
    growth = samples[-1][1] - samples[1][1] if len(samples) > 2 else samples[-1][1] - base
    print(
        f"\n{done} searches in {elapsed:.0f} s; RSS after warm-up {base:.0f} MB, "
        f"final {samples[-1][1]:.0f} MB; growth after the first sample {growth:+.0f} MB"
    )
    print("series (searches, MB):", ", ".join(f"({n}, {m:.0f})" for n, m in samples))


if __name__ == "__main__":
    main()
