"""Memory and recall@10 of the compact vector layouts against exact search, on synthetic vectors.

    .venv/bin/python bench/index_quantization.py --n 1000000 --queries 200

Vectors: unit vectors in 384 dimensions drawn around 20k topic centres (the shape of sentence
embeddings: near neighbours exist), queries are perturbed copies of random corpus vectors
(paraphrases). For each layout: the bytes the vector index holds (FAISS's own serialisation,
what a replica keeps in memory), recall@10 against exact inner-product search, and the mean
search time of one query. Layouts: ``flat`` (float32, the default), ``flat-sq8`` and
``hnsw-sq8`` (``CHECKFIRST_INDEX_QUANTIZATION=sq8`` with ``CHECKFIRST_INDEX_KIND``), and, for
comparison only, sign bits in an ``IndexBinaryFlat`` re-scored exactly from float vectors held
in a memory-mapped file (48 bytes per vector in memory; not a product option).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def corpus(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20_000, dim)).astype(np.float32)
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        picks = rng.integers(0, len(centres), stop - start)
        block = centres[picks] + 0.9 * rng.standard_normal((stop - start, dim)).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start:stop] = block
    return out


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(
        np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--kinds", default="flat-sq8", help="flat-sq8,hnsw-sq8 (HNSW: slow build)")
    args = ap.parse_args()
    import faiss

    from index.vectors import VectorStore

    faiss.omp_set_num_threads(1)
    began = time.perf_counter()
    xs = corpus(args.n, args.dim, 1)
    rng = np.random.default_rng(2)
    picks = rng.integers(0, args.n, args.queries)
    qs = xs[picks] + 0.6 * rng.standard_normal((args.queries, args.dim)).astype(np.float32) / (
        args.dim**0.5
    )
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)
    labels = np.arange(args.n, dtype=np.int64)
    print(f"{args.n} vectors x {args.dim} made in {time.perf_counter() - began:.0f} s; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip

    exact = faiss.IndexFlatIP(args.dim)
    exact.add(xs)
    t0 = time.perf_counter()
    _, truth = exact.search(qs, 10)
    exact_ms = (time.perf_counter() - t0) / args.queries * 1000
    print(f"{'flat (float32)':28} {exact.ntotal * args.dim * 4 / 2**20:8.0f} MiB  recall@10 1.000  "
          f"{exact_ms:7.1f} ms/query")  # fmt: skip
    del exact

    for kind in args.kinds.split(","):
        store = VectorStore(args.dim, kind)
        t0 = time.perf_counter()
        for start in range(0, args.n, 100_000):
            store.add(labels[start : start + 100_000].tolist(), xs[start : start + 100_000])
        built = time.perf_counter() - t0
        size = len(faiss.serialize_index(store.index))
        t0 = time.perf_counter()
        found = [[lab for lab, _ in store.search(q[None, :], 10)] for q in qs]
        ms = (time.perf_counter() - t0) / args.queries * 1000
        print(f"{kind:28} {size / 2**20:8.0f} MiB  recall@10 {recall(np.array(found), truth):.3f}  "
              f"{ms:7.1f} ms/query  (built in {built:.0f} s)")  # fmt: skip
        del store

    # Sign bits, 100 candidates re-scored exactly from a memory-mapped float32 file.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vectors.f32"
        xs.tofile(path)
        mapped = np.memmap(path, dtype=np.float32, mode="r", shape=xs.shape)
        binary = faiss.IndexBinaryFlat(args.dim)
        binary.add(np.packbits(xs > 0, axis=1))
        t0 = time.perf_counter()
        _, cand = binary.search(np.packbits(qs > 0, axis=1), 100)
        found = []
        for q, c in zip(qs, cand, strict=True):
            c = np.sort(c[c >= 0])
            scores = mapped[c] @ q
            found.append(c[np.argsort(-scores)[:10]])
        ms = (time.perf_counter() - t0) / args.queries * 1000
        size = binary.ntotal * args.dim / 8
        print(f"{'binary + exact re-score':28} {size / 2**20:8.0f} MiB  recall@10 "
              f"{recall(np.array(found), truth):.3f}  {ms:7.1f} ms/query  "
              "(+ mapped float file)")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this benchmark (all layouts plus the float corpus): {peak:.0f} MiB; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
