"""Optional phrasing by an LLM through any OpenAI-compatible chat-completions endpoint.

Off unless ``CHECKFIRST_LLM_BASE_URL`` is set. The prompt holds only the retrieved sources and the
extractive answer; the reply streams (``stream: true``, server-sent events) under one overall
deadline. The phrased answer is used only if every paragraph keeps a citation marker and every
marker points at a real source; otherwise, and on any error or timeout, the caller keeps the
extractive answer (invariant 5: the assistant never invents).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from assistant.schemas import Source
from core.settings import Settings, get_settings

log = logging.getLogger(__name__)

_MARKER = re.compile(r"\[(\d{1,3})\]")

SYSTEM_PROMPT = (
    "You rephrase answers for learners in a programming course. Use ONLY the numbered sources "
    "and the draft answer below; add no facts, code or advice that they do not contain. Keep "
    "every citation marker like [1] next to the statement it supports: every paragraph must "
    "carry at least one marker, and you may only use the markers of the listed sources. Keep "
    "code blocks and expected outputs verbatim. Be brief and plain."
)


class LLMError(Exception):
    pass


def enabled(settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    return bool(settings.llm_base_url.strip())


def build_messages(
    *, question: str, answer: str, sources: Sequence[Source]
) -> list[dict[str, str]]:
    listed = "\n".join(
        f"[{i + 1}] ({s.type}, {s.status}) {s.title}: {s.snippet}" for i, s in enumerate(sources)
    )
    user = (
        f"Learner's question:\n{question[:4000]}\n\nSources:\n{listed}\n\n"
        f"Draft answer (every statement cites a source):\n{answer}"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def stream_completion(
    messages: list[dict[str, str]],
    *,
    settings: Settings | None = None,
    deadline: float | None = None,
    client: httpx.Client | None = None,
) -> Iterator[str]:
    """Yield content deltas from a streaming chat completion; raise LLMError on any failure.

    ``deadline`` (a ``time.monotonic()`` value) bounds the whole exchange, not each read, so a
    server that trickles bytes cannot hold the request.
    """
    settings = settings or get_settings()
    deadline = deadline or time.monotonic() + settings.llm_timeout_seconds
    url = settings.llm_base_url.rstrip("/") + "/chat/completions"
    headers = {"Accept": "text/event-stream"}
    if settings.llm_api_key:
        headers["Authorization"] = f"Bearer {settings.llm_api_key}"
    body: dict[str, Any] = {
        "model": settings.llm_model or "default",
        "messages": messages,
        "stream": True,
        "temperature": 0,
    }
    remaining = max(0.05, deadline - time.monotonic())
    own = client is None
    http = client or httpx.Client(timeout=httpx.Timeout(remaining, connect=min(remaining, 3.0)))
    try:
        with http.stream("POST", url, json=body, headers=headers) as resp:
            if resp.status_code != 200:
                raise LLMError(f"LLM endpoint answered {resp.status_code}")
            for line in resp.iter_lines():
                if time.monotonic() > deadline:
                    raise LLMError("LLM timed out")
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                try:
                    chunk = json.loads(data)
                    delta = chunk["choices"][0].get("delta", {}).get("content") or ""
                except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
                    raise LLMError("LLM sent a malformed chunk") from exc
                if delta:
                    yield delta
    except httpx.HTTPError as exc:
        raise LLMError(f"LLM request failed: {exc.__class__.__name__}") from exc
    finally:
        if own:
            http.close()


def verify(text: str, n_sources: int) -> bool:
    """Every paragraph outside code cites, and only sources that exist."""
    if not text.strip():
        return False
    markers = [int(m) for m in _MARKER.findall(text)]
    if not markers or any(m < 1 or m > n_sources for m in markers):
        return False
    prose = re.sub(r"(```|~~~).*?\1", "", text, flags=re.DOTALL)
    paragraphs = [p for p in re.split(r"\n\s*\n", prose) if p.strip()]
    return all(_MARKER.search(p) or p.rstrip().endswith(":") for p in paragraphs)


def phrase(
    *,
    question: str,
    answer: str,
    sources: Sequence[Source],
    settings: Settings | None = None,
) -> str | None:
    """The LLM's phrasing of ``answer``, or None to keep the extractive one."""
    settings = settings or get_settings()
    if not enabled(settings) or not sources:
        return None
    messages = build_messages(question=question, answer=answer, sources=sources)
    deadline = time.monotonic() + settings.llm_timeout_seconds
    try:
        text = "".join(stream_completion(messages, settings=settings, deadline=deadline))
    except LLMError as exc:
        log.warning("LLM phrasing skipped: %s", exc)
        return None
    if not verify(text, len(sources)):
        log.warning("LLM phrasing dropped: citation markers missing or unknown")
        return None
    return text.strip()
