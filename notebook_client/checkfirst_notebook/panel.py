"""The panel under a failing cell: all server text is escaped; only http(s) links are made."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

MAX_SOURCES = 3

VERDICT_LINES = {
    "known_erratum": "Known erratum: the notebook is wrong here, not necessarily your code.",
    "output_matches_correction": (
        "Your output matches the corrected expected output: your code is most likely right."
    ),
    "output_matches_published": "Your output matches the notebook's published expected output.",
    "rejected_report": "Reported before, but not an erratum: see the instructor's explanation.",
    "fixed_in_your_version": "A matching erratum is already fixed in your notebook version.",
    "unconfirmed_report": "Others reported this; an instructor has not confirmed it yet.",
    "answered_before": "Answered before on the forum.",
    "no_match": "No known erratum or answer matches this yet.",
}


def safe_link(href: Any, base: str) -> str | None:
    """An absolute http(s) URL for ``href`` (relative ones resolve against ``base``), else None."""
    if not isinstance(href, str) or not href.strip():
        return None
    absolute = urljoin(base.rstrip("/") + "/", href.strip())
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return absolute


def _text(value: Any, limit: int) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# The server escapes user text in answers with CommonMark backslash escapes ("\\[" for "[").
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_HIDDEN = 0xE000  # escaped characters are parked in the private-use area while marks go


def _hide_escapes(text: str) -> str:
    return _ESCAPED.sub(lambda m: chr(_HIDDEN + ord(m.group(1))), text)


def _restore(text: str) -> str:
    return "".join(chr(ord(c) - _HIDDEN) if _HIDDEN < ord(c) < _HIDDEN + 128 else c for c in text)


def plain_markdown(text: str) -> str:
    """Markdown as it reads, for text output: backslash escapes dropped."""
    return _ESCAPED.sub(r"\1", text)


def summary_line(answer: Any, limit: int = 220) -> str:
    """The answer's first paragraph as plain text, without Markdown marks or citation markers."""
    first = re.split(r"\n\s*\n", _hide_escapes(str(answer or "").strip()), maxsplit=1)[0]
    # A whitespace run is tried once, from its start (a bare "\s*" retried it from every
    # position: quadratic on a long run). This file stays stdlib-only, so no RE2 here.
    first = re.sub(r"(?:(?<!\s)\s+)?\[\d+\]", "", first)
    # Emphasis and code marks, but not the underscores inside identifiers like a_next.
    first = re.sub(r"\*\*|`|(?<!\w)__?|__?(?!\w)|^[#>\s]+", "", first)
    return _restore(_text(first, limit))


def _sources(result: dict[str, Any]) -> list[Any]:
    sources = result.get("sources")
    return sources if isinstance(sources, list) else []


def verdict_line(verdict: Any) -> str:
    key = str(verdict or "")
    return VERDICT_LINES.get(key, key.replace("_", " ").capitalize() or "Checkfirst answered.")


_STATUS_COLOURS = {
    "verified": "#1c7c43",
    "fixed": "#2457c5",
    "rejected": "#b3261e",
    "reported": "#a35a00",
    "duplicate": "#5f6b7a",
    "answered": "#1c7c43",
}


def render_panel(result: dict[str, Any], base_url: str, *, full_answer: bool = False) -> str:
    """The compact HTML panel for an ask result."""
    e = html.escape
    verdict = e(verdict_line(result.get("verdict")))
    answer = str(result.get("answer") or "")
    if full_answer:
        answer_html = "".join(
            f'<p style="margin:4px 0">{e(_text(plain_markdown(p), 2000))}</p>'
            for p in re.split(r"\n\s*\n", answer.strip())
            if p.strip()
        )
    else:
        line = summary_line(answer)
        answer_html = f'<div style="margin:2px 0 6px;color:#3b4452">{e(line)}</div>' if line else ""
    items = []
    sources = _sources(result)
    for source in sources[:MAX_SOURCES]:
        if not isinstance(source, dict):
            continue
        title = e(_text(source.get("title") or "Untitled", 160))
        status = _text(source.get("status"), 30)
        kind = _text(source.get("type"), 20)
        labels = [_text(x, 40) for x in source.get("labels") or [] if isinstance(x, str)]
        colour = _STATUS_COLOURS.get(status, "#5f6b7a")
        badge = (
            f'<span class="checkfirst-badge" style="display:inline-block;padding:0 6px;'
            f"border-radius:9px;font-size:11px;color:#fff;background:{colour};"
            f'margin-right:6px">{e(status)}</span>'
            if status
            else ""
        )
        link = safe_link(source.get("url"), base_url)
        if link:
            heading = (
                f'<a href="{e(link, quote=True)}" target="_blank" rel="noopener noreferrer" '
                f'style="color:#2457c5;font-weight:600">{title}</a>'
            )
        else:
            heading = f'<span style="font-weight:600">{title}</span>'
        extra = " · ".join(x for x in [kind, *labels] if x)
        snippet = _text(source.get("snippet"), 180)
        items.append(
            f'<li style="margin:3px 0">{badge}{heading}'
            f'<span style="color:#5f6b7a"> · {e(extra)}</span>'
            + (f'<div style="color:#3b4452">{e(snippet)}</div>' if snippet else "")
            + "</li>"
        )
    listing = f'<ol style="margin:0;padding-left:20px">{"".join(items)}</ol>' if items else ""
    more = ""
    new_thread = safe_link(result.get("new_thread_url"), base_url)
    if new_thread and not items:
        more = (
            f'<div style="margin-top:4px"><a href="{e(new_thread, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer" style="color:#2457c5">Ask on the forum</a></div>'
        )
    return (
        '<div class="checkfirst-panel" style="border-left:4px solid #2457c5;background:#f5f8fd;'
        "padding:8px 12px;margin:6px 0;font:13px/1.45 system-ui,-apple-system,'Segoe UI',"
        'sans-serif;color:#1d2430">'
        f'<div style="font-weight:700">✓ Checkfirst: {verdict}</div>'
        f"{answer_html}{listing}{more}</div>"
    )


def render_text(result: dict[str, Any], base_url: str, *, full_answer: bool = False) -> str:
    """The plain-text fallback of the panel, for consoles and text-only front ends."""
    lines = [f"Checkfirst: {verdict_line(result.get('verdict'))}"]
    answer = plain_markdown(str(result.get("answer") or "").strip()) if full_answer else ""
    summary = answer or summary_line(result.get("answer"))
    if summary:
        lines.append(summary)
    sources = _sources(result)
    for n, source in enumerate(sources[:MAX_SOURCES], 1):
        if not isinstance(source, dict):
            continue
        title = _text(source.get("title") or "Untitled", 160)
        status = _text(source.get("status"), 30)
        link = safe_link(source.get("url"), base_url) or ""
        lines.append(f"  [{n}] [{status}] {title} {link}".rstrip())
        snippet = _text(source.get("snippet"), 180)
        if snippet:
            lines.append(f"      {snippet}")
    return "\n".join(lines)
