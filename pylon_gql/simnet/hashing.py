"""The hashes substrate uses: storage key hashers, and blake2-256 for block and extrinsic hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import xxhash


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def twox128(data: bytes) -> bytes:
    return xxhash.xxh64(data, seed=0).digest()[::-1] + xxhash.xxh64(data, seed=1).digest()[::-1]


def _blake2_128_concat(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest() + data


def _twox64_concat(data: bytes) -> bytes:
    return xxhash.xxh64(data, seed=0).digest()[::-1] + data


def _identity(data: bytes) -> bytes:
    return data


def _blake2_128(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


# the metadata names a storage map's hasher; these make its keys
HASHERS: dict[str, Callable[[bytes], bytes]] = {
    "Blake2_128Concat": _blake2_128_concat,
    "Twox64Concat": _twox64_concat,
    "Identity": _identity,
    "Twox128": twox128,
    "Blake2_128": _blake2_128,
    "Blake2_256": blake2_256,
}
