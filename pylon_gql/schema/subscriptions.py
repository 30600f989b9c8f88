"""The root Subscription: blocks, epochs, registrations, commitments and weight commits.

Every subscription reads the hub through its own bounded queue. One that falls more than
PYLON_SUBSCRIBER_MAX_LAG events behind gets an UNAVAILABLE error (for `newBlock`, naming the
block to resubscribe from) and ends; it never slows the others down.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Callable
from enum import Enum
from typing import Annotated, Any, TypeVar, cast

import strawberry

from ..auth import Role
from ..chain.changes import commitment_changes, registrations
from ..chain.errors import ChainError
from ..commit_stream import CommitStream
from ..events import (
    CommitmentChange,
    E,
    EventBus,
    NewBlock,
    NewEpoch,
    SubscriberOverflow,
)
from ..events import NeuronRegistration as RegistrationEvent
from ..models import CommitAttempt
from .arguments import check_keys
from .context import Info
from .errors import ApiError, BadUserInput, ErrorCode
from .permissions import write_path
from .queries import check_netuid
from .types import Block, BlockRef, Commitment, Epoch
from .weights import WeightCommit


@strawberry.enum(description="Whether a hotkey took a uid or left it.")
class RegistrationChange(Enum):
    REGISTERED = strawberry.enum_value("registered", description="The hotkey took the uid.")
    DEREGISTERED = strawberry.enum_value(
        "deregistered",
        description="The hotkey no longer holds the uid (a new registration took it).",
    )


@strawberry.type(
    description=(
        "A hotkey took a uid of the subnet, or left it, between the block before `block` and "
        "`block` (found by comparing the two metagraphs). A uid that changes hands gives a "
        "DEREGISTERED for the old hotkey, then a REGISTERED for the new one."
    )
)
class NeuronRegistration:
    block: BlockRef = strawberry.field(description="The first block that shows the change.")
    uid: int = strawberry.field(description="The uid taken or left.")
    hotkey: str = strawberry.field(description="SS58 address of the hotkey.")
    coldkey: str = strawberry.field(description="SS58 address of the coldkey owning it.")
    change: RegistrationChange = strawberry.field(description="Whether it took or left the uid.")

    @classmethod
    def from_event(cls, event: RegistrationEvent) -> NeuronRegistration:
        return cls(
            block=BlockRef.from_model(event.ref),
            uid=event.uid,
            hotkey=event.hotkey,
            coldkey=event.coldkey,
            change=RegistrationChange(event.change),
        )


@strawberry.type(description="What a hotkey has committed changed at `block`.")
class CommitmentChanged:
    block: BlockRef = strawberry.field(description="The first block that shows the change.")
    hotkey: str = strawberry.field(description="SS58 address of the hotkey whose commitment it is.")
    commitment: Commitment | None = strawberry.field(
        description="The commitment from `block` on; null when it was removed."
    )

    @classmethod
    def from_event(cls, event: CommitmentChange) -> CommitmentChanged:
        commitment = event.commitment
        return cls(
            block=BlockRef.from_model(event.ref),
            hotkey=event.hotkey,
            commitment=None if commitment is None else Commitment.from_model(commitment, event.ref),
        )


def _hub(info: Info) -> EventBus:
    hub = info.context.events
    if hub is None:
        raise ApiError(
            "the server is not following the chain yet; retry in a few seconds",
            ErrorCode.UNAVAILABLE,
        )
    return hub


async def _events(info: Info, kind: type[E]) -> AsyncGenerator[E, None]:
    """The hub's events of `kind` from now on; an UNAVAILABLE error when this falls behind.

    Close it explicitly (`contextlib.aclosing`), so the hub forgets the subscriber at once.
    """
    maxsize = info.context.settings.subscriber_max_lag
    async with _hub(info).subscribe(kind, maxsize=maxsize) as events:
        try:
            async for event in events:
                async with info.context.turns.turn():
                    yield event
        except SubscriberOverflow:
            raise ApiError(
                "this subscription fell too far behind; subscribe again",
                ErrorCode.UNAVAILABLE,
            ) from None


def _hotkeys(info: Info, hotkeys: list[str] | None) -> frozenset[str] | None:
    if hotkeys is None:
        return None
    check_keys(hotkeys, "hotkey", info.context.settings.max_page_size)
    return frozenset(hotkeys)


Hotkeys = Annotated[
    list[str] | None,
    strawberry.argument(
        description="Only the events of these hotkeys (SS58 addresses, at most "
        "PYLON_MAX_PAGE_SIZE of them); those of every hotkey when left out."
    ),
]

T = TypeVar("T")
R = TypeVar("R")

#: Events about one hotkey, which a subscriber may narrow to the hotkeys it names.
H = TypeVar("H", RegistrationEvent, CommitmentChange)


async def _of_hotkeys(
    info: Info, kind: type[H], hotkeys: list[str] | None, netuid: int | None = None
) -> AsyncGenerator[H, None]:
    """`_events` of `kind` (of subnet `netuid`), only those of `hotkeys` when given (each
    checked first)."""
    wanted = _hotkeys(info, hotkeys)
    source = _events(info, kind) if _served(info, netuid) else _subnet_changes(info, kind, netuid)
    async with contextlib.aclosing(source) as events:
        async for event in events:
            if wanted is None or event.hotkey in wanted:
                yield event


SubnetNumber = Annotated[
    int | None,
    strawberry.argument(
        description="The subnet (netuid, 0-65535) to follow; the server's (PYLON_NETUID) when "
        "left out. Another subnet is compared block by block for this subscriber (its reads "
        "cached per block like any); one that does not exist at the head is NOT_FOUND."
    ),
]

#: Events a subscriber of another subnet than the served one gets from `_subnet_changes`.
S = TypeVar("S", NewEpoch, RegistrationEvent, CommitmentChange)


def _served(info: Info, netuid: int | None) -> bool:
    return netuid is None or netuid == info.context.settings.netuid


async def _subnet_changes(info: Info, kind: type[S], netuid: int | None) -> AsyncGenerator[S, None]:
    """The events of `kind` of subnet `netuid`, found as the change watcher finds the served
    subnet's: each new block compared with the one before (its reads shared, per block, with
    every other reader of that subnet)."""
    check_netuid(netuid)
    reader = info.context.reader
    head = reader.head
    if head is not None:
        await reader.hyperparameters(head, netuid)  # NOT_FOUND before any block
    before: Any = None
    async with contextlib.aclosing(_events(info, NewBlock)) as blocks:
        async for block in blocks:
            if block.reset:
                before = None  # the node's chain is another one: compare afresh
            try:
                if kind is NewEpoch:
                    epoch = await reader.epoch(block.ref, netuid)
                    if before is not None and epoch.index != before.index:
                        yield cast(S, NewEpoch(block.ref, epoch))
                    before = epoch
                elif kind is RegistrationEvent:
                    metagraph = await reader.metagraph(block.ref, netuid)
                    if before is not None:
                        for change in registrations(before, metagraph):
                            yield cast(S, change)
                    before = metagraph
                else:
                    commitments = await reader.commitments(block.ref, netuid)
                    if before is not None:
                        for change in commitment_changes(block.ref, before, commitments):
                            yield cast(S, change)
                    before = commitments
            except ChainError:
                before = None  # no data at this block (a subnet gone, a node away): afresh


async def _relay(
    events: AsyncGenerator[T, None], convert: Callable[[T], R]
) -> AsyncGenerator[R, None]:
    """`events` as `convert` makes them. A resolver returns this as its stream: every error
    of `events` (no hub, bad hotkeys, falling behind) comes at the first or a later item, as
    from a generator resolver, and closing the stream closes `events` at once."""
    async with contextlib.aclosing(events):
        async for event in events:
            yield convert(event)


async def _block_at(info: Info, number: int) -> Block:
    reader = info.context.reader
    return Block.from_model(await reader.block(await reader.resolve(number=number)))


@strawberry.type(
    description=(
        "Live updates over a websocket (graphql-transport-ws or graphql-ws), as the server "
        "follows finalized blocks."
    )
)
class Subscription:
    @strawberry.subscription(
        description=(
            "Every finalized block the server follows, each once and in order: from "
            "`fromBlock` (at most PYLON_CACHE_BLOCKS behind the head, at most the head + 1), "
            "or from the next new block when it is left out. A subscriber that falls more than "
            "PYLON_SUBSCRIBER_MAX_LAG blocks behind gets an UNAVAILABLE error naming the block "
            "to resubscribe from (`extensions.fromBlock`), and the subscription ends."
        )
    )
    async def new_block(
        self,
        info: Info,
        from_block: Annotated[
            int | None,
            strawberry.argument(
                description="Number of the first block to send (blocks up to the head are "
                "replayed); the next new block when left out."
            ),
        ] = None,
    ) -> AsyncGenerator[Block, None]:
        context = info.context
        hub, head = context.events, context.reader.head
        if hub is None or head is None:
            raise ApiError(
                "the server is not following the chain yet; retry in a few seconds",
                ErrorCode.UNAVAILABLE,
            )
        if from_block is not None:
            if from_block < 0:
                raise BadUserInput(f"fromBlock must be 0 or more; got {from_block}")
            if from_block > head.number + 1:
                raise ApiError(
                    f"block {from_block} is in the future: the head is {head.number}; "
                    "subscribe from the head + 1 at most",
                    ErrorCode.BLOCK_IN_FUTURE,
                    head=head.number,
                )
            oldest = head.number - context.settings.cache_blocks + 1
            if from_block < oldest:
                raise BadUserInput(
                    f"fromBlock {from_block} is more than {context.settings.cache_blocks} "
                    f"blocks behind the head ({head.number}): read older blocks with "
                    f"`block(number:)` and subscribe from {oldest}"
                )
        next_number = head.number + 1 if from_block is None else from_block
        # Subscribed before the replay, so no block announced meanwhile is missed.
        async with hub.subscribe(NewBlock, maxsize=context.settings.subscriber_max_lag) as events:
            while next_number <= head.number:
                async with context.turns.turn():
                    yield await _block_at(info, next_number)
                next_number += 1
            try:
                async for event in events:
                    if event.reset and event.ref.number < next_number:
                        # The node's chain went back (restored from an earlier state, or
                        # another node): go on from its head, as the server does.
                        next_number = event.ref.number
                    # The follower announces blocks in order; after a jump it may skip some.
                    while next_number < event.ref.number:
                        async with context.turns.turn():
                            yield await _block_at(info, next_number)
                        next_number += 1
                    if event.ref.number == next_number:
                        async with context.turns.turn():
                            block = await context.reader.block(event.ref)
                            yield Block.from_model(block)
                        next_number += 1
            except SubscriberOverflow:
                raise ApiError(
                    "this subscription fell too far behind the chain; "
                    f"subscribe again with fromBlock: {next_number}",
                    ErrorCode.UNAVAILABLE,
                    fromBlock=next_number,
                ) from None

    @strawberry.subscription(
        description=(
            "The subnet's epoch each time the chain enters another one, at the first block of "
            "it the server follows (`block` is that block): the epoch's start, or, when the "
            "owner changes the tempo, the block from which the new tempo counts."
        )
    )
    def new_epoch(self, info: Info, netuid: SubnetNumber = None) -> AsyncGenerator[Epoch, None]:
        events = (
            _events(info, NewEpoch)
            if _served(info, netuid)
            else _subnet_changes(info, NewEpoch, netuid)
        )
        return _relay(events, lambda event: Epoch.from_model(event.epoch, event.ref))

    @strawberry.subscription(
        description=(
            "Each hotkey that takes a uid of the subnet or leaves it, as blocks arrive; "
            "only these `hotkeys` when given."
        )
    )
    def neuron_registrations(
        self, info: Info, hotkeys: Hotkeys = None, netuid: SubnetNumber = None
    ) -> AsyncGenerator[NeuronRegistration, None]:
        events = _of_hotkeys(info, RegistrationEvent, hotkeys, netuid)
        return _relay(events, NeuronRegistration.from_event)

    @strawberry.subscription(
        description=(
            "Each commitment of the subnet's hotkeys that is set, changed or removed, as blocks "
            "arrive; only these `hotkeys` when given."
        )
    )
    def commitment_changed(
        self, info: Info, hotkeys: Hotkeys = None, netuid: SubnetNumber = None
    ) -> AsyncGenerator[CommitmentChanged, None]:
        events = _of_hotkeys(info, CommitmentChange, hotkeys, netuid)
        return _relay(events, CommitmentChanged.from_event)

    @strawberry.subscription(
        description=(
            "Each attempt to commit (or set) the validator's weights, every time its status "
            "moves: PENDING, IN_BLOCK, then FINALIZED or FAILED. With several replicas sharing "
            "a database and PYLON_REDIS_URL, the attempts of every replica. With `fromId`, first "
            "every attempt from that id as the commit log holds it now (oldest first), then the "
            "live moves: per attempt, statuses only move forward and none comes twice (one that "
            "moved while the client was away may show only its latest). Live events are sent "
            "at most once (a broker outage loses some): to miss nothing, resubscribe, to any "
            "replica, with `fromId` set to the oldest attempt not yet seen FINALIZED or FAILED "
            "(or the newest id seen + 1). A subscriber that falls too far behind gets an "
            "UNAVAILABLE error naming that id (`extensions.fromId`). Needs the validator role: "
            'over a websocket, send `{"authorization": "Bearer <token>"}` as the '
            "`connection_init` payload; without it the subscription ends with FORBIDDEN."
        )
    )
    async def weight_commit(
        self,
        info: Info,
        from_id: Annotated[
            int | None,
            strawberry.argument(
                description="Replay the commit log from this attempt id (the ids of "
                "`weightCommits`) before the live moves; only live moves when left out."
            ),
        ] = None,
    ) -> AsyncGenerator[WeightCommit, None]:
        if Role.VALIDATOR not in info.context.roles:
            raise ApiError(
                "weightCommit needs the validator role: connect with the payload "
                '{"authorization": "Bearer <token>"} in connection_init',
                ErrorCode.FORBIDDEN,
            )
        if from_id is not None and from_id < 0:
            raise BadUserInput(f"fromId must be 0 or more (an attempt's id); got {from_id}")
        log = None if from_id is None else write_path(info).store
        stream = CommitStream(from_id)
        maxsize = info.context.settings.subscriber_max_lag
        # Subscribed before the log is read: nothing falls between the replay and the live part.
        async with _hub(info).subscribe(CommitAttempt, maxsize=maxsize) as live:
            attempts = stream.follow(log, live)
            try:
                async with contextlib.aclosing(attempts):
                    async for attempt in attempts:
                        async with info.context.turns.turn():
                            yield WeightCommit.from_model(attempt)
            except SubscriberOverflow:
                resume = stream.resume_from
                again = "subscribe again" + ("" if resume is None else f" with fromId: {resume}")
                raise ApiError(
                    f"this subscription fell too far behind; {again}",
                    ErrorCode.UNAVAILABLE,
                    **({} if resume is None else {"fromId": resume}),
                ) from None
