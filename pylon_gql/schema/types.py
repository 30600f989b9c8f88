"""GraphQL types: the chain's domain models, field for field, each saying which block it is for.

Leaf fields are plain attributes, set once when a type is built from its model, so a list of
1024 neurons resolves without a resolver call per field.
"""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Any, NewType

import strawberry

from .. import models
from ..validation import address_problem
from .context import Info
from .errors import BadUserInput

BigInt = NewType("BigInt", int)

BIG_INT = strawberry.scalar(
    name="BigInt",
    description=(
        "An integer of any size, sent as a decimal string so that JSON keeps every digit "
        "(amounts in rao: 1 TAO = 10^9 rao)."
    ),
    serialize=str,
    parse_value=int,
)


@strawberry.type(description="A block a query was answered at.")
class BlockRef:
    number: int
    hash: str

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
        "block before the next run; the tempo is read from the chain at `block`."
    )
)
class Epoch:
    block: BlockRef = strawberry.field(description="The block this answer is for.")
    netuid: int
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

    @classmethod
    def from_model(cls, epoch: models.Epoch, ref: models.BlockRef) -> Epoch:
        return cls(
            block=BlockRef.from_model(ref),
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
        )


@strawberry.type(description="A finalized block.")
class Block:
    number: int
    hash: str
    parent_hash: str
    timestamp: datetime.datetime | None = strawberry.field(
        description="When the block was produced (the `Timestamp.Now` of the block)."
    )
    ref: strawberry.Private[models.BlockRef]

    @strawberry.field(description="The subnet's epoch that contains this block.")
    async def epoch(self, info: Info) -> Epoch:
        reader = info.context.reader
        return Epoch.from_model(await reader.epoch(self.ref), self.ref)

    @classmethod
    def from_model(cls, block: models.Block) -> Block:
        return cls(
            number=block.number,
            hash=block.hash,
            parent_hash=block.parent_hash,
            timestamp=block.timestamp,
            ref=models.BlockRef(number=block.number, hash=block.hash),
        )


@strawberry.type(description="Where a neuron serves requests.")
class Axon:
    ip: str
    port: int
    ip_type: int = strawberry.field(description="4 or 6.")
    protocol: int
    version: int
    block: int = strawberry.field(description="Block at which the axon was last served.")


@strawberry.type(description="Where a neuron serves its prometheus metrics.")
class PrometheusEndpoint:
    ip: str
    port: int
    ip_type: int
    version: int
    block: int


@strawberry.type(
    description=(
        "A neuron of the subnet at one block, as `get_neurons_lite` returns it. "
        "Proportions (rank, trust, ...) are in [0, 1]; amounts are in TAO (Float) and rao "
        "(BigInt)."
    )
)
class Neuron:
    block: BlockRef = strawberry.field(description="The block this answer is for.")
    uid: int
    hotkey: str
    coldkey: str
    active: bool
    validator_permit: bool
    stake: float = strawberry.field(description="Total stake in TAO.")
    stake_rao: BigInt = strawberry.field(description="Total stake in rao.")
    rank: float
    emission: float = strawberry.field(description="Emission in TAO.")
    emission_rao: BigInt = strawberry.field(description="Emission in rao.")
    incentive: float
    consensus: float
    trust: float
    validator_trust: float
    dividends: float
    last_update: int = strawberry.field(description="Block of the neuron's last weights update.")
    blocks_since_last_update: int = strawberry.field(description="`block.number - lastUpdate`.")
    pruning_score: int
    axon: Axon
    prometheus: PrometheusEndpoint

    @classmethod
    def from_model(cls, n: models.Neuron, block: BlockRef) -> Neuron:
        a, p = n.axon, n.prometheus
        return cls(
            block=block,
            uid=n.uid,
            hotkey=n.hotkey,
            coldkey=n.coldkey,
            active=n.active,
            validator_permit=n.validator_permit,
            stake=n.stake,
            stake_rao=BigInt(n.stake_rao),
            rank=n.rank,
            emission=n.emission,
            emission_rao=BigInt(n.emission_rao),
            incentive=n.incentive,
            consensus=n.consensus,
            trust=n.trust,
            validator_trust=n.validator_trust,
            dividends=n.dividends,
            last_update=n.last_update,
            blocks_since_last_update=block.number - n.last_update,
            pruning_score=n.pruning_score,
            axon=Axon(
                ip=a.ip,
                port=a.port,
                ip_type=a.ip_type,
                protocol=a.protocol,
                version=a.version,
                block=a.block,
            ),
            prometheus=PrometheusEndpoint(
                ip=p.ip, port=p.port, ip_type=p.ip_type, version=p.version, block=p.block
            ),
        )


