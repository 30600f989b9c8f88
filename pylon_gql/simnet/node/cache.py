"""The node's answer cache: what a block's state gives is fixed, so it is encoded once."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class AnswerCache:
    """Encoded answers by (block hash, what was asked), least recently used out first.

    Bounded by size: a client that reads the 1024-neuron metagraph at every block of the kept
    history would otherwise hold 256 copies of it. Re-encoding an evicted answer costs about a
    millisecond, so a small cache loses little.
    """

    def __init__(self, max_bytes: int = 64 * 2**20) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()

    def get(self, key: Any) -> Any:
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: Any, value: Any, size: int) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.size -= old[1]
        self._items[key] = (value, size)
        self.size += size
        while self.size > self.max_bytes and len(self._items) > 1:
            _, (_, dropped) = self._items.popitem(last=False)
            self.size -= dropped

    def __len__(self) -> int:
        return len(self._items)
