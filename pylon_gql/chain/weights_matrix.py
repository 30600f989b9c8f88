"""A subnet's weights and bonds matrices (`SubtensorModule.Weights`, `Bonds`) from storage
(pure functions, no I/O).

Both maps are keyed `(NetUidStorageIndex, uid)` with the Identity hasher: the keys of a
subnet's rows are known from its size alone, so the whole matrix is one batch of keys, not a
key listing and then a read. A mechanism's rows live under its storage index,
`mechanism x 4096 + netuid` (subtensor's `GLOBAL_MAX_SUBNET_COUNT`), mechanism 0 under the
netuid itself.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping

from ..models import BlockRef
from ..models_metagraph import ChainMatrix, MatrixKind, MatrixRow
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
    for key, data in values.items():
        _, uid = item.key_parts(key)
        pairs = item.value(data)
        if not pairs:
            continue
        rows.append(
            MatrixRow(
                uid=int(uid),
                uids=array("H", (p[0] for p in pairs)),
                values=array("H", (p[1] for p in pairs)),
            )
        )
    rows.sort(key=lambda row: row.uid)
    return ChainMatrix(netuid=netuid, mechanism=mechanism, kind=kind, block=ref, rows=tuple(rows))
