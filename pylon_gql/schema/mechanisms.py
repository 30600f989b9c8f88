"""A subnet's mechanisms: sub-subnets with their own weights, bonds and share of the emission.

Mechanism 0 is the subnet's own weights (what `setWeights` writes by default); a subnet with
`MechanismCountCurrent` = n takes weights for mechanisms 0..n-1, each under its own storage
index (`mechanism * 4096 + netuid`).
"""

from __future__ import annotations

from typing import Annotated, Protocol, cast

import strawberry

from ..models import BlockRef
from ..models_metagraph import U16_MAX, Mechanisms
from .context import Info
from .errors import BadUserInput

#: The `mechanism` argument of the weight mutations.
MechanismArg = Annotated[
    int,
    strawberry.argument(
        description="The subnet's mechanism whose weights to write (0, the default: the "
        "subnet's own weights, as before mechanisms); one the subnet does not have at the head "
        "(see `metagraph.mechanisms.count`) is BAD_USER_INPUT."
    ),
]


class MechanismsReader(Protocol):
    async def mechanisms(self, ref: BlockRef, netuid: int | None = None) -> Mechanisms: ...


async def read_mechanisms(info: Info, ref: BlockRef, netuid: int) -> Mechanisms:
    reader = cast(MechanismsReader, info.context.reader)
    return await reader.mechanisms(ref, netuid)


async def check_mechanism(info: Info, ref: BlockRef, netuid: int, mechanism: int) -> None:
    """BAD_USER_INPUT unless the subnet has `mechanism` at the block."""
    if mechanism == 0:
        return  # every subnet has mechanism 0: no read
    if mechanism < 0:
        raise BadUserInput(f"`mechanism` must be 0 or more; got {mechanism}")
    found = await read_mechanisms(info, ref, netuid)
    if mechanism >= found.count:
        raise BadUserInput(
            f"subnet {netuid} has {found.count} mechanism(s) at block {ref.number} "
            f"(mechanisms 0 to {found.count - 1}): there is no mechanism {mechanism}"
        )


@strawberry.type(description="One mechanism's share of the subnet's alpha emission.")
class MechanismShare:
    mechanism: int = strawberry.field(description="The mechanism id (0: the subnet's own).")
    share: float = strawberry.field(
        description="Its share of the emission in [0, 1]: `shareU16 / 65535`."
    )
    share_u16: int = strawberry.field(
        description="Its share as the chain uses it, a u16 (the shares sum to 65535)."
    )


@strawberry.type(
    description="The subnet's mechanisms at the block (`MechanismCountCurrent`, "
    "`MechanismEmissionSplit`)."
)
class SubnetMechanisms:
    count: int = strawberry.field(
        description="How many mechanisms the subnet has (1: its own weights only); "
        "`chainWeights(mechanism:)` and `setWeights(mechanism:)` take 0 to count - 1."
    )
    split_set: bool = strawberry.field(
        description="Whether the subnet owner set the split (`MechanismEmissionSplit`); "
        "false: the chain splits the emission evenly."
    )
    emission_split: list[MechanismShare] = strawberry.field(
        description="Each mechanism's share of the emission, by mechanism id, as the chain "
        "splits it (an even split when unset, the rounding remainder to mechanism 0)."
    )

    @classmethod
    def from_model(cls, found: Mechanisms) -> SubnetMechanisms:
        return cls(
            count=found.count,
            split_set=found.split is not None,
            emission_split=[
                MechanismShare(mechanism=m, share=share / U16_MAX, share_u16=share)
                for m, share in enumerate(found.shares)
            ],
        )
