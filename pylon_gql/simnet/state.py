"""The chain's state at one block: subnets and their neurons, accounts, the header.

Each produced block holds an immutable `BlockState`. The next block is derived copy-on-write:
unchanged neuron records, commitments and weights are shared between blocks, so keeping 256
blocks costs little more than one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from ..scale import encode_compact
from .hashing import blake2_256
from .runtime import Runtime

RAO = 1_000_000_000  # rao in one TAO (and in one alpha)


#: What a newly registered hotkey starts its uid with: every score and dividend zero, no TAO.
_FRESH_SCORES = dict.fromkeys(
    (
        "rank",
        "emission",
        "incentive",
        "consensus",
        "trust",
        "validator_trust",
        "dividends",
        "pruning_score",
        "tao_stake",
        "tao_dividends",
        "alpha_dividends",
    ),
    0,
)


class Neuron:
    """One uid of a subnet: its NeuronInfoLite value and those bytes, encoded once.

    `extra` holds what `get_subnet_state` reports beside the lite fields. Never mutate a
    Neuron: `replace` makes a new one (blocks share the old one).
    """

    __slots__ = ("encoded", "extra", "lite")

    def __init__(self, lite: dict[str, Any], extra: dict[str, Any], encoded: bytes) -> None:
        self.lite = lite
        self.extra = extra
        self.encoded = encoded

    def replace(self, runtime: Runtime, **changes: Any) -> Neuron:
        lite = {**self.lite}
        extra = {**self.extra}
        for name, value in changes.items():
            if name in lite:
                lite[name] = value
            else:
                extra[name] = value
        return Neuron(lite, extra, runtime.codec.encode(runtime.neuron_lite_type, lite))

    def reregistered(
        self,
        runtime: Runtime,
        hotkey: bytes,
        coldkey: bytes,
        number: int,
        *,
        stake: int = 0,
        validator_permit: bool = False,
    ) -> Neuron:
        """This uid taken by a new hotkey at block `number`: a fresh neuron (no scores, no
        axon, no identity), with `stake` alpha staked by its coldkey."""
        axon = {**self.lite["axon_info"], "block": 0, "ip": 0, "port": 0}
        return self.replace(
            runtime,
            **_FRESH_SCORES,
            hotkey=hotkey,
            coldkey=coldkey,
            active=True,
            axon_info=axon,
            stake=[[coldkey, stake]],
            alpha_stake=stake,
            total_stake=stake,
            last_update=number,
            block_at_registration=number,
            validator_permit=validator_permit,
            identity=None,
        )

    @property
    def uid(self) -> int:
        return self.lite["uid"]

    @property
    def hotkey(self) -> bytes:
        return self.lite["hotkey"]

    @property
    def total_stake(self) -> int:
        return sum(amount for _, amount in self.lite["stake"])


@dataclasses.dataclass(frozen=True)
class Subnet:
    netuid: int
    name: str
    symbol: str
    owner_hotkey: bytes
    owner_coldkey: bytes
    registered_at: int
    hyperparameters: Mapping[str, Any]
    identity: Mapping[str, bytes] | None
    neurons: tuple[Neuron, ...]
    # hotkey -> Registration value (Commitments.CommitmentOf)
    commitments: Mapping[bytes, Any]
    # uid -> [(uid, u16 weight)] (SubtensorModule.Weights)
    weights: Mapping[int, list[list[int]]]
    # epoch -> [(hotkey, commit block, ciphertext, reveal round)] (TimelockedWeightCommits)
    weight_commits: Mapping[int, list[list[Any]]]
    emission_history: list[list[int]]
    pool: Mapping[str, int]
    # uid -> [(uid, u16 bond)] (SubtensorModule.Bonds): the weights' moving average, per epoch
    bonds: Mapping[int, list[list[int]]] = dataclasses.field(default_factory=dict)
    # hotkey -> [(hash, commit block, first reveal block, last reveal block)] (WeightCommits)
    hash_commits: Mapping[bytes, list[list[Any]]] = dataclasses.field(default_factory=dict)
    # parent hotkey -> [(u64 proportion, child hotkey)] (ChildKeys; ParentKeys is its inverse)
    children: Mapping[bytes, list[list[Any]]] = dataclasses.field(default_factory=dict)
    # hotkey -> [(data, reveal block)] (Commitments.RevealedCommitments)
    revealed_commitments: Mapping[bytes, list[list[Any]]] = dataclasses.field(default_factory=dict)
    # MechanismCountCurrent: the subnet's mechanisms (1: its own weights only)
    mechanism_count: int = 1
    # MechanismEmissionSplit: a u16 share per mechanism summing to 65535 (None: unset, even)
    mechanism_split: list[int] | None = None
    # mechanism >= 1 -> what `weights`, `bonds`, the neurons' last_update and `weight_commits`
    # are for mechanism 0 (the chain keys them by storage index mechanism * 4096 + netuid)
    mechanism_weights: Mapping[int, Mapping[int, list[list[int]]]] = dataclasses.field(
        default_factory=dict
    )
    mechanism_bonds: Mapping[int, Mapping[int, list[list[int]]]] = dataclasses.field(
        default_factory=dict
    )
    mechanism_last_update: Mapping[int, Mapping[int, int]] = dataclasses.field(default_factory=dict)
    mechanism_weight_commits: Mapping[int, Mapping[int, list[list[Any]]]] = dataclasses.field(
        default_factory=dict
    )

    def uid_of(self, hotkey: bytes) -> int | None:
        for neuron in self.neurons:
            if neuron.hotkey == hotkey:
                return neuron.uid
        return None


#: subtensor's GLOBAL_MAX_SUBNET_COUNT: a mechanism's storage index is mechanism * 4096 + netuid.
MECHANISM_STRIDE = 4096


def storage_index(netuid: int, mechanism: int) -> int:
    """subtensor's `NetUidStorageIndex` of a subnet's mechanism (mechanism 0: the netuid)."""
    return mechanism * MECHANISM_STRIDE + netuid


def epoch_index(subnet: Subnet, number: int) -> int:
    """subtensor's get_epoch_index: (block + netuid + 1) // (tempo + 1)."""
    return (number + subnet.netuid + 1) // (subnet.hyperparameters["tempo"] + 1)


