"""Raw storage reads at a block: many keys in one request, and the keys under a prefix.

The values come back undecoded; the caller decodes them with `pylon_gql.scale` (scalecodec,
which turbobt's storage maps use, takes a good part of a second for a matrix of 65,000 entries).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from turbobt import Bittensor

#: Keys asked for in one `state_queryStorageAt` (a node bounds a request's size; 1024 keys of a
#: double map are about 100 kB).
KEYS_PER_REQUEST = 1024
#: Keys asked for per page of `state_getKeysPaged` (the most a node answers).
KEYS_PER_PAGE = 1000


async def values_at(bt: Bittensor, keys: Sequence[str], block_hash: str) -> dict[str, bytes]:
    """The values of `keys` at the block that have one (an unset key is left out)."""
    found: dict[str, bytes] = {}
    for start in range(0, len(keys), KEYS_PER_REQUEST):
        chunk = list(keys[start : start + KEYS_PER_REQUEST])
        answer: Any = await bt.subtensor.state.queryStorageAt(chunk, block_hash=block_hash)
        for change_set in answer or ():
            for key, value in change_set["changes"]:
                if value is not None:
                    found[str(key).lower()] = _bytes(value)
    return found


async def keys_under(bt: Bittensor, prefix: str, block_hash: str) -> list[str]:
    """Every key that starts with `prefix` at the block, page by page."""
    keys: list[str] = []
    start = prefix
    while True:
        page: Any = await bt.subtensor.state.getKeysPaged(
            prefix, KEYS_PER_PAGE, start, block_hash=block_hash
        )
        page = [str(key).lower() for key in page or ()]
        keys.extend(page)
        if len(page) < KEYS_PER_PAGE:
            return keys
        start = page[-1]


async def entries_under(bt: Bittensor, prefix: str, block_hash: str) -> dict[str, bytes]:
    """Every (key, value) under `prefix` at the block."""
    keys = await keys_under(bt, prefix, block_hash)
    return await values_at(bt, keys, block_hash) if keys else {}


async def value_at(bt: Bittensor, key: str, block_hash: str) -> bytes | None:
    answer: Any = await bt.subtensor.rpc("state_getStorage", {"key": key, "hash": block_hash})
    return None if answer is None else _bytes(answer)


def _bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return bytes.fromhex(str(value).removeprefix("0x"))
