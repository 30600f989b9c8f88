"""The loaded runtime's metadata, as the full metagraph's reads need it: its V15 content
(pallets, storage entries, the extrinsic format), a SCALE codec compiled from its types, and
the storage keys of its items.

`_internals.runtime_of` is the one reach into turbobt; what is read here is scalecodec's decoded
metadata (`[magic, {"V15": {...}}]`, as `_internals.portable_types` reads it). Everything is
kept per runtime (the metadata object's identity), so a runtime upgrade gets its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import xxhash
from turbobt import Bittensor

from ..scale import Codec
from . import _internals
from .errors import ChainUnavailable

T = TypeVar("T")

#: Per runtime (id of its decoded metadata, kept with it so that the id stays its own).
_RUNTIMES: dict[int, tuple[object, RuntimeTypes]] = {}


def twox128(data: bytes) -> bytes:
    return xxhash.xxh64(data, seed=0).digest()[::-1] + xxhash.xxh64(data, seed=1).digest()[::-1]


def _blake2_128_concat(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest() + data


def _twox64_concat(data: bytes) -> bytes:
    return xxhash.xxh64(data, seed=0).digest()[::-1] + data


#: The storage hashers a key part may use, and how many hash bytes precede the part itself
#: (None: the part cannot be read back from the key).
HASHERS = {
    "Identity": (lambda data: data, 0),
    "Twox64Concat": (_twox64_concat, 8),
    "Blake2_128Concat": (_blake2_128_concat, 16),
    "Twox128": (twox128, None),
    "Blake2_128": (lambda data: hashlib.blake2b(data, digest_size=16).digest(), None),
    "Blake2_256": (lambda data: hashlib.blake2b(data, digest_size=32).digest(), None),
}


@dataclass(frozen=True)
class StorageItem:
    """A storage item of the runtime: how its keys are made and what its value is."""

    pallet: str
    name: str
    hashers: tuple[str, ...]
    #: The type of each key part, in order.
    key_types: tuple[int, ...]
    value_type: int
    codec: Codec

    @property
    def prefix(self) -> bytes:
        return twox128(self.pallet.encode()) + twox128(self.name.encode())

    def key(self, *parts: Any) -> str:
        """The hex key of the entry at `parts` (the first len(parts) key parts: a prefix of
        the map when fewer than all)."""
        raw = bytearray(self.prefix)
        for hasher, type_id, part in zip(self.hashers, self.key_types, parts, strict=False):
            raw += HASHERS[hasher][0](self.codec.encode(type_id, part))
        return "0x" + raw.hex()

    def key_parts(self, key: str) -> list[Any]:
        """The key parts of a full key of this item (each hasher must keep its input)."""
        raw = bytes.fromhex(key.removeprefix("0x"))
        offset = 32
        parts = []
        for hasher, type_id in zip(self.hashers, self.key_types, strict=True):
            skip = HASHERS[hasher][1]
            if skip is None:
                raise ValueError(f"{self.pallet}.{self.name}: {hasher} keeps no key")
            value, offset = self.codec.decoder(type_id)(raw, offset + skip)
            parts.append(value)
        return parts

    def value(self, data: bytes) -> Any:
        return self.codec.decode(self.value_type, data)


class RuntimeTypes:
    """One runtime's V15 metadata content and codec."""

    def __init__(self, types: dict[int, dict[str, Any]], v15: dict[str, Any]) -> None:
        self.codec = Codec(types)
        self.v15 = v15
        self.pallets: dict[str, dict[str, Any]] = {p["name"]: p for p in v15["pallets"]}
        self.pallets_by_index: dict[int, dict[str, Any]] = {p["index"]: p for p in v15["pallets"]}
        self._items: dict[tuple[str, str], StorageItem] = {}
        self._made: dict[str, Any] = {}

    def made(self, name: str, make: Callable[[RuntimeTypes], T]) -> T:
        """What `make` makes of this runtime, made once (a decoder of its blocks, ...)."""
        found = self._made.get(name)
        if found is None:
            found = self._made[name] = make(self)
        return found

    def storage(self, pallet: str, name: str) -> StorageItem:
        found = self._items.get((pallet, name))
        if found is not None:
            return found
        entries = (self.pallets[pallet].get("storage") or {}).get("entries") or []
        entry = next((e for e in entries if e["name"] == name), None)
        if entry is None:
            raise KeyError(f"the runtime has no storage item {pallet}.{name}")
        kind = entry["type"]
        if "Plain" in kind:
            item = StorageItem(pallet, name, (), (), kind["Plain"], self.codec)
        else:
            spec = kind["Map"]
            hashers = tuple(spec["hashers"])
            key_types: tuple[int, ...] = (spec["key"],)
            if len(hashers) > 1:
                key_types = tuple(self.codec.type_def(spec["key"])["def"]["tuple"])
            item = StorageItem(pallet, name, hashers, key_types, spec["value"], self.codec)
        self._items[(pallet, name)] = item
        return item

    def api_method(self, api: str, method: str) -> dict[str, Any]:
        """A runtime API method's metadata (`inputs`, `output` type ids)."""
        for found in self.v15["apis"]:
            if found["name"] == api:
                for entry in found["methods"]:
                    if entry["name"] == method:
                        return entry
        raise KeyError(f"the runtime has no API method {api}_{method}")

    def has_storage(self, pallet: str, name: str) -> bool:
        try:
            self.storage(pallet, name)
        except KeyError:
            return False
        return True


def runtime_types(bt: Bittensor) -> RuntimeTypes:
    """The loaded runtime's types (load it first: any call does)."""
    runtime = _internals.runtime_of(bt)
    if runtime is None:
        raise ChainUnavailable("the runtime metadata is not loaded")
    found = _RUNTIMES.get(id(runtime.metadata))
    if found is None or found[0] is not runtime.metadata:
        v15 = runtime.metadata.value[1]["V15"]
        found = (runtime.metadata, RuntimeTypes(_internals.portable_types(bt), v15))
        _RUNTIMES[id(runtime.metadata)] = found
    return found[1]


async def loaded_runtime_types(bt: Bittensor) -> RuntimeTypes:
    """`runtime_types`, loading the metadata first if no call has yet."""
    if not _internals.runtime_loaded(bt):
        await _internals.load_runtime(bt)
    return runtime_types(bt)