@strawberry.enum(description="What to order neurons by.")
class NeuronOrderField(Enum):
    UID = "uid"
    STAKE = "stake_rao"
    EMISSION = "emission_rao"
    RANK = "rank"
    INCENTIVE = "incentive"
    CONSENSUS = "consensus"
    TRUST = "trust"
    VALIDATOR_TRUST = "validator_trust"
    DIVIDENDS = "dividends"
    LAST_UPDATE = "last_update"
    PRUNING_SCORE = "pruning_score"


@strawberry.enum
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input(description="Order of a neuron list; ties are broken by uid, ascending.")
class NeuronOrder:
    field: NeuronOrderField = NeuronOrderField.UID
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Neurons to keep; every condition given must hold.")
class NeuronFilter:
    active: bool | None = None
    validator_permit: bool | None = None
    uids: list[int] | None = strawberry.field(default=None, description="Keep these uids.")
    hotkeys: list[str] | None = strawberry.field(default=None, description="Keep these hotkeys.")
    coldkeys: list[str] | None = strawberry.field(
        default=None, description="Keep neurons owned by these coldkeys."
    )
    min_stake: float | None = strawberry.field(
        default=None, description="Keep neurons with at least this stake, in TAO."
    )


@strawberry.type(description="The subnet's hyperparameters at one block (burns in rao).")
class Hyperparameters:
    block: BlockRef = strawberry.field(description="The block this answer is for.")
    rho: int
    kappa: int
    immunity_period: int
    min_allowed_weights: int
    max_weights_limit: int
    tempo: int
    min_difficulty: BigInt
    max_difficulty: BigInt
    weights_version: BigInt
    weights_rate_limit: int
    adjustment_interval: int
    activity_cutoff: int
    registration_allowed: bool
    target_regs_per_interval: int
    min_burn: BigInt
    max_burn: BigInt
    bonds_moving_avg: BigInt
    max_regs_per_block: int
    serving_rate_limit: int
    max_validators: int
    adjustment_alpha: BigInt
    difficulty: BigInt
    commit_reveal_period: int
    commit_reveal_weights_enabled: bool
    alpha_high: int
    alpha_low: int
    liquid_alpha_enabled: bool

    @classmethod
    def from_model(cls, h: models.Hyperparameters, ref: models.BlockRef) -> Hyperparameters:
        return cls(
            block=BlockRef.from_model(ref),
            rho=h.rho,
            kappa=h.kappa,
            immunity_period=h.immunity_period,
            min_allowed_weights=h.min_allowed_weights,
            max_weights_limit=h.max_weights_limit,
            tempo=h.tempo,
            min_difficulty=BigInt(h.min_difficulty),
            max_difficulty=BigInt(h.max_difficulty),
            weights_version=BigInt(h.weights_version),
            weights_rate_limit=h.weights_rate_limit,
            adjustment_interval=h.adjustment_interval,
            activity_cutoff=h.activity_cutoff,
            registration_allowed=h.registration_allowed,
            target_regs_per_interval=h.target_regs_per_interval,
            min_burn=BigInt(h.min_burn),
            max_burn=BigInt(h.max_burn),
            bonds_moving_avg=BigInt(h.bonds_moving_avg),
            max_regs_per_block=h.max_regs_per_block,
            serving_rate_limit=h.serving_rate_limit,
            max_validators=h.max_validators,
            adjustment_alpha=BigInt(h.adjustment_alpha),
            difficulty=BigInt(h.difficulty),
            commit_reveal_period=h.commit_reveal_period,
            commit_reveal_weights_enabled=h.commit_reveal_weights_enabled,
            alpha_high=h.alpha_high,
            alpha_low=h.alpha_low,
            liquid_alpha_enabled=h.liquid_alpha_enabled,
        )


@strawberry.type(description="The subnet's identity and owner at one block.")
class Subnet:
    block: BlockRef = strawberry.field(description="The block this answer is for.")
    netuid: int
    name: str
    symbol: str
    owner_hotkey: str
    owner_coldkey: str
    tempo: int

    @classmethod
    def from_model(cls, s: models.Subnet, ref: models.BlockRef) -> Subnet:
        return cls(
            block=BlockRef.from_model(ref),
            netuid=s.netuid,
            name=s.name,
            symbol=s.symbol,
            owner_hotkey=s.owner_hotkey,
            owner_coldkey=s.owner_coldkey,
            tempo=s.tempo,
        )


