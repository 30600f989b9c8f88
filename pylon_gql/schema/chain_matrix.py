"""The weights and bonds matrices on chain, a row per neuron that has one.

A full matrix of a large subnet is hundreds of thousands of entries: a row's entries are served
as `Columns` over the cached `ChainMatrix`'s arrays, which the compiled completion
(`execution.py`) turns into answers without an object per entry (graphql-core's completion,
should it run, gets one `_Weight`/`_Bond` per entry instead).
"""

from __future__ import annotations

from collections.abc import Sequence

import strawberry

from .. import models
from ..models_metagraph import U16_MAX, ChainMatrix, MatrixKind, MatrixRow
from .arguments import check_list
from .context import Info
from .errors import BadUserInput
from .execution import Columns
from .mechanisms import check_mechanism


@strawberry.type(description="One weight of a validator's row, as on chain.")
class ChainWeight:
    uid: int = strawberry.field(description="The uid the weight is given to.")
    weight: float = strawberry.field(
        description="The weight normalised to [0, 1]: `weightU16 / 65535` (the chain scales "
        "each row so that its largest weight is 65535)."
    )
    weight_u16: int = strawberry.field(description="The weight as the chain keeps it, a u16.")


@strawberry.type(description="A neuron's row of the weights matrix (`SubtensorModule.Weights`).")
class ChainWeightsRow:
    uid: int = strawberry.field(description="The uid that set the weights.")
    hotkey: str = strawberry.field(description="SS58 address of that uid's hotkey at the block.")
    weights: list[ChainWeight] = strawberry.field(
        description="Its weights, in the order the chain keeps them (by uid); empty when the "
        "row is (a uid asked for with `uids` that has none)."
    )


@strawberry.type(description="One bond of a validator's row, as on chain.")
class ChainBond:
    uid: int = strawberry.field(description="The uid the bond is held in.")
    bond: float = strawberry.field(description="The bond normalised to [0, 1]: `bondU16 / 65535`.")
    bond_u16: int = strawberry.field(description="The bond as the chain keeps it, a u16.")


@strawberry.type(description="A neuron's row of the bonds matrix (`SubtensorModule.Bonds`).")
class ChainBondsRow:
    uid: int = strawberry.field(description="The uid that holds the bonds.")
    hotkey: str = strawberry.field(description="SS58 address of that uid's hotkey at the block.")
    bonds: list[ChainBond] = strawberry.field(
        description="Its bonds, in the order the chain keeps them (by uid); empty when the row is."
    )


class _Weight:
    __slots__ = ("uid", "weight", "weight_u16")

    def __init__(self, uid: int, weight: float, weight_u16: int) -> None:
        self.uid = uid
        self.weight = weight
        self.weight_u16 = weight_u16


class _Bond:
    __slots__ = ("bond", "bond_u16", "uid")

    def __init__(self, uid: int, bond: float, bond_u16: int) -> None:
        self.uid = uid
        self.bond = bond
        self.bond_u16 = bond_u16


#: Every column is its own output value: u16s are Ints, a u16 / 65535 a finite Float.
_EXACT = frozenset({"uid", "weight", "weight_u16", "bond", "bond_u16"})


def _entries(row: MatrixRow, kind: MatrixKind) -> Columns:
    uids, values = row.uids, row.values

    def normalised() -> list[float]:
        return [value / U16_MAX for value in values]

    if kind is MatrixKind.WEIGHTS:
        columns = {"uid": uids, "weight": normalised, "weight_u16": values}
        return Columns(len(uids), columns, _Weight, _EXACT)
    columns = {"uid": uids, "bond": normalised, "bond_u16": values}
    return Columns(len(uids), columns, _Bond, _EXACT)


class _Row:
    __slots__ = ("bonds", "hotkey", "uid", "weights")

    def __init__(
        self, uid: int, hotkey: str, entries: Columns | list[object], kind: MatrixKind
    ) -> None:
        self.uid = uid
        self.hotkey = hotkey
        if kind is MatrixKind.WEIGHTS:
            self.weights = entries
        else:
            self.bonds = entries


def check_uids(uids: list[int] | None, metagraph: models.Metagraph, most: int) -> None:
    check_list(uids, "uids", most)
    size = len(metagraph.neurons)
    for uid in uids or ():
        if not 0 <= uid < size:
            raise BadUserInput(
                f"uid {uid} is out of range: subnet {metagraph.netuid} has {size} neurons at "
                f"block {metagraph.block.number} (uids 0 to {size - 1})"
            )


async def matrix_rows(
    info: Info,
    metagraph: models.Metagraph,
    kind: MatrixKind,
    mechanism: int,
    uids: list[int] | None,
) -> list[_Row]:
    """The rows asked for (every row on chain when `uids` is None), ready to complete."""
    check_uids(uids, metagraph, info.context.settings.max_page_size)
    await check_mechanism(info, metagraph.block, metagraph.netuid, mechanism)
    matrix = await info.context.reader.chain_matrix(
        metagraph.block, kind, mechanism, netuid=metagraph.netuid
    )
    return rows_of(matrix, metagraph, uids)


def rows_of(
    matrix: ChainMatrix, metagraph: models.Metagraph, uids: Sequence[int] | None
) -> list[_Row]:
    if uids is None:
        chosen: list[MatrixRow | int] = list(matrix.rows)
    else:
        chosen = [matrix.by_uid.get(uid, uid) for uid in dict.fromkeys(uids)]
    rows = []
    for row in chosen:
        entries: Columns | list[object]
        if isinstance(row, int):
            uid, entries = row, []
        else:
            uid, entries = row.uid, _entries(row, matrix.kind)
        neuron = metagraph.neuron_by_uid(uid)
        rows.append(_Row(uid, "" if neuron is None else neuron.hotkey, entries, matrix.kind))
    return rows
