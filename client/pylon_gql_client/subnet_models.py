"""Typed answers of `subnets(...)` (see `models` for the rules)."""

from __future__ import annotations

from enum import StrEnum

from .models import BigInt, BlockRef, Epoch, Input, Model, OrderDirection


class SubnetInfo(Model):
    """A subnet at one block: identity, size, burn, pool, price and emission (TAO and alpha
    as `float` tokens and `int` rao)."""

    block: BlockRef
    netuid: int
    name: str
    symbol: str
    owner_hotkey: str
    owner_coldkey: str
    tempo: int
    registered_at: int
    last_step: int
    blocks_since_last_step: int
    neuron_count: int
    max_neurons: int | None
    burn: float
    burn_rao: BigInt
    alpha_in: float
    alpha_in_rao: BigInt
    alpha_out: float
    alpha_out_rao: BigInt
    tao_in: float
    tao_in_rao: BigInt
    price: float
    moving_price: float
    emission: float
    emission_rao: BigInt
    tao_in_emission_rao: BigInt
    alpha_in_emission_rao: BigInt
    alpha_out_emission_rao: BigInt
    volume_rao: BigInt
    epoch: Epoch | None


class SubnetOrderField(StrEnum):
    NETUID = "NETUID"
    PRICE = "PRICE"
    EMISSION = "EMISSION"
    TAO_IN = "TAO_IN"
    ALPHA_IN = "ALPHA_IN"
    NEURON_COUNT = "NEURON_COUNT"
    BURN = "BURN"
    REGISTERED_AT = "REGISTERED_AT"


class SubnetFilter(Input):
    """Subnets to keep; every condition given must hold."""

    netuids: list[int] | None = None
    owner_coldkey: str | None = None
    name_contains: str | None = None
    min_neurons: int | None = None


class SubnetOrder(Input):
    """Order of a subnet list; ties are broken by netuid, ascending."""

    field: SubnetOrderField = SubnetOrderField.NETUID
    direction: OrderDirection = OrderDirection.ASC
