"""The Markdown render cache is bounded by bytes, not by count (issue #11).

4,096 cached bodies of up to 50k characters could hold hundreds of MB per worker.
"""

from __future__ import annotations

import pytest

from core import markdown
from core.markdown import RenderCache, render

pytestmark = pytest.mark.nodb

BODY_CHARS = 50_000


def _body(n: int) -> str:
    return f"# Post {n}\n\n" + "word " * (BODY_CHARS // 5)


def test_many_large_bodies_stay_under_the_byte_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    bound = 2_000_000
    cache = RenderCache(bound)
    monkeypatch.setattr(markdown, "_cache", cache)
    for n in range(100):  # ~10 MB of text and HTML rendered
        assert f"Post {n}" in render(_body(n))
        assert cache.total_bytes <= bound
    assert 0 < len(cache) < 100
    # The newest bodies are the ones kept; the oldest were evicted.
    assert cache.get(_body(99)) is not None
    assert cache.get(_body(0)) is None


def test_least_recently_used_is_evicted_first() -> None:
    one = len(_body(0)) * 2  # roughly what one entry holds (text + HTML)
    cache = RenderCache(one * 3 + one // 2 + 500)
    for n in range(3):
        cache.put(_body(n), render(_body(n)))
    assert cache.get(_body(0)) is not None  # used again: now the most recent
    cache.put(_body(3), render(_body(3)))
    assert cache.get(_body(1)) is None
    assert all(cache.get(_body(n)) is not None for n in (0, 2, 3))


def test_default_bound_is_a_setting() -> None:
    from core.settings import Settings

    assert Settings().markdown_cache_bytes == 8_000_000
    assert markdown.render_cache().max_bytes > 0
