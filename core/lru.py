"""A least-recently-used cache bounded by the bytes its entries hold, not by their count.

A count bound trusts every entry to be small; user text is not (a post may be 50k characters,
a thread hundreds of them). The caller says what an entry costs when it puts it; the oldest
entries go until the total is back under the bound, and an entry larger than the whole bound is
not kept at all. Routes run in a thread pool, so every operation holds one lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class ByteBoundedLRU(Generic[K, V]):
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.total_bytes = 0
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            self._items.move_to_end(key)
            return hit[0]

    def put_sized(self, key: K, value: V, size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.total_bytes -= old[1]
            self._items[key] = (value, size)
            self.total_bytes += size
            while self.total_bytes > self.max_bytes:
                _, (_, freed) = self._items.popitem(last=False)
                self.total_bytes -= freed

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.total_bytes = 0
