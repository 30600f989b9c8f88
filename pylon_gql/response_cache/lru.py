"""Values by key within a bound of bytes, the least recently used out first: the response
cache's two maps (answers by key, key templates by raw request).

Each request served from the cache looks both up, so a lookup is kept to a dict's get and a
reorder (both in C): cachetools' `LRUCache` took three times as long through its layers of
Python methods, which showed on the fast lane's few microseconds.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most `max_bytes` of values (each as its `put` costs it); `on_evict` is called for each
    value dropped for room."""

    def __init__(self, max_bytes: int, on_evict: Callable[[], None] | None = None) -> None:
        self.max_bytes = max_bytes
        self._values: OrderedDict[K, V] = OrderedDict()
        self._costs: dict[K, int] = {}
        self._bytes = 0
        self._on_evict = on_evict

    def __len__(self) -> int:
        return len(self._values)

    @property
    def size(self) -> int:
        """Bytes counted for what is kept."""
        return self._bytes

    def get(self, key: K) -> V | None:
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
        return value

    def put(self, key: K, value: V, cost: int) -> bool:
        """Keep `value` (most recently used), dropping the least recently used for room;
        False, and nothing changed, when it alone costs more than the bound."""
        if cost > self.max_bytes:
            return False
        old = self._costs.pop(key, None)
        if old is not None:
            self._bytes -= old
        self._values[key] = value
        self._values.move_to_end(key)
        self._costs[key] = cost
        self._bytes += cost
        while self._bytes > self.max_bytes:
            dropped, _ = self._values.popitem(last=False)
            self._bytes -= self._costs.pop(dropped)
            if self._on_evict is not None:
                self._on_evict()
        return True
