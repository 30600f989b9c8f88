"""GraphQL types: the chain's domain models, field for field, each saying which block it is for.

Leaf fields are plain attributes, set once when a type is built from its model, so a list of
1024 neurons resolves without a resolver call per field. A type names its fields as its model
does, and `from_fields` copies them by those names. The metagraph's types are in `neurons.py`.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.scalars import JSON
from strawberry.types.enum import has_enum_definition

from .. import models
from .block_content import (
    ChainEvent,
    EventFilter,
    Extrinsic,
    ExtrinsicFilter,
    events_of,
    extrinsics_of,
)
from .context import Info
from .epoch_reads import epoch_of_block, predicted_epoch
from .hyperparameter_values import HyperparameterValue, all_values, value_of
from .scalars import BIG_INT, BigInt

__all__ = ["BIG_INT", "BigInt"]  # where the rest of the schema imports them from

T = TypeVar("T")
E = TypeVar("E", bound=Enum)


@strawberry.type(description="A block a query was answered at.")
class BlockRef:
    number: int = strawberry.field(description="Height of the block (genesis is 0).")
    hash: str = strawberry.field(description="Hash of the block: 0x and 64 hex digits.")

    @classmethod
    def from_model(cls, ref: models.BlockRef) -> BlockRef:
        return cls(number=ref.number, hash=ref.hash)


@strawberry.type(description="An inclusive range of block numbers (empty when start > end).")
class CommitWindow:
    start: int = strawberry.field(description="First block of the window.")
    end: int = strawberry.field(description="Last block of the window.")
    open: bool = strawberry.field(
        description="Whether the block this answer is for lies in the window."
    )


@strawberry.type(
    description=(
        "The epoch of the subnet that contains `block`. An epoch starts at a block where "
        "subtensor runs it (`tempo - (block + netuid + 1) % (tempo + 1) == 0`) and ends the "
        "block before the next run; the tempo is read from the chain at `block`. For a block "
        "past the head the epoch is predicted from the head's tempo (`predicted: true`)."
    )
)
class Epoch:
    block: BlockRef = strawberry.field(
        description="The block this answer is for; for a predicted epoch, the head whose "
        "tempo it is predicted from."
    )
    for_block: int = strawberry.field(
        description="The block the epoch contains, which `blocksRemaining` and "
        "`commitWindow.open` are counted from: `block.number`, or the block past the head asked "
        "for when predicted."
    )
    predicted: bool = strawberry.field(
        description="Whether the block asked for is past the head: the epoch is then computed "
        "from the head's tempo, and moves if the owner changes the tempo before it."
    )
    netuid: int = strawberry.field(description="The subnet the epoch is of.")
    tempo: int = strawberry.field(description="Blocks between epochs, read from the chain.")
    index: int = strawberry.field(description="Number of the epoch since genesis.")
    start: int = strawberry.field(description="First block of the epoch.")
    end: int = strawberry.field(description="Last block of the epoch (inclusive).")
    blocks_remaining: int = strawberry.field(
        description="Blocks from this block to the start of the next epoch: `end + 1 - block`."
    )
    commit_window: CommitWindow = strawberry.field(
        description=(
            "Blocks of this epoch in which the server commits weights "
            "(PYLON_COMMIT_WINDOW_START_OFFSET after the start, "
            "PYLON_COMMIT_WINDOW_END_BUFFER before the end)."
        )
    )
    #: One of a subnet list's: the tempo at another block comes from that block's list.
    listed: strawberry.Private[bool] = False

    @strawberry.field(
        description="The epoch after this one: the epoch containing block `end + 1`, as "
        "`epoch(block: end + 1)` answers it. Past the head it is predicted from the head's "
        "tempo (`predicted: true`); it starts at `end + 1` while the tempo stays."
    )
    async def next(self, info: Info) -> Epoch:
        number = self.end + 1
        reader = info.context.reader
        head = await reader.resolve()
        if number > head.number:
            # An epoch answered at the head has the head's tempo already.
            known = self.tempo if self.block.number == head.number else None
            epoch = await predicted_epoch(
                info, head, number, self.netuid, tempo=known, listed=self.listed
            )
            return Epoch.from_model(epoch, head, predicted=True, listed=self.listed)
        ref = await reader.resolve(number=number)
        epoch = await epoch_of_block(info, ref, self.netuid, listed=self.listed)
        return Epoch.from_model(epoch, ref, listed=self.listed)

    @classmethod
    def from_model(
        cls,
        epoch: models.Epoch,
        ref: models.BlockRef,
        *,
        predicted: bool = False,
        listed: bool = False,
    ) -> Epoch:
        return cls(
            block=BlockRef.from_model(ref),
            for_block=epoch.block,
            predicted=predicted,
            netuid=epoch.netuid,
            tempo=epoch.tempo,
            index=epoch.index,
            start=epoch.start,
            end=epoch.end,
            blocks_remaining=epoch.blocks_remaining,
            commit_window=CommitWindow(
                start=epoch.commit_window_start,
                end=epoch.commit_window_end,
                open=epoch.in_commit_window,
            ),
            listed=listed,
        )


@strawberry.type(description="A finalized block.")
class Block:
    number: int = strawberry.field(description="Height of the block (genesis is 0).")
    hash: str = strawberry.field(description="Hash of the block: 0x and 64 hex digits.")
    parent_hash: str = strawberry.field(description="Hash of the block before it.")
    timestamp: datetime.datetime | None = strawberry.field(
        description="When the block was produced (the `Timestamp.Now` of the block)."
    )
    ref: strawberry.Private[models.BlockRef]

    @strawberry.field(description="The subnet's epoch that contains this block.")
    async def epoch(self, info: Info) -> Epoch:
        reader = info.context.reader
        return Epoch.from_model(await reader.epoch(self.ref), self.ref)

    @strawberry.field(
        description="The block's extrinsics, in the order of its body, decoded with its "
        "runtime; `where` keeps those matching every condition given. A pallet or call the "
        "runtime does not have, or a signer that is not SS58, is BAD_USER_INPUT."
    )
    async def extrinsics(
        self,
        info: Info,
        where: Annotated[
            ExtrinsicFilter | None,
            strawberry.argument(description="Keep only the extrinsics matching every condition."),
        ] = None,
    ) -> list[Extrinsic]:
        return extrinsics_of(await info.context.reader.block_content(self.ref), where)

    @strawberry.field(
        description="The block's events (`System.Events`), in the order deposited; `where` "
        "keeps those matching every condition given."
    )
    async def events(
        self,
        info: Info,
        where: Annotated[
            EventFilter | None,
            strawberry.argument(description="Keep only the events matching every condition."),
        ] = None,
    ) -> list[ChainEvent]:
        return events_of(await info.context.reader.block_content(self.ref), where)

    @classmethod
    def from_model(cls, block: models.Block) -> Block:
        return cls(
            number=block.number,
            hash=block.hash,
            parent_hash=block.parent_hash,
            timestamp=block.timestamp,
            ref=models.BlockRef(number=block.number, hash=block.hash),
        )


_U16 = "A u16 proportion, 0..65535 (divide by 65535 for [0, 1])"


@strawberry.type(
    description=(
        "The subnet's hyperparameters at one block, as `get_subnet_hyperparams_v2` returns "
        "them: "
        "raw chain values, each with its unit (blocks, rao, u16 proportions of 65535, ...). "
        "The subnet owner changes them with `setHyperparameter`."
    )
)
class Hyperparameters:
    block: BlockRef = strawberry.field(description="The block this answer is for.")
    rho: int = strawberry.field(
        description="Yuma consensus' rho, a plain integer (the steepness of the sigmoid that "
        "older versions turned trust into consensus with; 10 by default)."
    )
    kappa: int = strawberry.field(
        description=f"{_U16}: the share of validator stake that must agree on a weight for it "
        "to count in full; consensus is the stake-weighted median at this quantile (32767 = "
        "one half)."
    )
    immunity_period: int = strawberry.field(
        description="Blocks after registration during which a neuron cannot be deregistered "
        "to make room for a new one."
    )
    min_allowed_weights: int = strawberry.field(
        description="Fewest non-zero weights a validator's weight vector may hold."
    )
    max_weights_limit: int = strawberry.field(
        description=f"{_U16}: the largest weight one uid may get in a weight vector normalised "
        "so that its weights sum to 65535 (65535: no limit)."
    )
    tempo: int = strawberry.field(
        description="Blocks between two runs of the subnet's epoch (an epoch spans tempo + 1 "
        "blocks); 0: the epoch never runs."
    )
    min_difficulty: BigInt = strawberry.field(
        description="Lowest proof-of-work registration difficulty (u64)."
    )
    max_difficulty: BigInt = strawberry.field(
        description="Highest proof-of-work registration difficulty (u64)."
    )
    weights_version: BigInt = strawberry.field(
        description="Version key a weights extrinsic must carry at least (u64); the chain "
        "refuses an older one."
    )
    weights_rate_limit: int = strawberry.field(
        description="Blocks a validator must wait between two weight settings or commits."
    )
    adjustment_interval: int = strawberry.field(
        description="Blocks between two adjustments of the registration burn and difficulty."
    )
    activity_cutoff: int = strawberry.field(
        description="Blocks after its `lastUpdate` during which a neuron counts as active."
    )
    registration_allowed: bool = strawberry.field(
        description="Whether new hotkeys may register in the subnet."
    )
    target_regs_per_interval: int = strawberry.field(
        description="Registrations per adjustment interval the chain aims at: more raise the "
        "burn and difficulty, fewer lower them."
    )
    min_burn: BigInt = strawberry.field(
        description="Lowest burn (what registering costs), in rao of TAO (1 TAO = 10^9 rao)."
    )
    max_burn: BigInt = strawberry.field(
        description="Highest burn (what registering costs), in rao of TAO (1 TAO = 10^9 rao)."
    )
    bonds_moving_avg: BigInt = strawberry.field(
        description="Moving-average factor of the bonds, in millionths (900000 = 0.9): at each "
        "epoch, bonds = factor x old bonds + (1 - factor) x new."
    )
    max_regs_per_block: int = strawberry.field(
        description="Most registrations in the subnet in one block."
    )
    serving_rate_limit: int = strawberry.field(
        description="Blocks a hotkey must wait between two announcements of its axon or "
        "prometheus endpoint."
    )
    max_validators: int = strawberry.field(
        description="Most neurons holding a validator permit (those with the most stake)."
    )
    adjustment_alpha: BigInt = strawberry.field(
        description="Smoothing factor of the burn and difficulty adjustments, a u64 proportion "
        "of 18446744073709551615 (2^64 - 1): new = factor x old + (1 - factor) x target."
    )
    difficulty: BigInt = strawberry.field(
        description="Current proof-of-work registration difficulty (u64)."
    )
    commit_reveal_period: int = strawberry.field(
        description="With commit-reveal, epochs between a commit and the reveal of its weights."
    )
    commit_reveal_weights_enabled: bool = strawberry.field(
        description="Whether validators commit weights encrypted to a drand round (revealed "
        "`commitRevealPeriod` epochs later) instead of setting them in the clear."
    )
    alpha_high: int = strawberry.field(
        description=f"{_U16}: with liquid alpha, the highest moving-average factor of a bond."
    )
    alpha_low: int = strawberry.field(
        description=f"{_U16}: with liquid alpha, the lowest moving-average factor of a bond."
    )
    liquid_alpha_enabled: bool = strawberry.field(
        description="Whether each bond's moving-average factor varies between `alphaLow` and "
        "`alphaHigh` (liquid alpha) instead of the fixed `bondsMovingAvg`."
    )
    alpha_sigmoid_steepness: float | None = strawberry.field(
        description="With liquid alpha, how steeply the sigmoid that picks each bond's factor "
        "rises (the chain's I32F32 as a number); null from a runtime without it."
    )
    yuma_version: int | None = strawberry.field(
        description="The Yuma consensus version the subnet's epoch runs: 2, or 3 once the owner "
        'enabled Yuma 3 (`setHyperparameter(name: "yuma3_enabled")`); null from a runtime '
        "without it."
    )
    yuma3_enabled: bool | None = strawberry.field(
        description="Whether the epoch runs Yuma 3 (`yumaVersion >= 3`), what "
        "`sudo_set_yuma3_enabled` sets; null from a runtime without it."
    )
    subnet_is_active: bool | None = strawberry.field(
        description="Whether the subnet is started (its owner called `start_call`): emission "
        "flows only to active subnets; null from a runtime without it."
    )
    transfers_enabled: bool | None = strawberry.field(
        description="Whether the subnet's alpha may be transferred between coldkeys "
        "(`sudo_set_toggle_transfer`); null from a runtime without it."
    )
    bonds_reset_enabled: bool | None = strawberry.field(
        description="Whether a validator's bonds are reset when the hotkey it bonds to "
        "deregisters (`sudo_set_bonds_reset_enabled`); null from a runtime without it."
    )
    user_liquidity_enabled: bool | None = strawberry.field(
        description="Whether users may provide liquidity to the subnet's pool "
        "(`sudo_set_toggle_user_liquidity`); null from a runtime without it."
    )
    source: strawberry.Private[models.Hyperparameters]

    @strawberry.field(
        name="all",
        description="Every field of the runtime's answer, in its order, named and typed as "
        "the runtime metadata has it: the fields above and any a newer runtime adds before "
        "the schema has a typed field for it.",
    )
    def all_fields(self) -> list[HyperparameterValue]:
        return all_values(self.source)

    @strawberry.field(
        description="The runtime's field `name` as JSON (what `all` holds for it); "
        "BAD_USER_INPUT naming the closest names when the answer has no such field."
    )
    def value(
        self,
        name: Annotated[
            str,
            strawberry.argument(
                description="The runtime's snake_case name of the field, e.g. `tempo`."
            ),
        ],
    ) -> JSON | None:
        return value_of(self.source, name)

    @classmethod
    def from_model(cls, h: models.Hyperparameters, ref: models.BlockRef) -> Hyperparameters:
        return from_fields(cls, h, block=BlockRef.from_model(ref), source=h)


@strawberry.type(description="What a hotkey has committed on chain (`Commitments.CommitmentOf`).")
class Commitment:
    block: BlockRef = strawberry.field(description="The block this answer is for.")
    hotkey: str = strawberry.field(description="SS58 address of the hotkey that committed.")
    committed_at: int = strawberry.field(description="The block the data was committed at.")
    data: str = strawberry.field(description="The committed bytes, as 0x-prefixed hex.")
    text: str | None = strawberry.field(
        description="The committed bytes as text; null when they are not valid UTF-8, or "
        "are encrypted to a drand round (timelocked)."
    )

    @classmethod
    def from_model(cls, c: models.Commitment, ref: models.BlockRef) -> Commitment:
        return cls(
            block=BlockRef.from_model(ref),
            hotkey=c.hotkey,
            committed_at=c.block,
            data="0x" + c.data.hex(),
            text=c.text,
        )


@strawberry.type(description="The chain this server follows.")
class Chain:
    network: str = strawberry.field(
        description="`sim`, `finney`, `test`, `archive`, `local`, or `custom` (a node's URL)."
    )
    simulated: bool = strawberry.field(
        description="True when the chain is the embedded simulated node, not a real network."
    )
    genesis_hash: str = strawberry.field(description="Hash of block 0, which tells networks apart.")
    spec_version: int = strawberry.field(description="The node's runtime spec version.")
    head: BlockRef | None = strawberry.field(
        description="The latest finalized head the server has seen (null before the first)."
    )
    head_age_seconds: float | None = strawberry.field(
        description="Seconds since the server saw a new head (null before the first)."
    )
    stale: bool | None = strawberry.field(
        description="Whether the head is older than PYLON_HEALTH_MAX_HEAD_AGE, which makes "
        "/health answer `stale` (503): no new block for that long (null before the first "
        "head). /health also calls a head stale that lags the node's by more than "
        "PYLON_HEALTH_MAX_LAG_BLOCKS."
    )


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)


def from_fields(cls: type[T], model: object, **given: Any) -> T:
    """`cls` with each field copied from `model`'s attribute of the same name, but for those in
    `given` (the fields a model does not have, or holds in another form). For types built once
    per answer: per neuron, spelling the fields out is twice as fast."""
    values = {name: getattr(model, name) for name in _field_names(cls) if name not in given}
    return cls(**values, **given)


def domain_enum(cls: type[E], *, name: str, description: str, values: Mapping[E, str]) -> type[E]:
    """A domain enum (of `models`) served as a GraphQL enum, each value described by `values`.

    Strawberry reads value descriptions only from `strawberry.enum_value` members, which the
    domain's enums (stored, compared, logged) do not hold: the descriptions are set here.
    """
    served = strawberry.enum(cls, name=name, description=description)
    assert has_enum_definition(served)
    for value in served.__strawberry_definition__.values:
        value.description = values[cls(value.value)]  # KeyError: a value left undescribed
    return served
