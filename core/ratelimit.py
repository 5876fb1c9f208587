"""Rate limits shared by every process, through the ``limits`` library.

Limits are "N/S" strings from settings (N hits per S seconds), counted with limits' moving
window: exactly the hits of the last S seconds. (The sliding window counter approximates the
previous fixed window's share, so a burst straddling a window boundary was undercounted: ten
wrong passwords across a boundary let an eleventh through.) With ``CHECKFIRST_REDIS_URL`` set,
the counters live in Redis, so one limit holds across every worker of every server
(ARCHITECTURE invariant 3); without it they live in this process's memory, which is only right
for a single process (development, tests). Either storage expires a key once its window has
passed, so spoofed addresses, usernames and random tokens do not pile up.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime, timedelta

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from core.errors import RateLimited

# Keys of one deployment in a Redis it may share with other programs.
REDIS_PREFIX = "checkfirst"


class SweepingMemoryStorage(MemoryStorage):
    """limits' memory storage empties a moving window's expired list but keeps its key, so every
    spoofed address or username would leave one behind; this drops the empty ones as well."""

    def _MemoryStorage__expire_events(self) -> None:  # the name the parent's timer calls
        super()._MemoryStorage__expire_events()  # type: ignore[misc]
        # A copy (one C call, no Python code in between): a hit in another thread may add a key
        # while this timer thread looks, and iterating the live dict then raised RuntimeError.
        for key in [key for key, events in self.events.copy().items() if not events]:
            with self.locks[key]:
                if not self.events.get(key):
                    self.events.pop(key, None)


def parse_rate(rate: str) -> tuple[int, int]:
    count, _, seconds = rate.partition("/")
    return int(count), int(float(seconds or 60))


def _item(rate: str) -> RateLimitItem:
    count, seconds = parse_rate(rate)
    return RateLimitItemPerSecond(count, seconds)


class RateLimiter:
    """``hit`` counts and refuses; ``check`` refuses without counting (sign-in counts failures)."""

    def __init__(self, storage_url: str | None = None, *, prefix: str = REDIS_PREFIX) -> None:
        # None: read CHECKFIRST_REDIS_URL when first used, so tests and workers pick up settings.
        self._url = storage_url
        self._prefix = prefix
        self._storage: Storage | None = None
        self._strategy: MovingWindowRateLimiter | None = None
        # The rates seen, so that reset(key) can clear that key under each of them.
        self._rates: set[str] = set()
        self._lock = threading.Lock()

    @property
    def storage(self) -> Storage:
        return self._ready()[0]

    def _ready(self) -> tuple[Storage, MovingWindowRateLimiter]:
        with self._lock:
            if self._storage is None or self._strategy is None:
                url = self._url
                if url is None:
                    from core.settings import get_settings

                    url = get_settings().redis_url
                storage: Storage = (
                    storage_from_string(url, key_prefix=self._prefix)  # type: ignore[assignment]
                    if url
                    else SweepingMemoryStorage()
                )
                self._storage = storage
                self._strategy = MovingWindowRateLimiter(storage)
            return self._storage, self._strategy

    def _refuse(self, key: str, item: RateLimitItem, what: str) -> RateLimited:
        _, strategy = self._ready()
        reset_at = strategy.get_window_stats(item, key).reset_time
        retry = max(1, math.ceil(reset_at - time.time()))
        return RateLimited(f"Too many {what}. Try again in {retry} seconds.", retry)

    def hit(self, key: str, rate: str, *, what: str = "requests") -> None:
        """Count one hit for ``key``; raise RateLimited with a Retry-After when over ``rate``."""
        item = _item(rate)
        self._rates.add(rate)
        if not self._ready()[1].hit(item, key):
            raise self._refuse(key, item, what)

    def check(self, key: str, rate: str, *, what: str = "requests") -> None:
        """Raise RateLimited if ``key`` has used up ``rate``, without counting this call."""
        item = _item(rate)
        if not self._ready()[1].test(item, key):
            raise self._refuse(key, item, what)

    def reset(self, key: str | None = None) -> None:
        storage, strategy = self._ready()
        if key is None:
            storage.reset()
            return
        for rate in list(self._rates):
            strategy.clear(_item(rate), key)

    def close(self) -> None:
        """Forget the storage (tests switch settings; a forked worker opens its own)."""
        with self._lock:
            self._storage = None
            self._strategy = None


limiter = RateLimiter()


def is_new_account(created_at: datetime, new_account_seconds: int) -> bool:
    """Accounts younger than this get the tighter limits (ACCEPTANCE B1)."""
    from core.clock import utcnow

    return utcnow() - created_at < timedelta(seconds=new_account_seconds)
