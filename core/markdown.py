"""Markdown to safe HTML: markdown-it-py renders, nh3 (Ammonia) sanitizes with an allowlist.

Every user-written text that reaches a page goes through ``render`` (ACCEPTANCE C1): posts,
errata, chat input and answers, previews, the widget.
"""

from __future__ import annotations

import sys

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from core.lru import ByteBoundedLRU
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


class RenderCache(ByteBoundedLRU[str, Markup]):
    """Rendered bodies by their source text, bounded by the memory they hold.

    Bounding by count (4,096 bodies of up to 50k characters) let one worker hold hundreds of MB;
    a byte budget keeps the same hit rate for ordinary posts and a hard ceiling for huge ones.
    """

    def put(self, text: str, html: Markup) -> None:
        # What the entry really keeps alive: the key and the value strings.
        self.put_sized(text, html, sys.getsizeof(text) + sys.getsizeof(str(html)))


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
