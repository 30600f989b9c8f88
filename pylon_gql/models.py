"""The domain model: what the chain says, and what the server keeps of the validator's weights.

Frozen, plain dataclasses, free of turbobt, Tortoise and strawberry types: every layer imports
them, none owns them.

Units: stake and emission are kept in rao (1 TAO = 10**9 rao) as ints, so nothing is lost;
u16 proportions (rank, trust, ...) are floats in [0, 1]. Account keys are SS58 (format 42).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

RAO_PER_TAO = 1_000_000_000


@dataclass(frozen=True, slots=True)
class BlockRef:
    """A block the server has resolved: every chain read is made at one of these."""

    number: int
    hash: str


@dataclass(frozen=True, slots=True)
class Block:
    number: int
    hash: str
    parent_hash: str
    timestamp: datetime.datetime | None


@dataclass(frozen=True, slots=True)
class AxonInfo:
    ip: str
    port: int
    ip_type: int
    protocol: int
    version: int
    block: int


@dataclass(frozen=True, slots=True)
class PrometheusInfo:
    ip: str
    port: int
    ip_type: int
    version: int
    block: int


@dataclass(frozen=True, slots=True)
class Neuron:
    uid: int
    hotkey: str
    coldkey: str
    active: bool
    axon: AxonInfo
    prometheus: PrometheusInfo
    stake_rao: int
    rank: float
    emission_rao: int
    incentive: float
    consensus: float
    trust: float
    validator_trust: float
    dividends: float
    last_update: int
    validator_permit: bool
    pruning_score: int

    @property
    def stake(self) -> float:
        """Total stake in TAO."""
        return self.stake_rao / RAO_PER_TAO

    @property
    def emission(self) -> float:
        """Emission in TAO."""
        return self.emission_rao / RAO_PER_TAO


@dataclass(frozen=True, slots=True)
class Metagraph:
    """All neurons of a subnet at one block, in uid order."""

    netuid: int
    block: BlockRef
    neurons: tuple[Neuron, ...]
    by_hotkey: dict[str, Neuron] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Lookups by hotkey are the common case for validators: index once per block.
        object.__setattr__(self, "by_hotkey", {n.hotkey: n for n in self.neurons})

    def neuron_by_uid(self, uid: int) -> Neuron | None:
        if 0 <= uid < len(self.neurons) and self.neurons[uid].uid == uid:
            return self.neurons[uid]
        return next((n for n in self.neurons if n.uid == uid), None)


@dataclass(frozen=True, slots=True)
class HyperparameterValue:
    """One field of the runtime's hyperparameter answer, whatever the runtime calls it: what
    a new runtime adds shows up here before any code names it."""

    #: The runtime's name of the field (snake_case).
    name: str
    #: Its type as the metadata names it: `u16`, `Compact<u64>`, `I32F32`, `bool`, ...
    type: str
    #: Its value as JSON: a number (an integer beyond 2^53 as decimal text, a fixed-point
    #: number as a float), a boolean, a string, a list or an object.
    value: Any


@dataclass(frozen=True, slots=True)
class Hyperparameters:
    """`SubnetInfoRuntimeApi_get_subnet_hyperparams_v2`, field for field (burns in rao); the
    fields after `liquid_alpha_enabled` are v2's (None from a runtime without them).
    `runtime_fields` holds every field of the answer as the metadata types it, these and any
    the model does not name."""

    rho: int
    kappa: int
    immunity_period: int
    min_allowed_weights: int
    max_weights_limit: int
    tempo: int
    min_difficulty: int
    max_difficulty: int
    weights_version: int
    weights_rate_limit: int
    adjustment_interval: int
    activity_cutoff: int
    registration_allowed: bool
    target_regs_per_interval: int
    min_burn: int
    max_burn: int
    bonds_moving_avg: int
    max_regs_per_block: int
    serving_rate_limit: int
    max_validators: int
    adjustment_alpha: int
    difficulty: int
    commit_reveal_period: int
    commit_reveal_weights_enabled: bool
    alpha_high: int
    alpha_low: int
    liquid_alpha_enabled: bool
    #: I32F32 on chain, as a number: how steeply liquid alpha's sigmoid rises.
    alpha_sigmoid_steepness: float | None = None
    #: 2 or 3: the Yuma consensus version the epoch runs (`sudo_set_yuma3_enabled`).
    yuma_version: int | None = None
    subnet_is_active: bool | None = None
    transfers_enabled: bool | None = None
    bonds_reset_enabled: bool | None = None
    user_liquidity_enabled: bool | None = None
    #: Every field of the runtime's answer, in its order (empty when built by hand).
    runtime_fields: tuple[HyperparameterValue, ...] = ()

    def runtime_field(self, name: str) -> HyperparameterValue | None:
        """The runtime's field `name` (its snake_case name), None when the answer has none."""
        return next((f for f in self.runtime_fields if f.name == name), None)

    @property
    def yuma3_enabled(self) -> bool | None:
        """Whether the epoch runs Yuma 3 (what `sudo_set_yuma3_enabled` sets)."""
        return None if self.yuma_version is None else self.yuma_version >= 3


