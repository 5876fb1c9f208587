"""Platforms' public keys, fetched with httpx and cached per URL; an unknown ``kid`` refetches
(the platform rotated its key), at most once per ``REFETCH_SECONDS`` so forged kids cannot make
us hammer the platform."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
from jwt import PyJWK
from jwt.exceptions import PyJWKError

CACHE_SECONDS = 3600
REFETCH_SECONDS = 5
TIMEOUT_SECONDS = 5


class KeySetError(Exception):
    """The platform's key set could not be fetched or holds no key for the token."""


class _Entry:
    def __init__(self, keys: dict[str, PyJWK], fetched_at: float) -> None:
        self.keys = keys
        self.fetched_at = fetched_at


_cache: dict[str, _Entry] = {}
_lock = threading.Lock()
# Counts HTTP fetches, so tests can see the cache (and the refetch on rotation) at work.
fetches = 0


def _fetch(url: str) -> dict[str, PyJWK]:
    global fetches
    fetches += 1
    try:
        response = httpx.get(url, timeout=TIMEOUT_SECONDS, follow_redirects=True)
        response.raise_for_status()
        data: Any = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise KeySetError(f"the platform's key set at {url} could not be read ({exc})") from exc
    keys: dict[str, PyJWK] = {}
    for raw in data.get("keys", []) if isinstance(data, dict) else []:
        if not isinstance(raw, dict) or raw.get("kty") != "RSA" or raw.get("use", "sig") != "sig":
            continue
        try:
            keys[str(raw.get("kid", ""))] = PyJWK(raw, algorithm="RS256")
        except PyJWKError:
            continue
    return keys


def key_for(url: str, kid: str | None) -> PyJWK:
    """The platform key named ``kid`` (or its only key when the token names none)."""
    now = time.monotonic()
    with _lock:
        entry = _cache.get(url)
    fresh = entry is not None and now - entry.fetched_at < CACHE_SECONDS
    if (
        entry is None
        or not fresh
        or (kid not in entry.keys and now - entry.fetched_at >= REFETCH_SECONDS)
    ):
        entry = _Entry(_fetch(url), now)
        with _lock:
            _cache[url] = entry
    if kid is None and len(entry.keys) == 1:
        return next(iter(entry.keys.values()))
    key = entry.keys.get(kid or "")
    if key is None:
        raise KeySetError(f"the platform's key set has no key {kid!r}")
    return key


def clear() -> None:
    with _lock:
        _cache.clear()
