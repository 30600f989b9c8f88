"""A subnet's weights and bonds matrices (`SubtensorModule.Weights`, `Bonds`) from storage
(pure functions, no I/O).

Both maps are keyed `(NetUidStorageIndex, uid)` with the Identity hasher: the keys of a
subnet's rows are known from its size alone, so the whole matrix is one batch of keys, not a
key listing and then a read. A mechanism's rows live under its storage index,
`mechanism x 4096 + netuid` (subtensor's `GLOBAL_MAX_SUBNET_COUNT`), mechanism 0 under the
netuid itself.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Mapping

from ..models import BlockRef
from ..models_metagraph import ChainMatrix, MatrixKind, MatrixRow
from ..scale import ScaleError, decode_compact
from .runtime_types import StorageItem

#: subtensor's GLOBAL_MAX_SUBNET_COUNT: the stride of mechanisms' storage indexes.
MECHANISM_STRIDE = 4096


def storage_index(netuid: int, mechanism: int) -> int:
    """subtensor's `NetUidStorageIndex` of a subnet's mechanism."""
    return mechanism * MECHANISM_STRIDE + netuid


def row_keys(item: StorageItem, netuid: int, mechanism: int, uids: range | list[int]) -> list[str]:
    index = storage_index(netuid, mechanism)
    return [item.key(index, uid) for uid in uids]


def matrix_from_values(
    item: StorageItem,
    netuid: int,
    mechanism: int,
    kind: MatrixKind,
    ref: BlockRef,
    values: Mapping[str, bytes],
) -> ChainMatrix:
    """The rows whose keys have a value, decoded (`Vec<(u16, u16)>` each), in uid order."""
    rows = []
    pairs_of = _u16_pairs if _is_u16_pairs(item) else _generic_pairs
    identity = item.hashers == ("Identity", "Identity")
    for key, data in values.items():
        # With the Identity hasher the key ends with the uid itself (u16, little-endian).
        uid = int.from_bytes(bytes.fromhex(key[-4:]), "little") if identity else None
        if uid is None:
            uid = int(item.key_parts(key)[1])
        row = pairs_of(item, uid, data)
        if row is not None:
            rows.append(row)
    rows.sort(key=lambda row: row.uid)
    return ChainMatrix(netuid=netuid, mechanism=mechanism, kind=kind, block=ref, rows=tuple(rows))


def _is_u16_pairs(item: StorageItem) -> bool:
    """Whether the value is `Vec<(u16, u16)>`, as in every runtime so far."""
    codec = item.codec
    sequence = codec.type_def(item.value_type)["def"].get("sequence")
    if sequence is None:
        return False
    pair = codec.type_def(sequence["type"])["def"].get("tuple")
    return (
        pair is not None
        and all(codec.type_def(t)["def"] == {"primitive": "u16"} for t in pair)
        and len(pair) == 2
    )


def _u16_pairs(item: StorageItem, uid: int, data: bytes) -> MatrixRow | None:
    """A `Vec<(u16, u16)>` straight into arrays: a compact length, then the pairs as
    little-endian u16s (a quarter of a second saved on a 200,000-entry matrix)."""
    length, offset = decode_compact(data, 0)
    if length == 0:
        return None
    if offset + 4 * length != len(data):
        raise ScaleError(f"a row of {length} (u16, u16) in {len(data) - offset} bytes")
    flat = array("H", data[offset:])
    if sys.byteorder != "little":
        flat.byteswap()
    return MatrixRow(uid=uid, uids=flat[0::2], values=flat[1::2])


def _generic_pairs(item: StorageItem, uid: int, data: bytes) -> MatrixRow | None:
    pairs = item.value(data)
    if not pairs:
        return None
    return MatrixRow(
        uid=uid,
        uids=array("H", (int(p[0]) for p in pairs)),
        values=array("H", (int(p[1]) for p in pairs)),
    )