#: `AdminUtils.sudo_set_*` calls whose hyperparameter has another name in
#: `get_subnet_hyperparams` (the others set `sudo_set_<name>`). The client's fake reads this
#: table from `pylon_gql_client/testing/renamed_hyperparameters.json`, which
#: `tests/client/make_sample.py` writes from here.
RENAMED_HYPERPARAMETERS = {
    "sudo_set_weights_set_rate_limit": "weights_rate_limit",
    "sudo_set_max_weight_limit": "max_weights_limit",
    "sudo_set_commit_reveal_weights_interval": "commit_reveal_period",
    "sudo_set_max_allowed_validators": "max_validators",
    "sudo_set_bonds_moving_average": "bonds_moving_avg",
    "sudo_set_network_registration_allowed": "registration_allowed",
    "sudo_set_target_registrations_per_interval": "target_regs_per_interval",
    "sudo_set_max_registrations_per_block": "max_regs_per_block",
    "sudo_set_weights_version_key": "weights_version",
    "sudo_set_toggle_transfer": "transfers_enabled",
}


#: `AdminUtils.sudo_set_*` calls whose value `get_subnet_hyperparams_v2` does not return, and
#: the `SubtensorModule` storage item (keyed by netuid) subtensor keeps it in, which
#: `setHyperparameter` reads it back from (as subtensor's admin-utils pallet writes them;
#: names as the runtime metadata spells them). The client's fake reads back what such a call
#: set, as this storage read does.
STORAGE_HYPERPARAMETERS = {
    "sudo_set_bonds_penalty": "BondsPenalty",
    "sudo_set_ema_price_halving_period": "EMAPriceHalvingBlocks",
    "sudo_set_max_allowed_uids": "MaxAllowedUids",
    "sudo_set_mechanism_count": "MechanismCountCurrent",
    "sudo_set_min_allowed_uids": "MinAllowedUids",
    "sudo_set_network_pow_registration_allowed": "NetworkPowRegistrationAllowed",
    "sudo_set_owner_immune_neuron_limit": "ImmuneOwnerUidsLimit",
    "sudo_set_rao_recycled": "RAORecycledForRegistration",
    "sudo_set_recycle_or_burn": "RecycleOrBurn",
    "sudo_set_sn_owner_hotkey": "SubnetOwnerHotkey",
    "sudo_set_subnet_owner_hotkey": "SubnetOwnerHotkey",
    "sudo_set_subtoken_enabled": "SubtokenEnabled",
}


def hyperparameter_set_by(call: str) -> str:
    """The field of `Hyperparameters` that the `AdminUtils` call `call` sets."""
    return RENAMED_HYPERPARAMETERS.get(call, call.removeprefix("sudo_set_"))


@dataclass(frozen=True, slots=True)
class Commitment:
    """What a hotkey committed (`Commitments.CommitmentOf`), and at which block."""

    hotkey: str
    block: int
    data: bytes
    #: Set for a timelock-encrypted commitment: `data` is ciphertext until this drand round.
    reveal_round: int | None = None

    @property
    def text(self) -> str | None:
        if self.reveal_round is not None:
            return None
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            return None


@dataclass(frozen=True, slots=True)
class Epoch:
    """The epoch containing a block, and the commit window inside it.

    Subtensor runs a subnet's epoch at the blocks where
    `blocks_until_next_epoch(netuid, tempo, block) = tempo - (block + netuid + 1) % (tempo + 1)`
    is 0. As in turbobt's `Subnet.epoch`, an epoch starts at such a block and ends (inclusive)
    the block before the next one, so it spans `tempo + 1` blocks. `index` numbers epochs:
    `(start + netuid + 2) // (tempo + 1)`. Window bounds are inclusive block numbers.
    """

    netuid: int
    tempo: int
    index: int
    start: int
    end: int
    block: int
    commit_window_start: int
    commit_window_end: int

    @property
    def blocks_remaining(self) -> int:
        """Blocks until the next epoch starts: `end + 1 - block`.

        This is subtensor's `blocks_until_next_epoch` everywhere but at an epoch's first block,
        where subtensor says 0 (the epoch runs at that very block) and this says `tempo + 1`.
        """
        return self.end + 1 - self.block

    @property
    def in_commit_window(self) -> bool:
        return self.commit_window_start <= self.block <= self.commit_window_end


