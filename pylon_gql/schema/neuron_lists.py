"""How a neuron list is filtered and ordered: the `where` and `orderBy` inputs of `neurons`,
`neuronPage` and `history`, and the selection they make at one block."""

from __future__ import annotations

from enum import Enum
from typing import cast

import strawberry

from .. import models


@strawberry.enum(description="What to order neurons by (ties are broken by uid).")
class NeuronOrderField(Enum):
    UID = strawberry.enum_value("uid", description="The neuron's uid.")
    STAKE = strawberry.enum_value("stake_rao", description="Stake.")
    EMISSION = strawberry.enum_value("emission_rao", description="Emission at the last epoch.")
    RANK = strawberry.enum_value("rank", description="Rank.")
    INCENTIVE = strawberry.enum_value("incentive", description="Incentive.")
    CONSENSUS = strawberry.enum_value("consensus", description="Consensus.")
    TRUST = strawberry.enum_value("trust", description="Trust.")
    VALIDATOR_TRUST = strawberry.enum_value("validator_trust", description="Validator trust.")
    DIVIDENDS = strawberry.enum_value("dividends", description="Dividends.")
    LAST_UPDATE = strawberry.enum_value("last_update", description="Block of the last update.")
    PRUNING_SCORE = strawberry.enum_value("pruning_score", description="Pruning score.")


@strawberry.enum(description="Which way a list is ordered.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("asc", description="Smallest first.")
    DESC = strawberry.enum_value("desc", description="Largest first.")


@strawberry.input(description="Order of a neuron list; ties are broken by uid, ascending.")
class NeuronOrder:
    field: NeuronOrderField = strawberry.field(
        default=NeuronOrderField.UID, description="What to order by (default UID)."
    )
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Which way (default ASC)."
    )


@strawberry.input(description="Neurons to keep; every condition given must hold.")
class NeuronFilter:
    active: bool | None = strawberry.field(
        default=None, description="Keep only active (true) or only inactive (false) neurons."
    )
    validator_permit: bool | None = strawberry.field(
        default=None,
        description="Keep only neurons with (true) or without (false) a validator permit.",
    )
    uids: list[int] | None = strawberry.field(default=None, description="Keep these uids.")
    hotkeys: list[str] | None = strawberry.field(
        default=None, description="Keep these hotkeys (SS58 addresses)."
    )
    coldkeys: list[str] | None = strawberry.field(
        default=None, description="Keep neurons owned by these coldkeys (SS58 addresses)."
    )
    min_stake: float | None = strawberry.field(
        default=None, description="Keep neurons with at least this stake, in tokens."
    )
    updated_within_blocks: int | None = strawberry.field(
        default=None,
        description="Keep neurons that set weights (or registered) at most this many blocks "
        "before the block answered at: `block.number - lastUpdate <= updatedWithinBlocks`.",
    )


def select_neurons(
    neurons: tuple[models.Neuron, ...],
    where: NeuronFilter | None,
    order_by: NeuronOrder | None,
    block_number: int = 0,
) -> list[models.Neuron]:
    """The neurons a filter keeps at block `block_number`, in the order asked for (ties by
    uid, ascending)."""
    selected: list[models.Neuron] = list(neurons)
    if where is not None:
        if where.active is not None:
            selected = [n for n in selected if n.active == where.active]
        if where.validator_permit is not None:
            selected = [n for n in selected if n.validator_permit == where.validator_permit]
        if where.uids is not None:
            uids = set(where.uids)
            selected = [n for n in selected if n.uid in uids]
        if where.hotkeys is not None:
            hotkeys = set(where.hotkeys)
            selected = [n for n in selected if n.hotkey in hotkeys]
        if where.coldkeys is not None:
            coldkeys = set(where.coldkeys)
            selected = [n for n in selected if n.coldkey in coldkeys]
        if where.min_stake is not None:
            min_stake = where.min_stake
            selected = [n for n in selected if n.stake >= min_stake]
        if where.updated_within_blocks is not None:
            oldest = block_number - where.updated_within_blocks
            selected = [n for n in selected if n.last_update >= oldest]
    selected.sort(key=lambda n: n.uid)
    if order_by is not None and order_by.field is not NeuronOrderField.UID:
        # The member's value is the model attribute's name (strawberry unwraps enum_value).
        attribute = cast(str, order_by.field.value)
        # sort is stable, also reversed: equal keys stay in uid order.
        selected.sort(
            key=lambda n: getattr(n, attribute),
            reverse=order_by.direction is OrderDirection.DESC,
        )
    elif order_by is not None and order_by.direction is OrderDirection.DESC:
        selected.reverse()
    return selected
