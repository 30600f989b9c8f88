"""The full metagraph's domain model: what `get_neurons_lite` leaves out.

The stake split, registration blocks and identities of a subnet's neurons (one
`get_selective_metagraph` call), parent and child hotkeys (`ParentKeys`/`ChildKeys`), the
weights and bonds matrices (`Weights`/`Bonds`), pending timelocked weight commits
(`TimelockedWeightCommits`) and revealed commitments (`Commitments.RevealedCommitments`).
Frozen, plain dataclasses, like `models`; amounts in rao, keys in SS58.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from .models import BlockRef

#: The chain keeps a hotkey's share of a parent's or child's stake as a u64 proportion of this.
U64_MAX = 2**64 - 1
#: Weights and bonds are u16 proportions of this.
U16_MAX = 65535


@dataclass(frozen=True, slots=True)
class Identity:
    """A coldkey's on-chain identity (`SubtensorModule.IdentitiesV2`); empty text when unset."""

    name: str
    url: str
    github_repo: str
    image: str
    discord: str
    description: str
    additional: str


@dataclass(frozen=True, slots=True)
class NeuronStake:
    """One uid's stake split, registration block and owner's identity (`get_metagraph`)."""

    uid: int
    #: The hotkey's alpha, with what it inherits from parents and gives to children.
    alpha_stake_rao: int
    #: The TAO (root) stake the hotkey counts on this subnet, inherited likewise.
    tao_stake_rao: int
    #: The stake weight: alpha + TAO x the chain's `TaoWeight`.
    total_stake_rao: int
    registered_at: int
    identity: Identity | None


@dataclass(frozen=True, slots=True)
class NeuronStakes:
    """Every neuron's `NeuronStake` of a subnet at one block, in uid order."""

    netuid: int
    block: BlockRef
    neurons: tuple[NeuronStake, ...]

    def of(self, uid: int) -> NeuronStake | None:
        if 0 <= uid < len(self.neurons) and self.neurons[uid].uid == uid:
            return self.neurons[uid]
        return next((n for n in self.neurons if n.uid == uid), None)


@dataclass(frozen=True, slots=True)
class StakeLink:
    """A parent or child hotkey and the share of stake that flows along the link."""

    hotkey: str
    #: The chain's u64 proportion (of 2^64 - 1).
    proportion_raw: int

    @property
    def proportion(self) -> float:
        return self.proportion_raw / U64_MAX


@dataclass(frozen=True, slots=True)
class HotkeyLinks:
    parents: tuple[StakeLink, ...] = ()
    children: tuple[StakeLink, ...] = ()


@dataclass(frozen=True, slots=True)
class StakeLinks:
    """The parents and children of a subnet's hotkeys at one block (those that have any)."""

    netuid: int
    block: BlockRef
    by_hotkey: Mapping[str, HotkeyLinks]

    def of(self, hotkey: str) -> HotkeyLinks:
        return self.by_hotkey.get(hotkey, _NO_LINKS)


_NO_LINKS = HotkeyLinks()


class MatrixKind(StrEnum):
    """Which of a subnet's matrices: `SubtensorModule.Weights` or `SubtensorModule.Bonds`."""

    WEIGHTS = "Weights"
    BONDS = "Bonds"


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One neuron's row as on chain: the uids it gives to and the u16 values, in chain order.

    Kept as two `array('H')`: a full row of 1024 uids is 4 kB, where Python ints take 70.
    """

    uid: int
    uids: array[int]
    values: array[int]

    def __len__(self) -> int:
        return len(self.uids)


@dataclass(frozen=True, slots=True)
class ChainMatrix:
    """The rows of a subnet's weights or bonds at one block, in uid order; a uid without a row
    on chain has none here."""

    netuid: int
    mechanism: int
    kind: MatrixKind
    block: BlockRef
    rows: tuple[MatrixRow, ...]
    by_uid: dict[int, MatrixRow] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_uid", {row.uid: row for row in self.rows})

    @property
    def entries(self) -> int:
        return sum(len(row) for row in self.rows)


@dataclass(frozen=True, slots=True)
class Mechanisms:
    """A subnet's mechanisms at a block: how many (`MechanismCountCurrent`) and how its alpha
    emission is split among them (`MechanismEmissionSplit`)."""

    netuid: int
    block: BlockRef
    count: int
    #: The split as kept, a u16 share per mechanism (None: unset, the chain splits evenly).
    split: tuple[int, ...] | None

    @property
    def shares(self) -> tuple[int, ...]:
        """Each mechanism's u16 share of the emission as subtensor's `split_emissions` uses
        it: the kept split cut or padded with 0 to `count`, or an even split when unset (the
        rounding remainder goes to mechanism 0, as the chain credits it)."""
        count = max(self.count, 1)
        if self.split is not None:
            return (tuple(self.split) + (0,) * count)[:count]
        even = U16_MAX // count
        return (U16_MAX - even * (count - 1), *(even,) * (count - 1))


@dataclass(frozen=True, slots=True)
class PendingWeightCommit:
    """A timelocked weight commit the chain has not revealed yet (`TimelockedWeightCommits`)."""

    hotkey: str
    #: The epoch (subtensor's epoch index) it was committed in: its key in storage.
    epoch: int
    commit_block: int
    #: The drand round whose signature reveals it.
    reveal_round: int
    ciphertext: bytes


@dataclass(frozen=True, slots=True)
class RevealedCommitment:
    """A timelocked commitment the chain decrypted (`Commitments.RevealedCommitments`)."""

    hotkey: str
    #: The decrypted bytes as the chain keeps them.
    raw: bytes
    #: The block in which the chain revealed it.
    revealed_at: int

    @property
    def data(self) -> bytes:
        """The committed payload: the chain keeps it SCALE-encoded, as bittensor_drand's
        `get_encrypted_commitment` encrypts it (a compact length first, which the SDKs strip);
        bytes without a length that fits are the payload themselves."""
        return scale_payload(self.raw)

    @property
    def text(self) -> str | None:
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            return None


def scale_payload(raw: bytes) -> bytes:
    """`raw` without its SCALE compact length prefix, when it has one that fits its size."""
    if not raw:
        return raw
    mode = raw[0] & 0b11
    if mode == 0b11:
        return raw  # a length of more than 2^30 bytes: not a commitment's
    size = {0: 1, 1: 2, 2: 4}[mode]
    if len(raw) < size:
        return raw
    length = int.from_bytes(raw[:size], "little") >> 2
    return raw[size:] if size + length == len(raw) else raw