@dataclass(frozen=True, slots=True)
class ChainInfo:
    network: str
    simulated: bool
    genesis_hash: str
    spec_version: int


@dataclass(frozen=True, slots=True)
class ExtrinsicReceipt:
    """A write that the chain finalized: the block it landed in."""

    block: BlockRef
    #: The drand round committed weights reveal at (timelocked commits only).
    reveal_round: int | None = None


@dataclass(frozen=True, slots=True)
class AdminCallArg:
    name: str
    #: `u8`...`u128`, `i8`...`i128`, `bool`, `account` (SS58), `enum` (a variant name) or
    #: `unsupported` (a struct, an option, a list: not settable through the API).
    kind: str
    #: The variant names of an `enum` argument.
    variants: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AdminCall:
    """An `AdminUtils.sudo_set_*` call of the runtime, as its metadata describes it."""

    name: str
    args: tuple[AdminCallArg, ...]

    @property
    def subnet_args(self) -> tuple[AdminCallArg, ...]:
        """The arguments after the subnet's `netuid` (which the server fills in)."""
        return tuple(arg for arg in self.args if arg.name != "netuid")

    @property
    def per_subnet(self) -> bool:
        return any(arg.name == "netuid" for arg in self.args)


class CommitMode(StrEnum):
    """How weights go on chain."""

    #: Committed encrypted to a drand round, revealed by the chain later.
    COMMIT_REVEAL = "commit_reveal"
    #: Set in the clear.
    SET = "set"


class CommitTrigger(StrEnum):
    """What started a commit attempt."""

    #: The committer, inside the commit window.
    AUTO = "auto"
    #: The `commitWeights` mutation.
    MANUAL = "manual"


class CommitStatus(StrEnum):
    """Where a commit attempt is."""

    PENDING = "pending"
    IN_BLOCK = "in_block"
    FINALIZED = "finalized"
    FAILED = "failed"


#: An attempt in these states has no outcome yet.
UNFINISHED_COMMIT = (CommitStatus.PENDING, CommitStatus.IN_BLOCK)


@dataclass(frozen=True, slots=True)
class WeightEntry:
    """The weight the validator gave `hotkey` in the epoch starting at block `epoch`."""

    hotkey: str
    epoch: int
    weight: float
    updated_at: datetime.datetime
    #: The subnet's mechanism the weight is for (0: the subnet's own weights).
    mechanism: int = 0


@dataclass(frozen=True, slots=True)
class CommitAttempt:
    """One attempt to put the validator's weights on chain: as the store keeps it, as the event
    bus publishes it at each status change, and as the schema shows it."""

    id: int
    #: The head when the attempt started; once in a block, the block it landed in.
    block: int
    #: First block of the epoch the attempt was made in: the epoch's key, as `Epoch.start`
    #: and the weights' `WeightEntry.epoch` (the store keeps the rest of it, `recorded_epoch`).
    epoch: int
    #: First block of the epoch whose weights were committed.
    weights_epoch: int
    netuid: int
    mode: CommitMode
    trigger: CommitTrigger
    uid_count: int
    #: `weights_digest` of the uid -> weight map committed.
    digest: str
    #: The drand round the weights reveal at (commit-reveal only).
    reveal_round: int | None
    status: CommitStatus
    #: Why the attempt failed.
    error: str | None
    #: The server stopped before it learnt the outcome: it may have landed.
    outcome_unknown: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime
    #: The hash of `block` (None in attempts recorded before the store kept it).
    block_hash: str | None = None
    #: The server process (replica) that made the attempt (None in attempts recorded before
    #: the store kept it).
    replica: str | None = None
    #: The subnet's mechanism whose weights were committed (0: the subnet's own weights).
    mechanism: int = 0


def weights_digest(weights: Mapping[int, float]) -> str:
    """SHA-256 (hex) of `uid:weight` lines in uid order, each weight as Python's `repr`: what
    the server records for a commit attempt, and what a client recomputes to match it."""
    text = "\n".join(f"{uid}:{weights[uid]!r}" for uid in sorted(weights))
    return hashlib.sha256(text.encode()).hexdigest()
