"""A subnet's `SubtensorModule` storage item read as a hyperparameter: what `setHyperparameter`
reads back for the admin calls whose value the runtime's hyperparameter answer leaves out
(`models.STORAGE_HYPERPARAMETERS`).

The value is decoded by the item's metadata type and served as JSON the way the answer's fields
are (`hyperparameter_fields`); an unset key reads as the item's default, as a node reads it.
"""

from __future__ import annotations

from typing import Any

from turbobt import Bittensor

from .hyperparameter_fields import described_type
from .json_values import JsonValues
from .runtime_types import RuntimeTypes, StorageItem
from .storage_reads import value_at

PALLET = "SubtensorModule"


async def storage_value(
    bt: Bittensor, types: RuntimeTypes, item: str, netuid: int, block_hash: str
) -> tuple[str, Any] | None:
    """The item's type name and its value as JSON at the block; None when the runtime has no
    such item keyed by the netuid alone."""
    try:
        found = types.storage(PALLET, item)
    except KeyError:
        return None
    if len(found.key_types) != 1:
        return None
    data = await value_at(bt, found.key(netuid), block_hash)
    if data is None:
        data = _default(types, found)
    json = types.made("json_values", lambda t: JsonValues(t.codec))
    return described_type(types.codec, found.value_type), json.convert(
        found.value_type, found.value(data)
    )


def _default(types: RuntimeTypes, item: StorageItem) -> bytes:
    """The item's default as bytes (scalecodec keeps a metadata `Bytes` field as text when it
    is valid UTF-8, as 0x-hex otherwise)."""
    entries = (types.pallets[item.pallet].get("storage") or {}).get("entries") or []
    default: Any = next(e["default"] for e in entries if e["name"] == item.name)
    if isinstance(default, (bytes, bytearray)):
        return bytes(default)
    text = str(default)
    if text.startswith("0x"):
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            pass
    return text.encode("utf-8")
