"""`Subnet`, what `subnet(netuid:)` and each item of `subnets` answer, and `subnets(block:)`:
every subnet at a block with its dynamic info, filtered and ordered."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, cast

import strawberry

from .. import models
from ..chain.epochs import epoch_at
from ..chain.errors import NoEpochs
from ..models_subnets import SubnetOverview
from .context import Info
from .neuron_lists import OrderDirection
from .types import BigInt, BlockRef, Epoch

_TOKENS = "in tokens (rao / 10^9)"


@strawberry.type(
    description="A subnet at one block: its identity and owner, size, registration burn, pool, "
    "price, emission and epoch (`get_dynamic_info`, with its size and burn from storage). TAO "
    "and alpha amounts come as Float in tokens and as BigInt in rao (10^-9)."
)
class Subnet:
    block: BlockRef = strawberry.field(description="The block this answer is for.")
    netuid: int = strawberry.field(description="The subnet's number.")
    name: str = strawberry.field(description="The subnet's name, as its owner set it.")
    symbol: str = strawberry.field(description="The symbol of the subnet's alpha token.")
    owner_hotkey: str = strawberry.field(description="SS58 address of the owner's hotkey.")
    owner_coldkey: str = strawberry.field(
        description="SS58 address of the owner's coldkey, which signs hyperparameter changes."
    )
    tempo: int = strawberry.field(description="Blocks between two runs of the subnet's epoch.")
    registered_at: int = strawberry.field(description="Block at which the subnet was created.")
    last_step: int = strawberry.field(description="Block at which its epoch last ran.")
    blocks_since_last_step: int = strawberry.field(description="Blocks since then.")
    neuron_count: int = strawberry.field(description="Neurons registered (`SubnetworkN`).")
    max_neurons: int | None = strawberry.field(
        description="Most neurons the subnet holds (`MaxAllowedUids`); null when unset."
    )
    burn: float = strawberry.field(description=f"What registering costs now, TAO {_TOKENS}.")
    burn_rao: BigInt = strawberry.field(description="`burn` in rao.")
    alpha_in: float = strawberry.field(description=f"Alpha in the pool, {_TOKENS}.")
    alpha_in_rao: BigInt = strawberry.field(description="`alphaIn` in rao.")
    alpha_out: float = strawberry.field(
        description=f"Alpha outside the pool (staked or held), {_TOKENS}."
    )
    alpha_out_rao: BigInt = strawberry.field(description="`alphaOut` in rao.")
    tao_in: float = strawberry.field(description=f"TAO in the pool, {_TOKENS}.")
    tao_in_rao: BigInt = strawberry.field(description="`taoIn` in rao.")
    price: float = strawberry.field(
        description="TAO per alpha in the pool: `taoIn / alphaIn` (1 for the root subnet, 0 "
        "for an empty pool)."
    )
    moving_price: float = strawberry.field(
        description="The chain's moving average of the price (its fixed-point value as a "
        "number), which the emission split follows."
    )
    emission: float = strawberry.field(
        description=f"TAO the subnet is emitted per block, {_TOKENS}."
    )
    emission_rao: BigInt = strawberry.field(description="`emission` in rao.")
    tao_in_emission_rao: BigInt = strawberry.field(
        description="TAO injected into the pool per block, in rao."
    )
    alpha_in_emission_rao: BigInt = strawberry.field(
        description="Alpha injected into the pool per block, in rao."
    )
    alpha_out_emission_rao: BigInt = strawberry.field(
        description="Alpha emitted to the subnet's neurons per block, in rao."
    )
    volume_rao: BigInt = strawberry.field(description="The pool's traded volume, in rao.")
    epoch: Epoch | None = strawberry.field(
        description="The subnet's epoch containing the block (null for tempo 0: no epochs)."
    )

    @classmethod
    def from_model(cls, s: SubnetOverview, epoch: Epoch | None) -> Subnet:
        tokens = models.RAO_PER_TAO
        return cls(
            block=BlockRef.from_model(s.block),
            netuid=s.netuid,
            name=s.name,
            symbol=s.symbol,
            owner_hotkey=s.owner_hotkey,
            owner_coldkey=s.owner_coldkey,
            tempo=s.tempo,
            registered_at=s.registered_at,
            last_step=s.last_step,
            blocks_since_last_step=s.blocks_since_last_step,
            neuron_count=s.neuron_count,
            max_neurons=s.max_neurons,
            burn=s.burn_rao / tokens,
            burn_rao=BigInt(s.burn_rao),
            alpha_in=s.alpha_in_rao / tokens,
            alpha_in_rao=BigInt(s.alpha_in_rao),
            alpha_out=s.alpha_out_rao / tokens,
            alpha_out_rao=BigInt(s.alpha_out_rao),
            tao_in=s.tao_in_rao / tokens,
            tao_in_rao=BigInt(s.tao_in_rao),
            price=s.price,
            moving_price=s.moving_price,
            emission=s.emission_rao / tokens,
            emission_rao=BigInt(s.emission_rao),
            tao_in_emission_rao=BigInt(s.tao_in_emission_rao),
            alpha_in_emission_rao=BigInt(s.alpha_in_emission_rao),
            alpha_out_emission_rao=BigInt(s.alpha_out_emission_rao),
            volume_rao=BigInt(s.volume_rao),
            epoch=epoch,
        )


@strawberry.enum(description="What to order subnets by (ties are broken by netuid).")
class SubnetOrderField(Enum):
    NETUID = strawberry.enum_value("netuid", description="The subnet's number.")
    PRICE = strawberry.enum_value("price", description="Price (TAO per alpha).")
    EMISSION = strawberry.enum_value("emission_rao", description="Emission per block.")
    TAO_IN = strawberry.enum_value("tao_in_rao", description="TAO in the pool.")
    ALPHA_IN = strawberry.enum_value("alpha_in_rao", description="Alpha in the pool.")
    NEURON_COUNT = strawberry.enum_value("neuron_count", description="Neurons registered.")
    BURN = strawberry.enum_value("burn_rao", description="Registration burn.")
    REGISTERED_AT = strawberry.enum_value("registered_at", description="Creation block.")


@strawberry.input(description="Order of a subnet list; ties are broken by netuid, ascending.")
class SubnetOrder:
    field: SubnetOrderField = strawberry.field(
        default=SubnetOrderField.NETUID, description="What to order by (default NETUID)."
    )
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Which way (default ASC)."
    )


@strawberry.input(description="Subnets to keep; every condition given must hold.")
class SubnetFilter:
    netuids: list[int] | None = strawberry.field(default=None, description="Keep these netuids.")
    owner_coldkey: str | None = strawberry.field(
        default=None, description="Keep the subnets this coldkey (SS58) owns."
    )
    name_contains: str | None = strawberry.field(
        default=None, description="Keep subnets whose name contains this, ignoring case."
    )
    min_neurons: int | None = strawberry.field(
        default=None, description="Keep subnets with at least this many neurons."
    )


def select_subnets(
    found: tuple[SubnetOverview, ...], where: SubnetFilter | None, order_by: SubnetOrder | None
) -> list[SubnetOverview]:
    kept = list(found)
    if where is not None:
        if where.netuids is not None:
            netuids = set(where.netuids)
            kept = [s for s in kept if s.netuid in netuids]
        if where.owner_coldkey is not None:
            kept = [s for s in kept if s.owner_coldkey == where.owner_coldkey]
        if where.name_contains is not None:
            part = where.name_contains.casefold()
            kept = [s for s in kept if part in s.name.casefold()]
        if where.min_neurons is not None:
            least = where.min_neurons
            kept = [s for s in kept if s.neuron_count >= least]
    kept.sort(key=lambda s: s.netuid)
    if order_by is not None and order_by.field is not SubnetOrderField.NETUID:
        attribute = cast(str, order_by.field.value)
        kept.sort(
            key=lambda s: getattr(s, attribute), reverse=order_by.direction is OrderDirection.DESC
        )
    elif order_by is not None and order_by.direction is OrderDirection.DESC:
        kept.reverse()
    return kept


SubnetWhere = Annotated[
    SubnetFilter | None,
    strawberry.argument(description="Keep only the subnets matching every condition."),
]
SubnetOrderBy = Annotated[
    SubnetOrder | None,
    strawberry.argument(description="Order of the list (default: netuid ascending)."),
]


async def subnets_at(
    info: Info, ref: models.BlockRef, where: SubnetFilter | None, order_by: SubnetOrder | None
) -> list[Subnet]:
    found = select_subnets(await info.context.reader.subnets(ref), where, order_by)
    return [served_subnet(info, ref, subnet, listed=True) for subnet in found]


def served_subnet(
    info: Info, ref: models.BlockRef, subnet: SubnetOverview, *, listed: bool = False
) -> Subnet:
    """The subnet as served, with its epoch containing the block (none for tempo 0); `listed`:
    one of a list (its epoch's `next` reads tempos from a list of every subnet)."""
    settings = info.context.settings
    try:
        epoch = epoch_at(
            ref.number,
            subnet.netuid,
            subnet.tempo,
            commit_window_start_offset=settings.commit_window_start_offset,
            commit_window_end_buffer=settings.commit_window_end_buffer,
        )
    except NoEpochs:
        return Subnet.from_model(subnet, None)
    return Subnet.from_model(subnet, Epoch.from_model(epoch, ref, listed=listed))
