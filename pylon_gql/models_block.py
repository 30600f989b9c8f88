"""What a block holds: its extrinsics (`chain_getBlock`) and its events (`System.Events`),
decoded with the runtime's metadata. Frozen, plain dataclasses, like `models`.

Arguments and event fields are JSON values: an account as its SS58 address, bytes as
0x-prefixed hex, an integer beyond JavaScript's exact range (2^53) as a decimal string, a
struct as an object, a tuple as a list, an enum variant as its name (or `{name: fields}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .models import BlockRef


class EventPhase(StrEnum):
    """When in the block an event was deposited."""

    APPLY_EXTRINSIC = "apply_extrinsic"
    FINALIZATION = "finalization"
    INITIALIZATION = "initialization"


@dataclass(frozen=True, slots=True)
class ChainEvent:
    #: Position among the block's events.
    index: int
    phase: EventPhase
    #: The extrinsic that deposited it (phase `APPLY_EXTRINSIC`).
    extrinsic_index: int | None
    pallet: str
    name: str
    #: An object of named fields, or a list of unnamed ones (empty when it has none).
    fields: Any


@dataclass(frozen=True, slots=True)
class Extrinsic:
    #: Position in the block's body (the timestamp inherent is 0).
    index: int
    #: blake2-256 of its bytes, as a node and an explorer name it.
    hash: str
    pallet: str
    call: str
    #: SS58 address of the signer; None for an inherent (unsigned).
    signer: str | None
    nonce: int | None
    tip_rao: int | None
    #: The call's arguments by name (JSON).
    args: Mapping[str, Any]
    #: `System.ExtrinsicSuccess` among its events (False: `ExtrinsicFailed`).
    success: bool
    #: Why it failed: `<Pallet>.<Error>` for a module error, else the DispatchError's name.
    error: str | None
    #: What the signer paid (`TransactionPayment.TransactionFeePaid`), None when nothing was.
    fee_rao: int | None


@dataclass(frozen=True, slots=True)
class RuntimeCatalog:
    """The pallets, calls and events a runtime has: what a filter on them may name."""

    calls: Mapping[str, frozenset[str]]
    events: Mapping[str, frozenset[str]]


@dataclass(frozen=True, slots=True)
class BlockContent:
    block: BlockRef
    extrinsics: tuple[Extrinsic, ...]
    events: tuple[ChainEvent, ...]
    catalog: RuntimeCatalog
