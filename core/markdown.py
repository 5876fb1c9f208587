"""Markdown to safe HTML: markdown-it-py renders, nh3 (Ammonia) sanitizes with an allowlist.

Every user-written text that reaches a page goes through ``render`` (ACCEPTANCE C1): posts,
errata, chat input and answers, previews, the widget.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

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


@lru_cache(maxsize=4096)
def render(text: str) -> Markup:
    """Markdown (code fences and inline code kept verbatim) to sanitized HTML."""
    return Markup(sanitize(_md.render(text or "")))


def plain_snippet(text: str, limit: int = 200) -> str:
    """A one-line plain-text summary of Markdown, for lists and notifications."""
    flat = " ".join((text or "").replace("`", "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
