"""Sliding-window rate limits, kept in process memory (per worker).

Limits are "N/S" strings from settings. Each worker counts on its own, so with W workers the
effective ceiling is at most W times the configured one; that is documented in the README.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from datetime import datetime, timedelta

from core.errors import RateLimited


def parse_rate(rate: str) -> tuple[int, float]:
    count, _, seconds = rate.partition("/")
    return int(count), float(seconds or 60)


class RateLimiter:
    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str, rate: str, *, what: str = "requests") -> None:
        """Count one hit for ``key``; raise RateLimited with a Retry-After when over ``rate``."""
        limit, window = parse_rate(rate)
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                retry = max(1, math.ceil(hits[0] + window - now))
                raise RateLimited(f"Too many {what}. Try again in {retry} seconds.", retry)
            hits.append(now)

    def reset(self, key: str | None = None) -> None:
        with self._lock:
            if key is None:
                self._hits.clear()
            else:
                self._hits.pop(key, None)


limiter = RateLimiter()


def is_new_account(created_at: datetime, new_account_seconds: int) -> bool:
    """Accounts younger than this get the tighter limits (ACCEPTANCE B1)."""
    from core.models import utcnow

    return utcnow() - created_at < timedelta(seconds=new_account_seconds)
