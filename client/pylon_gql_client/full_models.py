"""Typed answers of the full metagraph and of blocks' content (see `models` for the rules)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from .models import BigInt, BlockRef, Input, Model


class Identity(Model):
    name: str
    url: str
    github_repo: str
    image: str
    discord: str
    description: str
    additional: str


class StakeLink(Model):
    """A parent or child hotkey and the share of stake the link carries."""

    hotkey: str
    proportion: float
    proportion_raw: BigInt


class ValidatorLiveness(Model):
    blocks_since_last_update: int
    tempos_since_last_update: int
    active: bool


class NeuronDetails(Model):
    """What a neuron holds beyond `Neuron`: its stake split, registration, immunity, owner's
    identity, parent and child hotkeys, and (for a validator) how recently it set weights."""

    block: BlockRef
    uid: int
    hotkey: str
    alpha_stake: float
    alpha_stake_rao: BigInt
    tao_stake: float
    tao_stake_rao: BigInt
    total_stake: float
    total_stake_rao: BigInt
    registered_at: int
    is_immune: bool
    identity: Identity | None
    parents: list[StakeLink]
    children: list[StakeLink]
    validator_liveness: ValidatorLiveness | None


class ChainWeight(Model):
    uid: int
    weight: float
    weight_u16: int


class ChainWeightsRow(Model):
    """A validator's row of the weights matrix on chain."""

    uid: int
    hotkey: str
    weights: list[ChainWeight]


class ChainBond(Model):
    uid: int
    bond: float
    bond_u16: int


class ChainBondsRow(Model):
    uid: int
    hotkey: str
    bonds: list[ChainBond]


class PendingWeightCommit(Model):
    """A timelocked weight commit the chain has not revealed yet."""

    block: BlockRef
    hotkey: str
    uid: int | None
    epoch: int
    commit_block: int
    reveal_round: int
    ciphertext: str


class RevealedCommitment(Model):
    block: BlockRef
    hotkey: str
    revealed_at: int
    data: str
    text: str | None


class ChainEventPhase(StrEnum):
    APPLY_EXTRINSIC = "APPLY_EXTRINSIC"
    FINALIZATION = "FINALIZATION"
    INITIALIZATION = "INITIALIZATION"


class ChainEvent(Model):
    index: int
    phase: ChainEventPhase
    extrinsic_index: int | None
    pallet: str
    name: str
    fields: Any


class Extrinsic(Model):
    index: int
    hash: str
    pallet: str
    call: str
    signer: str | None
    nonce: int | None
    tip: BigInt | None
    success: bool
    error: str | None
    fee: BigInt | None
    args: dict[str, Any]
    events: list[ChainEvent]


class ExtrinsicFilter(Input):
    """Extrinsics to keep (every condition given must hold); names as the metadata spells
    them (`SubtensorModule`, `set_mechanism_weights`)."""

    pallet: str | None = None
    call: str | None = None
    signer: str | None = None
    success: bool | None = None


class EventFilter(Input):
    pallet: str | None = None
    name: str | None = None
    extrinsic_index: int | None = None
