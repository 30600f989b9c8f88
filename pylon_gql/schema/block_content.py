"""What a block holds: its extrinsics and events, decoded with the runtime's metadata, each
filterable (`where`) by pallet, call or event name, and signer.

A filter naming a pallet, call or event the runtime does not have is BAD_USER_INPUT (naming
the closest ones), not an empty list: a validator checking that its `set_weights` landed must
not read a typo as "it did not".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from .. import models_block
from ..models_block import BlockContent, EventPhase
from .arguments import check_ss58
from .errors import BadUserInput
from .scalars import BigInt


@strawberry.enum(description="When in its block an event was deposited.")
class ChainEventPhase(Enum):
    APPLY_EXTRINSIC = strawberry.enum_value(
        EventPhase.APPLY_EXTRINSIC, description="While an extrinsic ran (`extrinsicIndex`)."
    )
    FINALIZATION = strawberry.enum_value(
        EventPhase.FINALIZATION, description="After the extrinsics, at the block's end."
    )
    INITIALIZATION = strawberry.enum_value(
        EventPhase.INITIALIZATION, description="Before the extrinsics, at the block's start."
    )


_PHASES = {
    EventPhase.APPLY_EXTRINSIC: ChainEventPhase.APPLY_EXTRINSIC,
    EventPhase.FINALIZATION: ChainEventPhase.FINALIZATION,
    EventPhase.INITIALIZATION: ChainEventPhase.INITIALIZATION,
}


@strawberry.type(description="An event of a block (`System.Events`), decoded with its runtime.")
class ChainEvent:
    index: int = strawberry.field(description="Position among the block's events.")
    phase: ChainEventPhase = strawberry.field(description="When it was deposited.")
    extrinsic_index: int | None = strawberry.field(
        description="The extrinsic that deposited it (phase APPLY_EXTRINSIC); null otherwise."
    )
    pallet: str = strawberry.field(description="The pallet, as the metadata names it.")
    name: str = strawberry.field(description="The event, as the metadata names it.")
    fields: JSON = strawberry.field(
        description="Its fields: an object when they are named, else a list. Accounts are SS58 "
        "addresses, bytes 0x-hex, integers past 2^53 decimal strings, enum variants their "
        "name or `{name: fields}`."
    )

    @classmethod
    def from_model(cls, event: models_block.ChainEvent) -> ChainEvent:
        return cls(
            index=event.index,
            phase=_PHASES[event.phase],
            extrinsic_index=event.extrinsic_index,
            pallet=event.pallet,
            name=event.name,
            fields=event.fields,
        )


@strawberry.type(description="An extrinsic of a block, decoded with its runtime.")
class Extrinsic:
    index: int = strawberry.field(
        description="Position in the block's body (0 is the timestamp inherent)."
    )
    hash: str = strawberry.field(description="blake2-256 of its bytes, 0x and 64 hex digits.")
    pallet: str = strawberry.field(description="The called pallet (`SubtensorModule`, ...).")
    call: str = strawberry.field(description="The call (`set_mechanism_weights`, ...).")
    signer: str | None = strawberry.field(
        description="SS58 address of the signer; null for an inherent."
    )
    nonce: int | None = strawberry.field(description="The signer's nonce; null for an inherent.")
    tip: BigInt | None = strawberry.field(description="Tip in rao of TAO; null for an inherent.")
    success: bool = strawberry.field(
        description="Whether it succeeded (`System.ExtrinsicSuccess` among its events)."
    )
    error: str | None = strawberry.field(
        description="Why it failed: `<Pallet>.<Error>` for a module error "
        "(`SubtensorModule.SettingWeightsTooFast`), else the dispatch error's name "
        "(`BadOrigin`); null when it succeeded."
    )
    fee: BigInt | None = strawberry.field(
        description="What the signer paid, in rao of TAO "
        "(`TransactionPayment.TransactionFeePaid`); null when nothing was charged."
    )
    args: JSON = strawberry.field(
        description="The call's arguments by name, as JSON (accounts SS58, bytes 0x-hex, "
        "integers past 2^53 decimal strings)."
    )
    events: list[ChainEvent] = strawberry.field(description="The events it deposited.")

    @classmethod
    def from_model(cls, extrinsic: models_block.Extrinsic, events: list[ChainEvent]) -> Extrinsic:
        return cls(
            index=extrinsic.index,
            hash=extrinsic.hash,
            pallet=extrinsic.pallet,
            call=extrinsic.call,
            signer=extrinsic.signer,
            nonce=extrinsic.nonce,
            tip=None if extrinsic.tip_rao is None else BigInt(extrinsic.tip_rao),
            success=extrinsic.success,
            error=extrinsic.error,
            fee=None if extrinsic.fee_rao is None else BigInt(extrinsic.fee_rao),
            args=cast(JSON, dict(extrinsic.args)),
            events=events,
        )


@strawberry.input(description="Extrinsics to keep; every condition given must hold.")
class ExtrinsicFilter:
    pallet: str | None = strawberry.field(
        default=None, description="The pallet, as the metadata names it (`SubtensorModule`)."
    )
    call: str | None = strawberry.field(
        default=None, description="The call, as the metadata names it (`set_mechanism_weights`)."
    )
    signer: str | None = strawberry.field(default=None, description="SS58 address of the signer.")
    success: bool | None = strawberry.field(
        default=None, description="Keep only those that succeeded (true) or failed (false)."
    )


@strawberry.input(description="Events to keep; every condition given must hold.")
class EventFilter:
    pallet: str | None = strawberry.field(default=None, description="The pallet (`System`).")
    name: str | None = strawberry.field(default=None, description="The event (`ExtrinsicSuccess`).")
    extrinsic_index: int | None = strawberry.field(
        default=None, description="Only the events of this extrinsic."
    )


def extrinsics_of(content: BlockContent, where: ExtrinsicFilter | None) -> list[Extrinsic]:
    kept = list(content.extrinsics)
    if where is not None:
        calls = content.catalog.calls
        if where.pallet is not None:
            _known(where.pallet, calls, "pallet with calls")
            kept = [e for e in kept if e.pallet == where.pallet]
        if where.call is not None:
            names = calls.get(where.pallet) if where.pallet is not None else None
            known = names if names is not None else {c for cs in calls.values() for c in cs}
            _known(where.call, known, f"call of {where.pallet or 'any pallet'}")
            kept = [e for e in kept if e.call == where.call]
        if where.signer is not None:
            check_ss58(where.signer, "signer")
            kept = [e for e in kept if e.signer == where.signer]
        if where.success is not None:
            kept = [e for e in kept if e.success == where.success]
    by_extrinsic: dict[int, list[ChainEvent]] = {}
    for event in content.events:
        if event.extrinsic_index is not None:
            by_extrinsic.setdefault(event.extrinsic_index, []).append(ChainEvent.from_model(event))
    return [Extrinsic.from_model(e, by_extrinsic.get(e.index, [])) for e in kept]


def events_of(content: BlockContent, where: EventFilter | None) -> list[ChainEvent]:
    kept = list(content.events)
    if where is not None:
        events = content.catalog.events
        if where.pallet is not None:
            _known(where.pallet, events, "pallet with events")
            kept = [e for e in kept if e.pallet == where.pallet]
        if where.name is not None:
            names = events.get(where.pallet) if where.pallet is not None else None
            known = names if names is not None else {n for ns in events.values() for n in ns}
            _known(where.name, known, f"event of {where.pallet or 'any pallet'}")
            kept = [e for e in kept if e.name == where.name]
        if where.extrinsic_index is not None:
            kept = [e for e in kept if e.extrinsic_index == where.extrinsic_index]
    return [ChainEvent.from_model(e) for e in kept]


def _known(name: str, known: Iterable[str] | Any, what: str) -> None:
    names = sorted(known)
    if name in names:
        return
    close = difflib.get_close_matches(name, names, n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise BadUserInput(
        f"{name!r} is not a {what} in the block's runtime (names are "
        f"case-sensitive, as the metadata spells them){hint}"
    )
