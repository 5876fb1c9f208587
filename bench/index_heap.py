"""Python heap bytes per indexed chunk (tracemalloc), without a database or the model.

    .venv/bin/python bench/index_heap.py --docs 20000

Builds an ``IndexState`` from ``--docs`` synthetic one-chunk threads shaped like the forum
loader's (title, question, URL, course, assignment, the same metadata keys, as
``bench/index_cold_start.py`` seeds them) with random vectors, as a rebuild does (``apply`` in
batches of 512, then ``compact``), and prints the traced bytes per chunk and the largest
allocation sites. FAISS's own vector memory is not traced (it is not on the Python heap). The
document columns (``index/columns.py``) grow by doubling: tracemalloc counts their whole
capacity, though pages never written are not resident (~150 bytes a chunk here).
"""

from __future__ import annotations

import argparse
import gc
import sys
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.documents import Document  # noqa: E402
from index.store import IndexState, Prepared, doc_chunks  # noqa: E402

DIM = 384


def make_docs(n: int) -> list[Document]:
    return [
        Document("thread", i, f"Question {i} on lstm_forward",
                 f"My a_next differs in step {i}; the forget gate saturates.", f"/threads/{i}",
                 1 + i % 12, 1 + i % 60,
                 {"thread_id": i, "answered": i % 3 == 0, "external_id": None})
        for i in range(1, n + 1)
    ]  # fmt: skip


def build(docs: list[Document], rng: np.random.Generator) -> IndexState:
    """As a rebuild does: ``apply`` in batches of 512, then ``compact``."""
    state = IndexState("bench", DIM, "flat-sq8")
    for start in range(0, len(docs), 512):
        prepared = []
        for d in docs[start : start + 512]:
            chunks = doc_chunks(d)
            vectors = rng.standard_normal((len(chunks), DIM)).astype(np.float32)
            prepared.append(Prepared(d, chunks, vectors))
        state.apply(prepared, [], compact=False)
    state.compact()
    state.allowed_labels(1, None, (), ())  # a filtered search builds the row filter columns
    return state


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    build(make_docs(100), rng)  # imports and first-use caches are not per chunk
    gc.collect()
    tracemalloc.start(1)
    before = tracemalloc.take_snapshot()
    docs = make_docs(args.docs)  # as a loader makes them: what the index keeps of them counts
    state = build(docs, rng)
    del docs
    gc.collect()
    after = tracemalloc.take_snapshot()
    chunks = state.chunk_count()
    stats = after.compare_to(before, "lineno")
    total = sum(s.size_diff for s in stats)
    print(f"{chunks} chunks; traced Python heap {total / 2**20:.1f} MiB = "
          f"{total / chunks:.0f} bytes per chunk")  # fmt: skip
    for s in stats[: args.top]:
        frame = s.traceback[0]
        print(f"  {s.size_diff / chunks:7.0f} B/chunk  {frame.filename.split('/main/')[-1]}:"
              f"{frame.lineno}")  # fmt: skip


if __name__ == "__main__":
    main()
