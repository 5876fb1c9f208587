"""CHECKFIRST_INDEX_QUANTIZATION=sq8: a quarter of the vector memory, the same neighbours (issue
#14, "a compact option for large corpora"); recall at 1M is measured by
bench/index_quantization.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.store import CorruptIndex, IndexState
from index.vectors import VectorStore

pytestmark = pytest.mark.nodb
DIM = 384


def _unit(n: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("graph", ["flat", "hnsw"])
def test_sq8_store_finds_the_exact_neighbours_in_a_quarter_of_the_memory(graph: str) -> None:
    xs = _unit(3000, 1)
    labels = list(range(10, 3010))
    full, compact = VectorStore(DIM, graph), VectorStore(DIM, f"{graph}-sq8")
    for store in (full, compact):
        store.add(labels, xs)
    queries = xs[:20] + 0.02 * _unit(20, 2)
    for q in queries:
        assert compact.search(q[None, :], 1)[0][0] == full.search(q[None, :], 1)[0][0]
    assert len(compact.to_bytes()) < 0.4 * len(full.to_bytes())
    # Filters and deletes work the same inside a quantised search.
    compact.remove([10])
    allowed = np.array([10, 11, 12], np.int64)
    assert {lab for lab, _ in compact.search(xs[:1], 3, allowed)} == {11, 12}


def test_saved_sq8_index_is_not_loaded_as_float_and_back(tmp_path: Path) -> None:
    state = IndexState("model@x", DIM, "flat-sq8")
    state.save(tmp_path / "i.npz")
    assert IndexState.load(tmp_path / "i.npz", "model@x", DIM, "flat-sq8").kind == "flat-sq8"
    with pytest.raises(CorruptIndex):  # a layout change rebuilds instead of misreading
        IndexState.load(tmp_path / "i.npz", "model@x", DIM, "flat")