def blocks_since_last_step(netuid: int, tempo: int, number: int) -> int:
    """Blocks since the subnet's epoch last ran, at block `number`.

    subtensor runs a subnet's epoch in the block where `blocks_until_next_epoch` =
    `tempo - (block + netuid + 1) % (tempo + 1)` is 0, i.e. where
    `(block + netuid + 2) % (tempo + 1) == 0` (finney at 6852690, netuid 1, tempo 99: the last
    step was 6852597, 93 blocks before). Tempo 0 never runs an epoch: every block since 0.
    """
    if tempo == 0:
        return number
    return (number + netuid + 2) % (tempo + 1)


def is_epoch_block(subnet: Subnet, number: int) -> bool:
    """Whether the subnet's epoch runs in block `number`."""
    tempo = subnet.hyperparameters["tempo"]
    return tempo > 0 and blocks_since_last_step(subnet.netuid, tempo, number) == 0


@dataclasses.dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: str
    parent_hash: str
    state_root: str
    extrinsics_root: str
    logs: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "parentHash": self.parent_hash,
            "number": hex(self.number),
            "stateRoot": self.state_root,
            "extrinsicsRoot": self.extrinsics_root,
            "digest": {"logs": list(self.logs)},
        }


def header_hash(
    parent_hash: str, number: int, state_root: str, extrinsics_root: str, logs: Iterable[str]
) -> str:
    """A block hash as substrate makes it: blake2-256 of the SCALE-encoded header."""
    logs = list(logs)
    encoded = (
        bytes.fromhex(parent_hash[2:])
        + encode_compact(number)
        + bytes.fromhex(state_root[2:])
        + bytes.fromhex(extrinsics_root[2:])
        + encode_compact(len(logs))
        + b"".join(bytes.fromhex(log[2:]) for log in logs)
    )
    return "0x" + blake2_256(encoded).hex()


@dataclasses.dataclass
class BlockState:
    """Everything the simnet answers about one block. Frozen by convention once produced."""

    header: BlockHeader
    timestamp: int  # ms
    slot: int
    subnets: dict[int, Subnet]
    accounts: dict[bytes, dict[str, Any]]
    stake_threshold: int
    # System.Events records of the signed extrinsics (the timestamp inherent's are implied)
    events: tuple[dict[str, Any], ...] = ()

    @property
    def number(self) -> int:
        return self.header.number

    @property
    def hash(self) -> str:
        return self.header.hash


class BlockDraft:
    """The block being built, after the drift: its number and the subnets and accounts its
    transactions change (replaced, never mutated in place)."""

    def __init__(
        self,
        number: int,
        subnets: dict[int, Subnet],
        accounts: dict[bytes, Any],
        stake_threshold: int,
    ) -> None:
        self.number = number
        self.subnets = subnets
        self.accounts = accounts
        self.stake_threshold = stake_threshold
