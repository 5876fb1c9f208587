"""Talking to the help server: every exchange bounded as a whole, failures as one short reason."""

from __future__ import annotations

import contextlib
import threading
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from checkfirst_notebook.config import Config, sendable_token

ASK_PATH = "/api/v1/ask"
# The server refuses longer fields (422); keep the end, where the exception is.
MAX_FIELD_CHARS = 19_000
# The banner's lookup runs while the notebook opens: shorter than an ask's.
KNOWN_ERRATA_TIMEOUT = 1.5


_CLIENT: httpx.Client | None = None
_CLIENT_LOCK = threading.Lock()


def _client() -> httpx.Client:
    """One client per kernel, made before any request's clock starts: making one loads the CA
    bundle into an SSL context, which on a busy machine alone can outlast the banner's bound.
    It also keeps the connection to the server open between asks."""
    global _CLIENT
    with _CLIENT_LOCK:
        if _CLIENT is None:
            _CLIENT = httpx.Client()
        return _CLIENT


class LookupFailed(Exception):
    """The help server could not be asked; ``reason`` is a few words for the one-line notice."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _request_within(
    method: str,
    url: str,
    headers: dict[str, str],
    timeout: float,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    """One request with a bound on the whole exchange, not only on each read (httpx's timeouts
    are per phase, so a server that trickles bytes could otherwise hold the learner's cell)."""
    outcome: dict[str, Any] = {}
    client = _client()

    def run() -> None:
        try:
            outcome["response"] = client.request(
                method, url, json=body, headers=headers, timeout=httpx.Timeout(timeout)
            )
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="checkfirst-request", daemon=True)
    worker.start()
    worker.join(timeout + 0.25)
    if worker.is_alive():
        raise LookupFailed(f"no answer within {timeout:g} s")
    error = outcome.get("error")
    if isinstance(error, httpx.TimeoutException):
        raise LookupFailed(f"no answer within {timeout:g} s")
    if isinstance(error, httpx.HTTPError):
        raise LookupFailed(type(error).__name__)
    if error is not None:
        raise LookupFailed(f"unexpected {type(error).__name__}")
    response: httpx.Response = outcome["response"]
    return response


def ask(config: Config, payload: dict[str, Any]) -> dict[str, Any]:
    """POST the question to the server's ask API within ``config.timeout`` seconds."""
    if not config.url:
        raise LookupFailed("CHECKFIRST_URL is not set")
    if urlsplit(config.url).scheme not in ("http", "https"):
        raise LookupFailed("CHECKFIRST_URL must start with http:// or https://")
    body = {k: v for k, v in {**config.context(), **payload}.items() if v}
    for key in ("question", "traceback", "output", "expected"):
        if isinstance(body.get(key), str) and len(body[key]) > MAX_FIELD_CHARS:
            body[key] = body[key][-MAX_FIELD_CHARS:]
    headers = {"Accept": "application/json"}
    token, _ = sendable_token(config)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = config.url.rstrip("/") + ASK_PATH
    return _json(_request_within("POST", url, headers, config.timeout, body))


def _json(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        detail = ""
        with contextlib.suppress(ValueError, AttributeError):
            detail = str(response.json().get("detail", ""))
        raise LookupFailed(f"HTTP {response.status_code}" + (f": {detail[:120]}" if detail else ""))
    try:
        data = response.json()
    except ValueError:
        raise LookupFailed("the server's answer was not JSON") from None
    if not isinstance(data, dict):
        raise LookupFailed("the server's answer was not understood")
    return data


# Known errata, by request URL: (ETag, answer). A kernel asks again with If-None-Match, and the
# server answers 304 with no body while nothing changed.
_KNOWN_CACHE: dict[str, tuple[str, dict[str, Any]]] = {}


def known_errata_url(config: Config) -> str:
    """The known-errata URL for this notebook's course, assignment and version."""
    path = (
        f"/api/v1/courses/{quote(config.course, safe='')}"
        f"/assignments/{quote(config.assignment, safe='')}/known-errata"
    )
    query = f"?version={quote(config.notebook_version, safe='')}" if config.notebook_version else ""
    return config.url.rstrip("/") + path + query


def known_errata(config: Config) -> dict[str, Any]:
    """The server's known errata for this notebook (a public read: no token is sent).

    Raises:
        LookupFailed: not configured, unreachable within the short timeout, or an error answer.
    """
    if not config.url:
        raise LookupFailed("CHECKFIRST_URL is not set")
    if urlsplit(config.url).scheme not in ("http", "https"):
        raise LookupFailed("CHECKFIRST_URL must start with http:// or https://")
    url = known_errata_url(config)
    headers = {"Accept": "application/json"}
    cached = _KNOWN_CACHE.get(url)
    if cached:
        headers["If-None-Match"] = cached[0]
    timeout = min(config.timeout, KNOWN_ERRATA_TIMEOUT)
    response = _request_within("GET", url, headers, timeout)
    if response.status_code == 304 and cached:
        return cached[1]
    data = _json(response)
    tag = response.headers.get("etag")
    if tag:
        _KNOWN_CACHE[url] = (tag, data)
    return data


def notice(reason: str, after_error: bool = True) -> str:
    """The one quiet line shown when the lookup fails."""
    tail = "; your error is shown above." if after_error else ". Try again later."
    return f"Checkfirst: couldn't reach the help server ({reason}){tail}"
