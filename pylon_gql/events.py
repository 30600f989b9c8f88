"""An in-process hub of server events: new blocks, epochs, registrations, commitments, commits.

Each subscriber gets its own bounded queue of the kinds of event it asked for, so one slow
reader cannot make the hub grow without bound nor hold up anyone else; a subscriber that falls
a whole queue behind is dropped and told so instead of silently missing events.

`EventHub` is one process's. Most events are per replica: each replica derives blocks, epochs,
registrations and commitments from the chain itself. Commit attempts are not: only the replica
that commits sees them, so with several replicas `pylon_gql.broker.BrokeredHub` (an `EventHub`
too) also relays them through a broker to the others' subscribers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, Literal, Protocol, TypeVar, overload

from .models import BlockRef, CommitAttempt, Commitment, Epoch

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewBlock:
    """A finalized block the server now serves (its chain data is already cached).

    `reset`: the node's finalized chain no longer held the server's head (a node restored
    from an earlier state, or another node), so the head moved to this block of the node's
    chain: what was kept by block number named other blocks."""

    ref: BlockRef
    reset: bool = False


@dataclass(frozen=True, slots=True)
class NewEpoch:
    """`ref` is the first block the server announced in a new epoch of the served subnet."""

    ref: BlockRef
    epoch: Epoch


@dataclass(frozen=True, slots=True)
class HeadServed:
    """Queries that name no block are now answered at `ref`: published by the response cache
    once it has pre-rendered `ref` and moves its head there (after the follower's `NewBlock`).
    A write waits for it so that its block is served before it answers."""

    ref: BlockRef


NeuronChange = Literal["registered", "deregistered"]


@dataclass(frozen=True, slots=True)
class NeuronRegistration:
    """Between the block before `ref` and `ref`, `hotkey` took `uid` or left it."""

    ref: BlockRef
    uid: int
    hotkey: str
    coldkey: str
    change: NeuronChange


@dataclass(frozen=True, slots=True)
class CommitmentChange:
    """What `hotkey` has committed differs at `ref` from the block before (None: removed)."""

    ref: BlockRef
    hotkey: str
    commitment: Commitment | None


#: A `CommitAttempt` is published as the store keeps it, at each status change of the attempt.
Event = NewBlock | HeadServed | NewEpoch | NeuronRegistration | CommitmentChange | CommitAttempt
E = TypeVar(
    "E", NewBlock, HeadServed, NewEpoch, NeuronRegistration, CommitmentChange, CommitAttempt
)
E_co = TypeVar("E_co", covariant=True)


class SubscriberOverflow(Exception):
    """The subscriber fell so far behind that its queue filled up and events were lost."""


class Subscription(Generic[E_co]):
    """One subscriber's stream of events; registered from creation until `close()`."""

    def __init__(self, hub: EventHub, kinds: tuple[type, ...], maxsize: int) -> None:
        self._hub = hub
        self.kinds = kinds
        self._queue: asyncio.Queue[E_co | None] = asyncio.Queue(maxsize)
        self._overflowed = False
        self._closed = False

    @property
    def overflowed(self) -> bool:
        """True once the queue filled up: the hub dropped this subscriber."""
        return self._overflowed

    def _offer(self, event: E_co) -> bool:  # type: ignore[misc]
        """Queue `event`; False (and the subscription ends) when the queue is full."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._overflowed = True
            return False
        return True

    def close(self) -> None:
        self._hub._remove(self)
        self._closed = True
        # Wake a reader blocked in __anext__ (its queue is empty then) so it ends.
        if not self._queue.full():
            self._queue.put_nowait(None)

    def __aiter__(self) -> AsyncIterator[E_co]:
        return self

    async def __anext__(self) -> E_co:
        if self._queue.empty():
            if self._overflowed:
                raise SubscriberOverflow("event queue full: events were dropped")
            if self._closed:  # closed while full: no end marker fitted in the queue
                raise StopAsyncIteration
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event

    async def __aenter__(self) -> Subscription[E_co]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class CommitNotices(Protocol):
    """A store that can send the commit log's changes itself (`CommitLog.notify_commits`)."""

    def notify_commits(self, channel: str, payload: Callable[[CommitAttempt], str]) -> None: ...


class EventBus(Protocol):
    """What the server needs of an event hub; a broker for many replicas implements the same."""

    def publish(self, event: Event) -> None: ...

    @overload
    def subscribe(self, *, maxsize: int | None = None) -> Subscription[NewBlock]: ...
    @overload
    def subscribe(self, kind: type[E], /, *, maxsize: int | None = None) -> Subscription[E]: ...
    @overload
    def subscribe(self, *kinds: type[Event], maxsize: int | None = None) -> Subscription[Event]: ...

    def subscribers(self, kind: type[Event] = ...) -> int: ...


class EventHub:
    """The in-process `EventBus`: publishing is synchronous and never waits for a subscriber."""

    def __init__(self, queue_size: int = 256) -> None:
        #: Events a subscriber may fall behind before it is dropped.
        self.queue_size = queue_size
        # Per kind, an insertion-ordered set: publishing touches only who asked for the kind.
        self._by_kind: dict[type, dict[Subscription, None]] = {}

    async def start(self) -> None:
        """Nothing to start in one process (a brokered hub connects to its broker)."""

    async def stop(self) -> None:
        """Nothing to stop in one process."""

    def status(self) -> dict[str, object]:
        """How events reach this server's subscribers, for /health: this process only."""
        return {"broker": None, "state": "local"}

    def attach_store(self, store: CommitNotices) -> None:
        """Nothing: in one process the committer publishes to this hub."""

    @property
    def subscriber_count(self) -> int:
        return len({s for subs in self._by_kind.values() for s in subs})

    def subscribers(self, kind: type[Event] = NewBlock) -> int:
        """How many subscriptions receive events of `kind`."""
        return len(self._by_kind.get(kind, ()))

    def publish(self, event: Event) -> None:
        """Hand `event` to every subscriber of its kind without waiting for any of them."""
        subscriptions = self._by_kind.get(type(event))
        if not subscriptions:
            return
        dropped = 0
        for subscription in list(subscriptions):
            if not subscription._offer(event):
                dropped += 1
                self._remove(subscription)
        if dropped:
            logger.warning(
                "%d event subscriber(s) fell a whole queue behind; dropped them", dropped
            )

    @overload
    def subscribe(self, *, maxsize: int | None = None) -> Subscription[NewBlock]: ...
    @overload
    def subscribe(self, kind: type[E], /, *, maxsize: int | None = None) -> Subscription[E]: ...
    @overload
    def subscribe(self, *kinds: type[Event], maxsize: int | None = None) -> Subscription[Event]: ...

    def subscribe(self, *kinds: type[Event], maxsize: int | None = None) -> Subscription[Event]:
        """A new subscription, receiving every event of `kinds` (default: `NewBlock`) published
        from now on; it may fall `maxsize` events behind (default: the hub's `queue_size`).

        Use as `async with hub.subscribe(NewBlock) as events: async for event in events: ...`.
        """
        kinds = kinds or (NewBlock,)
        subscription: Subscription[Event] = Subscription(self, kinds, maxsize or self.queue_size)
        for kind in kinds:
            self._by_kind.setdefault(kind, {})[subscription] = None
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        for kind in subscription.kinds:
            self._by_kind.get(kind, {}).pop(subscription, None)
