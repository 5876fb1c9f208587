"""Mail bodies from Jinja2 templates (templates/mail/*.txt and *.html) and outbox rows."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.clock import utcnow
from core.settings import get_settings
from core.templating import TEMPLATES_DIR
from notify.models import FollowKind, MailStatus
from notify.unsubscribe import url_for


@lru_cache(maxsize=1)
def _env() -> Environment:
    # Autoescape the HTML part only: user text (titles, replies) must not become markup there,
    # and the plain part must not be full of &amp;.
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR / "mail")),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def render(template: str, **context: Any) -> tuple[str, str]:
    """The plain text and HTML parts of ``template`` (``.txt`` and ``.html``)."""
    env = _env()
    return (
        env.get_template(f"{template}.txt").render(**context),
        env.get_template(f"{template}.html").render(**context),
    )


def common_context(*, user_id: int, kinds: tuple[FollowKind, ...]) -> dict[str, Any]:
    base = get_settings().base_url.rstrip("/")
    return {
        "base_url": base,
        "unsubscribe_url": url_for(user_id=user_id, kinds=kinds),
        "preferences_url": f"{base}/profile/notifications",
    }


def outbox_row(
    *,
    user_id: int,
    to_addr: str,
    subject: str,
    text: str,
    html: str,
    unsubscribe_url: str,
    kind: str,
) -> dict[str, Any]:
    """A ``mail_outbox`` row as a dict (rows are inserted in bulk by the fan-out)."""
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        # RFC 8058: mail clients may POST "List-Unsubscribe=One-Click" to the link.
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    now = utcnow()
    return {
        "user_id": user_id,
        "to_addr": to_addr,
        "subject": subject[:300],
        "body_text": text,
        "body_html": html,
        "headers": json.dumps(headers),
        "kind": kind[:40],
        "status": MailStatus.pending,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
    }