@strawberry.type(description="What a hotkey has committed on chain (`Commitments.CommitmentOf`).")
class Commitment:
    block: BlockRef = strawberry.field(description="The block this answer is for.")
    hotkey: str
    committed_at: int = strawberry.field(description="The block the data was committed at.")
    data: str = strawberry.field(description="The committed bytes, as 0x-prefixed hex.")
    text: str | None = strawberry.field(
        description="The committed bytes as text, or null when they are not valid UTF-8."
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
    genesis_hash: str
    spec_version: int = strawberry.field(description="The node's runtime spec version.")
    head: BlockRef | None = strawberry.field(
        description="The latest finalized head the server has seen (null before the first)."
    )
    head_age_seconds: float | None = strawberry.field(
        description="Seconds since the server saw a new head (null before the first)."
    )


def select_neurons(
    neurons: tuple[models.Neuron, ...],
    where: NeuronFilter | None,
    order_by: NeuronOrder | None,
) -> list[models.Neuron]:
    """The neurons a filter keeps, in the order asked for (ties by uid, ascending)."""
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
    selected.sort(key=lambda n: n.uid)
    if order_by is not None and order_by.field is not NeuronOrderField.UID:
        attribute = order_by.field.value
        # sort is stable, also reversed: equal keys stay in uid order.
        selected.sort(
            key=lambda n: getattr(n, attribute),
            reverse=order_by.direction is OrderDirection.DESC,
        )
    elif order_by is not None and order_by.direction is OrderDirection.DESC:
        selected.reverse()
    return selected


@strawberry.type(description="All neurons of the subnet at one block.")
class Metagraph:
    block: BlockRef = strawberry.field(description="The block this answer is for.")
    netuid: int
    neuron_count: int = strawberry.field(description="Neurons in the subnet (before filters).")
    model: strawberry.Private[models.Metagraph]

    @strawberry.field(
        description=(
            "The neurons, filtered by `where`, ordered by `orderBy` (uid ascending by default), "
            "then `offset` skipped and at most `first` returned. `first` defaults to, and may "
            "not exceed, the server's page size (PYLON_MAX_PAGE_SIZE)."
        )
    )
    def neurons(
        self,
        info: Info,
        where: NeuronFilter | None = None,
        order_by: NeuronOrder | None = None,
        first: int | None = None,
        offset: int = 0,
    ) -> list[Neuron]:
        max_page = info.context.settings.max_page_size
        if first is None:
            first = max_page
        if first < 0 or first > max_page:
            raise BadUserInput(
                f"`first` must be between 0 and {max_page} (the server's page size); "
                f"got {first}: page through with `offset`",
                maxPageSize=max_page,
            )
        if offset < 0:
            raise BadUserInput(f"`offset` must be 0 or more; got {offset}")
        if where is not None:
            check_list(where.uids, "uids", max_page)
            check_keys(where.hotkeys, "hotkey", max_page)
            check_keys(where.coldkeys, "coldkey", max_page)
        selected = select_neurons(self.model.neurons, where, order_by)
        block = self.block
        return [Neuron.from_model(n, block) for n in selected[offset : offset + first]]

    @classmethod
    def from_model(cls, metagraph: models.Metagraph) -> Metagraph:
        return cls(
            block=BlockRef.from_model(metagraph.block),
            netuid=metagraph.netuid,
            neuron_count=len(metagraph.neurons),
            model=metagraph,
        )


def check_list(items: list[Any] | None, what: str, most: int) -> None:
    """Refuse a list argument longer than `most` before looking at its items."""
    if items is not None and len(items) > most:
        raise BadUserInput(f"`{what}` takes at most {most} items; got {len(items)}")


def check_keys(keys: list[str] | None, what: str, most: int) -> None:
    """Refuse a list of account keys that is too long, or holds a non-address."""
    check_list(keys, f"{what}s", most)
    for key in keys or ():
        check_ss58(key, what)


def check_ss58(address: str, what: str) -> None:
    """Refuse an account key that is not an address of this chain."""
    problem = address_problem(address)
    if problem is not None:
        raise BadUserInput(f"{what} {address!r}: {problem}")
