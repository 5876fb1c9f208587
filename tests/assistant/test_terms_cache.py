"""The re-ranker's token-count cache is bounded by bytes: long threads cannot grow a worker.

A thread's candidate text is every post in it; with a cache bounded by a count of texts, a few
hundred long threads asked about would keep hundreds of MB of counts alive per worker.
"""

from __future__ import annotations

import pytest

from assistant import terms as terms_module
from assistant.terms import terms
from core.lru import ByteBoundedLRU

pytestmark = pytest.mark.nodb


def _thread_text(n: int) -> str:
    # 200 distinct words per thread, repeated as long posts do: ~60k characters.
    words = " ".join(f"word{n}x{i}" for i in range(200))
    return f"Thread {n}\n" + "\n".join([words] * 25)


def test_many_long_threads_stay_under_the_byte_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    bound = 1_000_000
    cache: ByteBoundedLRU[bytes, terms_module.Terms] = ByteBoundedLRU(bound)
    monkeypatch.setattr(terms_module, "_terms", cache)
    for n in range(300):
        counted = terms(_thread_text(n))
        assert counted.counts[f"word{n}x7"] == 25
        assert cache.total_bytes <= bound
    assert 0 < len(cache) < 300
    # The newest threads are the ones kept; the oldest were evicted and are counted again.
    assert cache.get(terms_module.digest(_thread_text(299))) is not None
    assert cache.get(terms_module.digest(_thread_text(0))) is None
    assert terms(_thread_text(0)).counts["word0x7"] == 25


def test_an_edited_text_is_counted_afresh() -> None:
    before = terms("rnn_forward gives the wrong shape")
    after = terms("rnn_forward gives the wrong values")
    assert "shape" in before.counts and "shape" not in after.counts
    assert terms("rnn_forward gives the wrong shape") is before  # a hit, not a recount


def test_parsed_errata_outputs_stay_under_the_byte_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # An erratum's output may be up to a million characters; a count bound would keep them all.
    from assistant import matching

    bound = 200_000
    cache: ByteBoundedLRU[bytes, tuple[matching.Value, ...]] = ByteBoundedLRU(bound)
    monkeypatch.setattr(matching, "_outputs", cache)
    for n in range(100):
        output = f"a_next[{n}] = " + " ".join(f"{n}.{i:04d}" for i in range(900))
        assert matching.reference_values(output)[0].numbers[1] == float(f"{n}.0001")
        assert cache.total_bytes <= bound
    assert 0 < len(cache) < 100
