"""The storage items the simnet keeps (`storage_items.SERVED`), keyed with the metadata's
hashers and encoded with its types, and the lookups the `state_*` storage methods make in them.

One map of key -> encoded value is built per entry and block, on first use, and kept in the
answer cache. Any other key reads as absent, as an unset key does on a node.
"""

from __future__ import annotations

from ..runtime import Runtime, StorageEntry
from ..state import BlockState
from .cache import AnswerCache
from .params import hex_bytes, to_hex
from .storage_items import SERVED, Items, ItemSource


class Storage:
    """The storage of every block, as far as the simnet keeps it."""

    def __init__(self, runtime: Runtime, cache: AnswerCache) -> None:
        self.runtime = runtime
        self.cache = cache
        # only what this runtime's metadata has
        self._sources: dict[tuple[str, str], ItemSource] = {
            k: v for k, v in SERVED.items() if k in runtime.storage
        }

    def _map(self, state: BlockState, entry: StorageEntry) -> dict[bytes, bytes]:
        key = (state.hash, entry.pallet, entry.name)
        found = self.cache.get(key)
        if found is None:
            source = self._sources.get((entry.pallet, entry.name))
            found = {} if source is None else self._encode(entry, source(state))
            self.cache.put(key, found, 64 + sum(len(k) + len(v) + 64 for k, v in found.items()))
        return found

    def _encode(self, entry: StorageEntry, items: Items) -> dict[bytes, bytes]:
        """The one encoder of every item: keys with the metadata's hashers, values with its
        value type."""
        codec = self.runtime.codec
        return {entry.key(codec, *keys): codec.encode(entry.value_type, v) for keys, v in items}

    def _entries_under(self, prefix: bytes) -> list[StorageEntry]:
        if len(prefix) >= 32:
            entry = self.runtime.storage_by_prefix.get(prefix[:32])
            return [] if entry is None else [entry]
        return [
            self.runtime.storage[key]
            for key in self._sources
            if self.runtime.storage[key].prefix.startswith(prefix)
        ]

    def value(self, state: BlockState, key: bytes) -> bytes | None:
        """The encoded value of a full storage key at a block; None when absent."""
        entries = self._entries_under(key)
        if not entries or len(key) < 32:
            return None
        return self._map(state, entries[0]).get(key)

    def values(self, state: BlockState, keys: list[str]) -> dict[str, str | None]:
        """The values (hex, None when absent) of storage keys (hex) at a block."""
        values: dict[str, str | None] = {}
        for key in keys:
            found = self.value(state, hex_bytes(key, "key"))
            values[key] = None if found is None else to_hex(found)
        return values

    def keys_with(self, state: BlockState, prefix: bytes) -> list[bytes]:
        """Every key under `prefix` at a block, sorted."""
        keys: list[bytes] = []
        for entry in self._entries_under(prefix):
            keys.extend(k for k in self._map(state, entry) if k.startswith(prefix))
        keys.sort()
        return keys
