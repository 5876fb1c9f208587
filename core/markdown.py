"""Markdown to safe HTML: markdown-it-py renders, nh3 (Ammonia) sanitizes with an allowlist.

Every user-written text that reaches a page goes through ``render`` (ACCEPTANCE C1): posts,
errata, chat input and answers, previews, the widget.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from core.settings import get_settings

# "js-default" disables raw HTML and unsafe link schemes already; nh3 is the second, decisive wall.
_md = MarkdownIt("js-default", {"linkify": False, "typographer": False}).enable("table")

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "span": {"class"},
    "th": {"align"},
    "td": {"align"},
}


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


class RenderCache:
    """Least-recently-used cache of rendered bodies, bounded by the memory they hold.

    Bounding by count (4,096 bodies of up to 50k characters) let one worker hold hundreds of MB;
    a byte budget keeps the same hit rate for ordinary posts and a hard ceiling for huge ones.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.total_bytes = 0
        self._items: OrderedDict[str, tuple[Markup, int]] = OrderedDict()
        # Routes run in a thread pool: get/put must not interleave.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, text: str) -> Markup | None:
        with self._lock:
            hit = self._items.get(text)
            if hit is None:
                return None
            self._items.move_to_end(text)
            return hit[0]

    def put(self, text: str, html: Markup) -> None:
        # What the entry really keeps alive: the key and the value strings.
        size = sys.getsizeof(text) + sys.getsizeof(str(html))
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(text, None)
            if old is not None:
                self.total_bytes -= old[1]
            self._items[text] = (html, size)
            self.total_bytes += size
            while self.total_bytes > self.max_bytes:
                _, (_, freed) = self._items.popitem(last=False)
                self.total_bytes -= freed

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.total_bytes = 0


_cache: RenderCache | None = None


def render_cache() -> RenderCache:
    """This worker's cache, sized by CHECKFIRST_MARKDOWN_CACHE_BYTES on first use."""
    global _cache
    if _cache is None:
        _cache = RenderCache(get_settings().markdown_cache_bytes)
    return _cache


def render(text: str) -> Markup:
    """Markdown (code fences and inline code kept verbatim) to sanitized HTML."""
    text = text or ""
    cache = render_cache()
    html = cache.get(text)
    if html is None:
        html = Markup(sanitize(_md.render(text)))
        cache.put(text, html)
    return html


def plain_snippet(text: str, limit: int = 200) -> str:
    """A one-line plain-text summary of Markdown, for lists and notifications."""
    flat = " ".join((text or "").replace("`", "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
