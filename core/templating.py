"""Jinja2 pages: one environment, one base layout, helpers every template can use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from core.clock import utcnow
from core.csrf import csrf_for
from core.markdown import plain_snippet, render

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = TEMPLATES_DIR / "static"

# Domains add values every page needs (e.g. the unread notification count) through this list.
ContextProcessor = Callable[[Request], dict[str, Any]]
context_processors: list[ContextProcessor] = []


def _base_context(request: Request) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "current_user": getattr(request.state, "user", None),
        "csrf_token": csrf_for(request),
        "csp_nonce": getattr(request.state, "csp_nonce", ""),
    }
    for processor in context_processors:
        ctx.update(processor(request))
    return ctx


def timeago(value: datetime | None) -> str:
    if value is None:
        return ""
    seconds = int((utcnow() - value).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_base_context])
templates.env.filters["markdown"] = render
templates.env.filters["snippet"] = plain_snippet
templates.env.filters["timeago"] = timeago


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> Any:
    """Render a template; the shortcut every view uses."""
    return templates.TemplateResponse(request, name, context, status_code=status_code)
