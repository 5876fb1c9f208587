"""Intake: what a learner sends, cleaned and checked before anything else sees it.

Terminal and JupyterLab tracebacks carry ANSI colour codes (``ESC[0;31m``). They are layout,
not content: stripped here from every text field, so a coloured paste is neither refused as
"binary data" nor parsed with ``[0;31m`` glued to the exception name.

A notebook version the learner states in the question ("I'm on version 3a") fills an empty
version field: the version rules (fixed in your version, affected versions) then apply as if
the page or the widget had sent it.
"""

from __future__ import annotations

import re
from typing import TypeVar

from assistant.schemas import MAX_FIELD_CHARS, AskRequest
from assistant.versions import stated_version
from core.errors import InvalidInput, NotAuthenticated
from core.linear_regex import Pattern
from core.ratelimit import is_new_account, limiter
from core.settings import get_settings
from users.models import User

# CSI (ESC [ params intermediates final: colours, cursor moves) and OSC (ESC ] ... BEL or
# ESC \: hyperlinks, titles); other escapes (ESC, intermediates, one final byte) too. RE2:
# linear in the text.
_ANSI = Pattern(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\ufffe\uffff\ud800-\udfff]")
# Lone surrogates cannot be stored as UTF-8: one is enough to refuse the text.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
TEXT_FIELDS = ("question", "traceback", "output", "expected")
OTHER_FIELDS = ("course", "assignment", "notebook_version")

R = TypeVar("R", bound=AskRequest)


def strip_ansi(text: str) -> str:
    """``text`` without ANSI escape sequences (colours, cursor moves, OSC hyperlinks)."""
    return _ANSI.sub("", text) if "\x1b" in text else text


def check_text(name: str, value: str | None) -> str | None:
    """Refuse oversized and binary text with a message that says what to do."""
    if value is None:
        return None
    if len(value) > MAX_FIELD_CHARS:
        raise InvalidInput(
            f"The {name} is too long ({len(value):,} characters); paste at most "
            f"{MAX_FIELD_CHARS:,}, e.g. the last part of the traceback."
        )
    if (
        "\x00" in value
        or _SURROGATE.search(value)
        or len(_CONTROL.findall(value)) > max(2, len(value) // 100)
    ):
        raise InvalidInput(f"The {name} looks like binary data; paste text only.")
    return value


def validate(request: R) -> R:
    """The request with colour codes stripped; refuses empty, oversized and binary input."""
    for name in TEXT_FIELDS + OTHER_FIELDS:
        # Length first, on what was sent: stripping must not turn a huge paste into work.
        value = getattr(request, name)
        if value is not None and len(value) > MAX_FIELD_CHARS:
            check_text(name.replace("_", " "), value)
    cleaned = {
        name: strip_ansi(getattr(request, name))
        for name in TEXT_FIELDS
        if getattr(request, name) is not None
    }
    request = request.model_copy(update=cleaned)
    for name in TEXT_FIELDS + OTHER_FIELDS:
        check_text(name.replace("_", " "), getattr(request, name))
    if not request.question.strip():
        raise InvalidInput("Type a question or paste the error you see.")
    if not (request.notebook_version or "").strip():
        # "I'm on version 3a" in the question counts as the version field left empty.
        stated = stated_version(request.question)
        if stated is not None:
            request = request.model_copy(update={"notebook_version": stated})
    return request


def check_access(*, user: User | None, client_key: str, widget: bool = False) -> None:
    """Anonymous asks when the site allows them; one rate limit per user or per IP.

    A widget ask (a public token on someone's page; ``user`` is None) is allowed by the token
    itself and limited per visitor IP here and per token in ``core.cors``: never charged to the
    token's owner, whose own budget a page's visitors would otherwise spend.
    """
    settings = get_settings()
    if widget:
        if settings.rate_limits_enabled:
            key = f"ask-widget-ip:{client_key}"
            limiter.hit(key, settings.rate_ask_widget_ip, what="questions")
        return
    if user is None and not settings.anonymous_ask:
        raise NotAuthenticated("Sign in (or send an API token) to ask.")
    if settings.rate_limits_enabled:
        key = f"ask-user:{user.id}" if user is not None else f"ask-ip:{client_key}"
        limiter.hit(key, settings.rate_ask, what="questions")
        if user is not None and is_new_account(user.created_at, settings.new_account_seconds):
            limiter.hit(f"ask-new:{user.id}", settings.rate_ask_new_account, what="questions")
