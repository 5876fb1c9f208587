"""The known-errata banner shown when the notebook opens: escaped text, http(s) links only."""

from __future__ import annotations

import html
from typing import Any

from checkfirst_notebook.panel import safe_link

MAX_SHOWN = 5

_e = html.escape


def _items(result: dict[str, Any]) -> list[dict[str, Any]]:
    data = result.get("data")
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def _clip(value: Any, limit: int) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def which(result: dict[str, Any], fallback_assignment: str, fallback_version: str) -> str:
    """ "rnn v3" (or "rnn" when no version was given)."""
    assignment = _clip(result.get("assignment") or fallback_assignment, 80)
    version = _clip(result.get("version") or fallback_version, 20)
    return f"{assignment} v{version}" if version else assignment


def fix_note(item: dict[str, Any]) -> str:
    """What the learner should know about the fix, or ""."""
    fixed_in = _clip(item.get("fixed_in"), 20)
    if not fixed_in:
        return ""
    if item.get("fixed_in_your_version") is True:
        return f"Fixed in version {fixed_in}: your version has the fix."
    return f"Fixed in version {fixed_in}: get the new notebook for the fix."


def heading(result: dict[str, Any], label: str) -> str:
    items = _items(result)
    open_items = [i for i in items if i.get("fixed_in_your_version") is not True]
    if not open_items:
        return f"Checkfirst: known errata of {label} are fixed in your version"
    noun = "erratum" if len(open_items) == 1 else "errata"
    return f"Checkfirst: {len(open_items)} known {noun} in {label}; check before you start"


def render_banner(result: dict[str, Any], base_url: str, label: str) -> str:
    """The compact HTML banner: per erratum its title (linked), where, workaround and fix."""
    rows = []
    for item in _items(result)[:MAX_SHOWN]:
        title = _e(_clip(item.get("title") or "Untitled", 160))
        link = safe_link(item.get("url"), base_url)
        if link:
            title = (
                f'<a href="{_e(link, quote=True)}" target="_blank" rel="noopener noreferrer" '
                f'style="color:#2457c5;font-weight:600">{title}</a>'
            )
        else:
            title = f'<span style="font-weight:600">{title}</span>'
        where = _clip(item.get("location"), 80)
        parts = [title]
        if where:
            parts.append(f"in <code>{_e(where)}</code>")
        line = " ".join(parts)
        workaround = _clip(item.get("workaround"), 240)
        details = [f"Workaround: {_e(workaround)}"] if workaround else []
        note = fix_note(item)
        if note:
            details.append(f"<strong>{_e(note)}</strong>")
        detail_html = f'<div style="color:#3b4452">{" ".join(details)}</div>' if details else ""
        rows.append(f'<li style="margin:3px 0">{line}{detail_html}</li>')
    more = len(_items(result)) - MAX_SHOWN
    if more > 0:
        rows.append(f'<li style="margin:3px 0;list-style:none">… and {more} more</li>')
    return (
        '<div class="checkfirst-banner" style="border-left:4px solid #a35a00;background:#fff8ec;'
        "padding:8px 12px;margin:6px 0;font:13px/1.45 system-ui,-apple-system,'Segoe UI',"
        'sans-serif;color:#1d2430">'
        f'<div style="font-weight:700">{_e(heading(result, label))}</div>'
        f'<ul style="margin:2px 0 0;padding-left:20px">{"".join(rows)}</ul></div>'
    )


def render_banner_text(result: dict[str, Any], base_url: str, label: str) -> str:
    """The plain-text banner, for consoles and text-only front ends."""
    lines = [heading(result, label)]
    for item in _items(result)[:MAX_SHOWN]:
        where = _clip(item.get("location"), 80)
        link = safe_link(item.get("url"), base_url) or ""
        title = _clip(item.get("title") or "Untitled", 160)
        lines.append(f"  - {title}" + (f" (in {where})" if where else "") + f" {link}".rstrip())
        workaround = _clip(item.get("workaround"), 240)
        if workaround:
            lines.append(f"    Workaround: {workaround}")
        note = fix_note(item)
        if note:
            lines.append(f"    {note}")
    more = len(_items(result)) - MAX_SHOWN
    if more > 0:
        lines.append(f"  … and {more} more")
    return "\n".join(lines)


def has_errata(result: dict[str, Any]) -> bool:
    return bool(_items(result))
