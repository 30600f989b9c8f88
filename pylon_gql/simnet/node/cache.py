"""The node's answer cache: what a block's state gives is fixed, so it is encoded once."""

from __future__ import annotations

from typing import Any

from cachetools import LRUCache


class AnswerCache:
    """Encoded answers by (block hash, what was asked), least recently used out first.

    Bounded by size: a client that reads the 1024-neuron metagraph at every block of the kept
    history would otherwise hold 256 copies of it. Re-encoding an evicted answer costs about a
    millisecond, so a small cache loses little; an answer larger than the whole cache is not kept.
    """

    def __init__(self, max_bytes: int = 64 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._items: LRUCache[Any, tuple[Any, int]] = LRUCache(
            max_bytes, getsizeof=lambda item: item[1]
        )

    @property
    def size(self) -> int:
        return int(self._items.currsize)

    def get(self, key: Any) -> Any:
        item = self._items.get(key)
        return None if item is None else item[0]

    def put(self, key: Any, value: Any, size: int) -> None:
        if size <= self.max_bytes:
            self._items[key] = (value, size)

    def __len__(self) -> int:
        return len(self._items)
