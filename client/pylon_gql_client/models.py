"""Typed answers: pydantic models named and shaped like the schema's types, in snake_case.

GraphQL `BigInt` (a decimal string on the wire) is a Python `int`; `DateTime` a `datetime`.
"""

from __future__ import annotations

import difflib
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

#: An integer of any size; sent and received as a decimal string, so JSON keeps every digit.
BigInt = Annotated[int, PlainSerializer(str, return_type=str, when_used="json")]


class Model(BaseModel):
    """An answer: camelCase on the wire, snake_case in Python, immutable, no unknown fields."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid"
    )


class Input(BaseModel):
    """An input object; `variables()` is its GraphQL value (unset fields left out)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    def variables(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class BlockRef(Model):
    """A block an answer is for."""

    number: int
    hash: str


class Block(Model):
    number: int
    hash: str
    parent_hash: str
    timestamp: datetime | None


class CommitWindow(Model):
    start: int
    end: int
    open: bool


class Epoch(Model):
    block: BlockRef
    netuid: int
    tempo: int
    index: int
    start: int
    end: int
    blocks_remaining: int
    commit_window: CommitWindow
    #: The block the epoch contains (`block.number`, or the block past the head asked for).
    for_block: int | None = None
    #: Past the head: predicted from the head's tempo (`block` is then the head).
    predicted: bool = False
    #: The epoch after this one (the one containing `end + 1`), when the document asks for it
    #: (`epoch()` does); predicted from the head's tempo when it starts past the head.
    next: Epoch | None = None


class Axon(Model):
    ip: str
    port: int
    ip_type: int
    protocol: int
    version: int
    block: int


class PrometheusEndpoint(Model):
    ip: str
    port: int
    ip_type: int
    version: int
    block: int


class Neuron(Model):
    block: BlockRef
    uid: int
    hotkey: str
    coldkey: str
    active: bool
    validator_permit: bool
    stake: float
    stake_rao: BigInt
    rank: float
    emission: float
    emission_rao: BigInt
    incentive: float
    consensus: float
    trust: float
    validator_trust: float
    dividends: float
    last_update: int
    blocks_since_last_update: int
    pruning_score: int
    axon: Axon
    prometheus: PrometheusEndpoint


class Metagraph(Model):
    block: BlockRef
    netuid: int
    neuron_count: int
    neurons: list[Neuron]


class PageInfo(Model):
    end_cursor: str | None
    has_next_page: bool


class NeuronPage(Model):
    """A page of a filtered, ordered neuron list at one block, its total and where it ends."""

    total_count: int
    neurons: list[Neuron]
    page_info: PageInfo


class HyperparameterValue(Model):
    """One field of the runtime's hyperparameter answer, named and typed as the runtime
    metadata has it: a field a newer runtime adds shows here before the schema types it."""

    #: The runtime's name of the field, snake_case (`max_weights_limit`).
    name: str
    #: The typed field of `Hyperparameters` that shows it, camelCase as the schema spells it
    #: (`maxWeightsLimit`); None when the schema has none yet.
    field: str | None
    #: Its type as the metadata names it: `u16`, `Compact<u64>`, `I32F32`, `bool`, ...
    type: str
    #: The value as JSON: an int (decimal text beyond 2^53), a float for a fixed-point number,
    #: a bool, an SS58 address, an enum's variant name.
    value: Any


class Hyperparameters(Model):
    """A subnet's hyperparameters at one block: the typed fields, and `all`, every field of
    the runtime's answer (`value(name)` looks one up by its runtime name)."""

    block: BlockRef
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
    # get_subnet_hyperparams_v2's fields: None from a runtime without them
    alpha_sigmoid_steepness: float | None = None
    yuma_version: int | None = None
    yuma3_enabled: bool | None = None
    subnet_is_active: bool | None = None
    transfers_enabled: bool | None = None
    bonds_reset_enabled: bool | None = None
    user_liquidity_enabled: bool | None = None
    #: Every field of the runtime's answer, in its order (empty from a document without it).
    all: list[HyperparameterValue] = []

    def value(self, name: str) -> Any:
        """The runtime's field `name` (snake_case) from `all`; KeyError naming the closest
        names when the answer has none."""
        for found in self.all:
            if found.name == name:
                return found.value
        close = difflib.get_close_matches(name, [v.name for v in self.all], n=3, cutoff=0.5)
        raise KeyError(f"{name!r} is not a field of the hyperparameters; closest: {close}")


class Subnet(Model):
    """A subnet at one block: identity, owner, size, burn, pool, price, emission and epoch
    (TAO and alpha as `float` tokens and `int` rao); what `subnet()` and each item of
    `subnets()` answer."""

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
    #: The subnet's epoch containing the block (None for tempo 0: no epochs).
    epoch: Epoch | None


class Commitment(Model):
    block: BlockRef
    hotkey: str
    committed_at: int
    data: str
    text: str | None


class Chain(Model):
    network: str
    simulated: bool
    genesis_hash: str
    spec_version: int
    head: BlockRef | None
    head_age_seconds: float | None
    #: The head is older than the server's PYLON_HEALTH_MAX_HEAD_AGE (/health says `stale`);
    #: None before the first head.
    stale: bool | None = None


class NeuronOrderField(StrEnum):
    UID = "UID"
    STAKE = "STAKE"
    EMISSION = "EMISSION"
    RANK = "RANK"
    INCENTIVE = "INCENTIVE"
    CONSENSUS = "CONSENSUS"
    TRUST = "TRUST"
    VALIDATOR_TRUST = "VALIDATOR_TRUST"
    DIVIDENDS = "DIVIDENDS"
    LAST_UPDATE = "LAST_UPDATE"
    PRUNING_SCORE = "PRUNING_SCORE"


class OrderDirection(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


class NeuronFilter(Input):
    """Neurons to keep; every condition given must hold."""

    active: bool | None = None
    validator_permit: bool | None = None
    uids: list[int] | None = None
    hotkeys: list[str] | None = None
    coldkeys: list[str] | None = None
    min_stake: float | None = None
    #: Neurons that set weights (or registered) at most this many blocks before the block.
    updated_within_blocks: int | None = None


class NeuronOrder(Input):
    """Order of a neuron list; ties are broken by uid, ascending."""

    field: NeuronOrderField = NeuronOrderField.UID
    direction: OrderDirection = OrderDirection.ASC


# --- the validator's weights and the write path


class Weight(Model):
    hotkey: str
    weight: float
    updated_at: datetime
    #: The subnet's mechanism the weight is for (0: the subnet's own weights).
    mechanism: int = 0


class EpochWeights(Model):
    """The weights the validator wrote in the epoch containing `block`."""

    block: BlockRef
    epoch: Epoch
    weights: list[Weight]
    #: The subnet's mechanism the vector is for (0: the subnet's own weights).
    mechanism: int = 0


class WeightCommitMode(StrEnum):
    COMMIT_REVEAL = "COMMIT_REVEAL"
    SET = "SET"


class WeightCommitStatus(StrEnum):
    PENDING = "PENDING"
    IN_BLOCK = "IN_BLOCK"
    FINALIZED = "FINALIZED"
    FAILED = "FAILED"


class WeightCommit(Model):
    """One attempt of the server to put the validator's weights on chain."""

    id: int
    #: The head when the attempt started; once in a block, the block it is in.
    block: BlockRef
    #: The epoch the attempt was made in (`start` is its key, as everywhere).
    epoch: Epoch
    netuid: int
    mode: WeightCommitMode
    uid_count: int
    digest: str
    reveal_round: int | None
    status: WeightCommitStatus
    error: str | None
    created_at: datetime
    updated_at: datetime
    #: The server replica (`PYLON_REPLICA_ID`) that made the attempt; None in old logs.
    replica: str | None = None
    #: The subnet's mechanism whose weights were committed (0: the subnet's own).
    mechanism: int = 0


class SetWeightsMode(StrEnum):
    """REPLACE: the epoch's weights become the batch (the default); MERGE: written over them."""

    REPLACE = "REPLACE"
    MERGE = "MERGE"


class WeightsWritten(Model):
    """What a write of weights answers first: the head it was written at (reads at it, or
    later, see it) and the epoch written."""

    block: BlockRef
    epoch: Epoch


class SetWeightsSuccess(WeightsWritten):
    mode: SetWeightsMode
    count: int


class ClearWeightsSuccess(WeightsWritten):
    #: How many weights were deleted.
    count: int


class DeleteWeightSuccess(WeightsWritten):
    hotkey: str
    #: The weight deleted; None when the hotkey had none.
    deleted: Weight | None


class WeightSuccess(WeightsWritten):
    weight: Weight


class SetCommitmentSuccess(Model):
    block: BlockRef
    commitment: Commitment | None


class SetHyperparameterSuccess(Model):
    block: BlockRef
    call: str
    value: Any
    hyperparameters: Hyperparameters


class CommitmentEncoding(StrEnum):
    TEXT = "TEXT"
    HEX = "HEX"


class WeightInput(Input):
    hotkey: str
    weight: float
